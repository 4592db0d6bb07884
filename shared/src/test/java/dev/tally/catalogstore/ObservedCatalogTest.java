package dev.tally.catalogstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tally.catalog.ObservedEvent;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.EventLimits;
import dev.tally.event.EventNames;
import dev.tally.event.TextBounds;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import dev.tally.usage.UsageRollup;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The observed catalog against a real PostgreSQL: rolled up with the usage rollups, read back. */
@ExtendWith(PostgresExtension.class)
class ObservedCatalogTest {
  private static final LocalDate MAY_1 = LocalDate.parse("2024-05-01");
  private static final LocalDate MAY_3 = LocalDate.parse("2024-05-03");

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final EventBuilder builder = new EventBuilder(clock, "5.3.0");
  private final TeeStore store;
  private final ObservedCatalog observed;

  ObservedCatalogTest(TestDatabase db) {
    this.db = db;
    this.store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
    this.observed =
        new ObservedCatalog(db.dataSource(), new UsageRollup(db.dataSource(), clock), clock);
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, event_usage_daily, event_usage_users, event_usage_last_seen,"
            + " event_catalog_keys, event_catalog_outcomes RESTART IDENTITY;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0, refreshed_at = NULL");
  }

  private Event event(
      String feature,
      String action,
      String client,
      Map<String, ? extends Number> metadata,
      Object privateMetadata,
      EventInput.Billing billing) {
    return builder.build(
        new EventInput(
            feature,
            action,
            null,
            client == null ? null : new EventInput.Client(client, "1.0"),
            new EventInput.Parameters(1, metadata, privateMetadata, billing, null),
            null),
        EventContext.of(Actor.user(1)));
  }

  private void record(int times, Event... events) {
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      for (Event event : events) {
        batch.add(event.toBuilder().setId(java.util.UUID.randomUUID().toString()).build());
      }
    }
    store.store(batch, false);
  }

  /** A legacy row: no feature or action, and arguments of any JSON shape. */
  private void recordLegacy(String name, String publicArgument, String argument) {
    db.execute(
        "INSERT INTO event_logs (event_id, name, timestamp, anonymous_user_id, source, version,"
            + " public_argument, argument, billing_product_category, kept_local_reason)"
            + " VALUES (gen_random_uuid(), '"
            + name
            + "', '"
            + clock.instant()
            + "', 'unknown', 'BACKEND', 'x', '"
            + publicArgument
            + "', '"
            + argument
            + "', 'legacy:billing', 'legacy')");
  }

  private static Map<String, Long> counts(Object... nameThenCount) {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (int i = 0; i < nameThenCount.length; i += 2) {
      counts.put((String) nameThenCount[i], ((Number) nameThenCount[i + 1]).longValue());
    }
    return counts;
  }

  @Test
  void observed_learnsEachV2NameWithItsDaysVolumeClientsAndKeys_andNoLegacyRow() {
    Event search =
        event(
            "search",
            "submitted",
            "VSCode",
            Map.of("durationMs", 12, "resultCount", 3),
            Map.of("query", "secret text", "languageId", "go"),
            new EventInput.Billing("code_search", "core"));
    record(3, search);
    clock.set(Instant.parse("2024-05-03T23:59:59Z"));
    record(2, event("search", "submitted", "JetBrains", Map.of("durationMs", 20), null, null));
    record(1, event("editor", "opened", null, Map.of(), "not an object", null));
    // Legacy rows: any JSON, even objects, is not a V2 event's keys.
    recordLegacy("search.submitted", "{\"durationMs\": 1}", "{\"query\": \"x\"}");
    recordLegacy("legacy.list", "[1, 2]", "[\"a\"]");
    recordLegacy("legacy.text", "\"text\"", "\"text\"");
    recordLegacy("legacy.number", "5", "null");

    List<ObservedEvent> events = observed.observed(30, 10);

    assertEquals(
        List.of(
            new ObservedEvent(
                "search",
                "submitted",
                MAY_1,
                MAY_3,
                5,
                5,
                counts("VSCode", 3, "JetBrains", 2),
                counts("durationMs", 5, "resultCount", 3),
                counts("languageId", 3, "query", 3),
                counts("code_search:core", 3)),
            // A private metadata value that is not an object is stored as {"value": v}.
            new ObservedEvent(
                "editor",
                "opened",
                MAY_3,
                MAY_3,
                1,
                1,
                counts("BACKEND", 1),
                counts(),
                counts("value", 1),
                counts())),
        events);
  }

  @Test
  void observed_coversTheDaysAskedFor_mostEventsFirst() {
    clock.set(Instant.parse("2024-03-20T12:00:00Z"));
    record(9, event("old", "event", "VSCode", Map.of("oldKey", 1), null, null));
    clock.set(Instant.parse("2024-04-28T12:00:00Z"));
    record(4, event("week", "event", "VSCode", Map.of(), null, null));
    clock.set(Instant.parse("2024-05-03T12:00:00Z"));
    record(1, event("old", "event", "VSCode", Map.of(), null, null));
    record(2, event("today", "event", "VSCode", Map.of(), null, null));

    List<ObservedEvent> month = observed.observed(30, 10);
    List<ObservedEvent> quarter = observed.observed(90, 10);

    assertEquals(
        List.of("week.event 4/4", "today.event 2/2", "old.event 1/1"),
        month.stream().map(e -> e.name() + " " + e.events7d() + "/" + e.events30d()).toList());
    // oldKey was last seen before the month: not among the month's keys.
    assertEquals(Map.of(), month.get(2).metadataKeys());
    assertEquals(LocalDate.parse("2024-03-20"), month.get(2).firstSeen());
    assertEquals(
        List.of("old.event", "week.event", "today.event"),
        quarter.stream().map(ObservedEvent::name).toList());
    assertEquals(Map.of("oldKey", 9L), quarter.get(0).metadataKeys());
    assertEquals(
        List.of("week.event"), observed.observed(30, 1).stream().map(ObservedEvent::name).toList());
    assertEquals(List.of(), observed.observed(30, 0));
  }

  /** The keys per name and kind as event_logs holds them, counted by hand. */
  private Map<String, Long> keysInEventLogs() {
    Map<String, Long> keys = new TreeMap<>();
    query(
        """
        SELECT feature || '.' || action || ' ' || kind || ' ' || key, count(*) FROM (
            SELECT feature, action, 'metadata' AS kind, jsonb_object_keys(public_argument) AS key
            FROM event_logs WHERE feature IS NOT NULL
            UNION ALL
            SELECT feature, action, 'private', jsonb_object_keys(argument)
            FROM event_logs WHERE feature IS NOT NULL AND jsonb_typeof(argument) = 'object'
            UNION ALL
            SELECT feature, action, 'billing', billing_product_category
            FROM event_logs WHERE feature IS NOT NULL AND billing_product_category IS NOT NULL)
            AS carried
        GROUP BY 1
        """,
        keys);
    return keys;
  }

  private Map<String, Long> keysInRollup() {
    Map<String, Long> keys = new TreeMap<>();
    query(
        "SELECT feature || '.' || action || ' ' || kind || ' ' || key, events"
            + " FROM event_catalog_keys",
        keys);
    return keys;
  }

  private void query(String sql, Map<String, Long> into) {
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        into.put(rows.getString(1), rows.getLong(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void rowsRecordedAcrossTwoRefreshes_areCountedOnce() {
    java.util.function.Supplier<Event> search =
        () ->
            event(
                "search",
                "submitted",
                "VSCode",
                Map.of("durationMs", 12),
                Map.of("query", "q"),
                new EventInput.Billing("code_search", "core"));
    record(3, search.get());
    observed.observed(30, 10);
    clock.set(Instant.parse("2024-05-02T10:00:00Z"));
    record(
        2,
        search.get(),
        event("search", "cancelled", "VSCode", Map.of("durationMs", 1), null, null));
    observed.counters(7);

    List<ObservedEvent> events = observed.observed(30, 10);

    assertEquals(keysInEventLogs(), keysInRollup());
    assertEquals(
        new ObservedEvent(
            "search",
            "submitted",
            MAY_1,
            LocalDate.parse("2024-05-02"),
            5,
            5,
            counts("VSCode", 5),
            counts("durationMs", 5),
            counts("query", 5),
            counts("code_search:core", 5)),
        events.get(0));
    assertEquals(
        List.of("2024-05-01 2024-05-02"),
        List.of(
            db.queryString(
                "SELECT first_day || ' ' || last_day FROM event_catalog_keys"
                    + " WHERE feature = 'search' AND action = 'submitted' AND kind = 'billing'")));
  }

  @Test
  void theLargestNamesAndKeysTheDoorAccepts_areKeptWhole() {
    String feature = "f" + "e".repeat(EventNames.MAX_LENGTH - 1);
    String action = "a" + "c".repeat(EventNames.MAX_LENGTH - 1);
    String longKey = "k".repeat(EventLimits.KEY_BYTES_CEILING);
    // 4-byte characters: the longest key in bytes is a quarter as many characters.
    String wideKey = "\uD83D\uDE00".repeat(EventLimits.KEY_BYTES_CEILING / 4);
    String product = "p".repeat(TextBounds.BILLING_BYTES);
    String category = "c".repeat(TextBounds.BILLING_BYTES);
    Event largest =
        event(
            feature,
            action,
            "c".repeat(TextBounds.CLIENT_BYTES),
            Map.of(longKey, 1, wideKey, 2),
            Map.of(longKey, "v", wideKey, "w"),
            new EventInput.Billing(product, category));
    EventLimits widest =
        new EventLimits(
            EventLimits.DEFAULTS.maxEventBytes(),
            EventLimits.DEFAULTS.maxPrivateMetadataBytes(),
            EventLimits.DEFAULTS.maxMetadataKeys(),
            EventLimits.KEY_BYTES_CEILING,
            EventLimits.DEFAULTS.maxPrivateMetadataDepth(),
            EventLimits.DEFAULTS.maxPrivateMetadataKeys(),
            EventLimits.DEFAULTS.maxPast(),
            EventLimits.DEFAULTS.maxFuture());
    widest.check(largest, clock.instant()); // the door lets it in
    record(2, largest);

    List<ObservedEvent> events = observed.observed(1, 10);

    assertEquals(1, events.size());
    ObservedEvent event = events.get(0);
    assertEquals(feature + "." + action, event.name());
    assertEquals(Map.of(longKey, 2L, wideKey, 2L), event.metadataKeys());
    assertEquals(Map.of(longKey, 2L, wideKey, 2L), event.privateKeys());
    assertEquals(Map.of(product + ":" + category, 2L), event.billing());
  }

  /** Random letters: text that PostgreSQL cannot compress to fit an index entry. */
  private static String randomLetters(int length, long seed) {
    Random random = new Random(seed);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    return text.toString();
  }

  @Test
  void keysLongerThanTheRollupsKeep_areCountedCutAndOncePerEvent() {
    // Written straight into event_logs, as no request could: keys of 6,000 random letters, two
    // of them the same over the first 256, and a 4-byte character feature name.
    String shared = randomLetters(6000, 1);
    String other = shared.substring(0, 300) + randomLetters(100, 2);
    String feature = "\uD83D\uDE00".repeat(300);
    db.execute(
        "INSERT INTO event_logs (event_id, name, feature, action, timestamp, anonymous_user_id,"
            + " source, version, public_argument, argument, billing_product_category,"
            + " catalog_outcome) VALUES (gen_random_uuid(), 'x', '"
            + feature
            + "', 'clicked', '2024-05-01T08:00:00Z', 'unknown', 'BACKEND', 'x',"
            + " jsonb_build_object('"
            + shared
            + "', 1, '"
            + other
            + "', 2), jsonb_build_object('"
            + shared
            + "', 'v'), '"
            + shared
            + "', jsonb_build_object('event', 'would_hold', 'private', jsonb_build_object('"
            + shared
            + "', 'would_drop', '"
            + other
            + "', 'would_drop')))");
    record(1, event("search", "submitted", "VSCode", Map.of("durationMs", 1), null, null));

    List<ObservedEvent> events = observed.observed(1, 10);

    String cut = shared.substring(0, 256) + "\u2026";
    String cutFeature = "\uD83D\uDE00".repeat(127) + "\u2026";
    ObservedEvent odd =
        events.stream().filter(e -> e.feature().equals(cutFeature)).findFirst().orElseThrow();
    assertEquals(Map.of(cut, 1L), odd.metadataKeys());
    assertEquals(Map.of(cut, 1L), odd.privateKeys());
    assertEquals(Map.of(cut, 1L), odd.billing());
    ObservedCatalog.CounterDay may1 = observed.counters(1).get(0);
    assertEquals(
        List.of(
            new ObservedCatalog.KeyCounter(cutFeature, "clicked", "private", cut, "would_drop", 1)),
        may1.keys());
    assertEquals(1, may1.wouldHold());
    // Recording goes on being counted after it.
    record(2, event("search", "submitted", "VSCode", Map.of("durationMs", 1), null, null));
    assertEquals(
        Map.of("durationMs", 3L),
        observed.observed(1, 10).stream()
            .filter(e -> e.feature().equals("search"))
            .findFirst()
            .orElseThrow()
            .metadataKeys());
  }

  private void setOutcome(String action, String outcome) {
    db.execute(
        "UPDATE event_logs SET catalog_outcome = '"
            + outcome
            + "' WHERE action = '"
            + action
            + "' AND catalog_outcome IS NULL");
  }

  @Test
  void counters_countWhatTheCatalogDidOrWouldDoPerDay_newestFirst() {
    clock.set(Instant.parse("2024-05-02T10:00:00Z"));
    record(2, event("search", "held", "VSCode", Map.of("k", 1), null, null));
    setOutcome("held", "{\"version\": 3, \"event\": \"held\", \"metadata\": {\"k\": \"dropped\"}}");
    clock.set(Instant.parse("2024-05-03T10:00:00Z"));
    record(3, event("search", "shadowed", "VSCode", Map.of("k", 1), Map.of("p", "v"), null));
    setOutcome(
        "shadowed",
        "{\"version\": 3, \"event\": \"would_hold\", \"metadata\": {\"k\": \"would_drop\"},"
            + " \"private\": {\"p\": \"would_drop\"}}");
    record(1, event("search", "odd", "VSCode", Map.of(), null, null));
    // What no verdict writes is not counted: another shape, another word.
    setOutcome("odd", "{\"event\": \"exported\", \"metadata\": [\"k\"], \"private\": \"p\"}");
    recordLegacy("legacy.event", "{}", "{}");
    db.execute(
        "UPDATE event_logs SET catalog_outcome = '{\"event\": \"held\"}' WHERE feature IS NULL");

    List<ObservedCatalog.CounterDay> counters = observed.counters(3);

    assertEquals(
        List.of(
            new ObservedCatalog.CounterDay(
                MAY_3,
                0,
                3,
                List.of(
                    new ObservedCatalog.KeyCounter(
                        "search", "shadowed", "metadata", "k", "would_drop", 3),
                    new ObservedCatalog.KeyCounter(
                        "search", "shadowed", "private", "p", "would_drop", 3))),
            new ObservedCatalog.CounterDay(
                LocalDate.parse("2024-05-02"),
                2,
                0,
                List.of(
                    new ObservedCatalog.KeyCounter(
                        "search", "held", "metadata", "k", "dropped", 2))),
            new ObservedCatalog.CounterDay(MAY_1, 0, 0, List.of())),
        counters);
    assertEquals(1, observed.counters(1).size());
  }

  @Test
  void refreshes_fromTheUsageRollupsCountEveryRowOnce_withTheObservedCatalogOrWithout() {
    UsageRollup rollup = new UsageRollup(db.dataSource(), clock);
    record(2, event("search", "submitted", "VSCode", Map.of("k", 1), null, null));
    rollup.refresh(Duration.ofSeconds(30));
    record(1, event("search", "submitted", "VSCode", Map.of("k", 1), null, null));

    observed.observed(7, 10);

    assertEquals(keysInEventLogs(), keysInRollup());
    assertEquals(
        3, db.queryLong("SELECT sum(events) FROM event_usage_daily WHERE action = 'submitted'"));
  }
}
