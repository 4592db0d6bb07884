package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.ObservedEvent;
import dev.tally.catalogfile.CatalogFiles;
import dev.tally.catalogfile.DraftWriter;
import dev.tally.catalogstore.LiveCatalog;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.json.Json;
import dev.tally.privacy.PrivacySettings;
import dev.tally.privacy.PrivacySignals;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitConfig;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The observed catalog's fields through the GraphQL engine, on events recorded through it, against
 * a real PostgreSQL and a clock the test sets: what was seen, judged against the catalog in force.
 */
@ExtendWith(PostgresExtension.class)
class ObservedCatalogFieldsTest {
  private static final Instant NOW = Instant.parse("2024-05-03T12:00:00Z");

  /** The version in force: search.submitted approved (query stays), notebooks.* proposed. */
  private static final String IN_FORCE =
      """
      policy: {unplannedEvents: shadow}
      events:
        - feature: search
          action: submitted
          status: approved
          owner: team-search
          privateMetadata:
            query: {export: false}
        - feature: notebooks
          action: "*"
          status: proposed
      """;

  private static final String QUERY =
      """
      query($days: Int) { telemetry { catalog {
        observed(days: $days) {
          feature action firstSeen lastSeen events7d events30d
          clients { name events } metadataKeys { name events }
          privateKeys { key events leaves } billing { name events }
          entry planned draftEntry }
        draft(days: $days)
        counters(days: 2) { day held wouldHold
          keys { feature action kind key outcome events } } } } }
      """;

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(NOW);
  private final Redactor redactor =
      new Redactor(
          Redactor.Mode.ALLOWLISTED_ONLY,
          SensitiveMetadataAllowlist.builtIn()
              .with(SensitiveMetadataAllowlist.parseEntries("editor::opened::languageId")));
  private final TelemetryGraphQl engine;

  ObservedCatalogFieldsTest(TestDatabase db) {
    this.db = db;
    FeatureFlags flags = new FeatureFlags(db.dataSource());
    // As RecordEventService: one catalog in force for recording and the administrator's fields,
    // here read again at every request.
    LiveCatalog catalog = new LiveCatalog(db.dataSource(), redactor, clock, Duration.ZERO);
    EventRecorder recorder =
        new EventRecorder(
            new EventBuilder(clock, "5.3.0"),
            flags,
            new TeeStore(db.dataSource(), redactor),
            RecordingLimits.DEFAULTS,
            PrivacySettings.DEFAULTS,
            catalog);
    this.engine =
        new TelemetryGraphQl(
            recorder,
            AdminStores.of(db.dataSource(), flags, clock, catalog),
            new CallerLimits(RateLimitConfig.OFF, clock),
            OperationLimits.DEFAULTS);
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, event_usage_daily, event_usage_users,"
            + " event_usage_last_seen, event_catalog_keys, event_catalog_outcomes,"
            + " event_catalog_versions, feature_flags, feature_flag_overrides RESTART IDENTITY;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0, refreshed_at = NULL;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  private static RequestContext context(boolean siteAdmin) {
    return new RequestContext(
        Actor.user(siteAdmin ? 1 : 7),
        siteAdmin,
        null,
        null,
        Caller.user(siteAdmin ? 1 : 7),
        PrivacySignals.NONE);
  }

  private Map<String, Object> execute(
      boolean siteAdmin, String query, Map<String, Object> variables) {
    GraphQlAnswer answer =
        engine.execute(new GraphQlRequest(query, null, variables), context(siteAdmin));
    assertEquals(200, answer.status(), answer.body().toString());
    return answer.body();
  }

  private static Map<String, Object> event(
      String feature,
      String action,
      String client,
      List<Map<String, Object>> metadata,
      Map<String, Object> privateMetadata,
      Map<String, Object> billing) {
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("version", 1);
    parameters.put("metadata", metadata);
    parameters.put("privateMetadata", privateMetadata);
    parameters.put("billingMetadata", billing);
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", client, "clientVersion", "1.0"));
    event.put("parameters", parameters);
    return event;
  }

  private void record(int times, Map<String, Object> event) {
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.add(event);
    }
    Map<String, Object> answer =
        execute(
            false,
            "mutation($events: [TelemetryEventInput!]!) {"
                + " telemetry { recordEvents(events: $events) { alwaysNil } } }",
            Map.of("events", events));
    assertNull(answer.get("errors"), answer.toString());
  }

  private void applyVersion(long version, String document) throws Exception {
    db.execute(
        "INSERT INTO event_catalog_versions (version, applied_at, applied_by, document, source,"
            + " diff) VALUES ("
            + version
            + ", now(), 'test', '"
            + Json.write(CatalogFiles.read(document).toJson())
            + "', 'source', '{}')");
  }

  @SuppressWarnings("unchecked")
  private static <T> T at(Map<String, Object> body, String... path) {
    Object value = body;
    for (String step : path) {
      value = ((Map<String, Object>) value).get(step);
    }
    return (T) value;
  }

  private void recordTheTraffic() {
    clock.set(Instant.parse("2024-05-01T09:00:00Z"));
    record(
        2,
        event(
            "search",
            "submitted",
            "VSCode",
            List.of(Map.of("key", "durationMs", "value", 12)),
            Map.of("query", "what the user typed"),
            Map.of("product", "code_search", "category", "core")));
    clock.set(NOW);
    record(
        3,
        event(
            "editor",
            "opened",
            "JetBrains",
            List.of(Map.of("key", "lines", "value", 120)),
            Map.of("languageId", "go", "path", "/home/me/secret.go"),
            null));
    record(1, event("notebooks", "opened", "VSCode", null, null, null));
  }

  @Test
  void observed_judgesEachEventAgainstTheCatalogInForce() throws Exception {
    recordTheTraffic();
    applyVersion(1, "events: []");
    applyVersion(2, IN_FORCE);

    Map<String, Object> body = execute(true, QUERY, Map.of("days", 7));

    assertNull(body.get("errors"), body.toString());
    List<Map<String, Object>> observed = at(body, "data", "telemetry", "catalog", "observed");
    assertEquals(3, observed.size(), observed.toString());
    Map<String, Object> editor = observed.get(0);
    Map<String, Object> expected = new HashMap<>();
    expected.put("feature", "editor");
    expected.put("action", "opened");
    expected.put("firstSeen", "2024-05-03");
    expected.put("lastSeen", "2024-05-03");
    expected.put("events7d", 3);
    expected.put("events30d", 3);
    expected.put("clients", List.of(Map.of("name", "JetBrains", "events", 3)));
    expected.put("metadataKeys", List.of(Map.of("name", "lines", "events", 3)));
    // languageId leaves by the allowlist; path never did.
    expected.put(
        "privateKeys",
        List.of(
            Map.of("key", "languageId", "events", 3, "leaves", true),
            Map.of("key", "path", "events", 3, "leaves", false)));
    expected.put("billing", List.of());
    expected.put("entry", null);
    expected.put("planned", false);
    expected.put(
        "draftEntry",
        DraftWriter.entry(
            CatalogRules.of(2, CatalogFiles.read(IN_FORCE), redactor),
            new ObservedEvent(
                "editor",
                "opened",
                LocalDate.parse("2024-05-03"),
                LocalDate.parse("2024-05-03"),
                3,
                3,
                Map.of("JetBrains", 3L),
                Map.of("lines", 3L),
                new TreeMap<>(Map.of("languageId", 3L, "path", 3L)),
                Map.of()),
            LocalDate.parse("2024-05-03")));
    assertEquals(expected, new HashMap<>(editor));
    Map<String, Object> search = observed.get(1);
    assertEquals("search.submitted", search.get("entry"));
    assertEquals(true, search.get("planned"));
    assertNull(search.get("draftEntry"));
    assertEquals("2024-05-01", search.get("firstSeen"));
    // The entry lists query as staying.
    assertEquals(
        List.of(Map.of("key", "query", "events", 2, "leaves", false)), search.get("privateKeys"));
    assertEquals(List.of(Map.of("name", "code_search:core", "events", 2)), search.get("billing"));
    Map<String, Object> notebooks = observed.get(2);
    // A proposed entry matches it but does not plan it; it is edited in the file, not added.
    assertEquals("notebooks.*", notebooks.get("entry"));
    assertEquals(false, notebooks.get("planned"));
    assertNull(notebooks.get("draftEntry"));

    // The draft entry pastes into the file as it is.
    Catalog pasted = CatalogFiles.read("events:\n" + editor.get("draftEntry"));
    CatalogEntry entry = pasted.entries().get(0);
    assertTrue(entry.privateMetadata().get("languageId").export());
    assertFalse(entry.privateMetadata().get("path").export());
  }

  @Test
  void draft_isTheCatalogInForceThenEachEventNoEntryMatches() throws Exception {
    recordTheTraffic();
    applyVersion(1, IN_FORCE);

    Map<String, Object> body = execute(true, QUERY, Map.of("days", 7));

    String draft = at(body, "data", "telemetry", "catalog", "draft");
    Catalog read = CatalogFiles.read(draft);
    List<CatalogEntry> inForce = CatalogFiles.read(IN_FORCE).entries();
    assertEquals(inForce, read.entries().subList(0, 2));
    assertEquals(3, read.entries().size());
    assertEquals("editor.opened", read.entries().get(2).name());
    assertTrue(draft.contains("Version 1 of the catalog is in force."), draft);
  }

  @Test
  void observed_withoutACatalog_leavesEveryEventUnplanned() {
    recordTheTraffic();

    Map<String, Object> body = execute(true, QUERY, Map.of("days", 1));

    List<Map<String, Object>> observed = at(body, "data", "telemetry", "catalog", "observed");
    assertEquals(
        List.of("editor.opened null false", "notebooks.opened null false"),
        observed.stream()
            .map(
                e ->
                    e.get("feature")
                        + "."
                        + e.get("action")
                        + " "
                        + e.get("entry")
                        + " "
                        + e.get("planned"))
            .toList());
    assertEquals(
        Catalog.NONE.policy(),
        CatalogFiles.read((String) at(body, "data", "telemetry", "catalog", "draft")).policy());
  }

  @Test
  void counters_showWhatTheCatalogDidOrWouldDoPerDay() throws Exception {
    // In shadow: recording counts the events it would hold, and the keys it would drop among
    // those the allowlist lets leave (editor.opened's languageId).
    applyVersion(1, "policy: {unplannedEvents: shadow, unplannedPrivateKeys: shadow}\nevents: []");
    recordTheTraffic();

    Map<String, Object> body = execute(true, QUERY, Map.of("days", 7));

    assertEquals(
        List.of(
            Map.of(
                "day",
                "2024-05-03",
                "held",
                0,
                "wouldHold",
                4,
                "keys",
                List.of(
                    Map.of(
                        "feature",
                        "editor",
                        "action",
                        "opened",
                        "kind",
                        "private",
                        "key",
                        "languageId",
                        "outcome",
                        "would_drop",
                        "events",
                        3))),
            Map.of("day", "2024-05-02", "held", 0, "wouldHold", 0, "keys", List.of())),
        at(body, "data", "telemetry", "catalog", "counters"));
  }

  @Test
  void everyField_needsASiteAdmin() {
    recordTheTraffic();

    for (String field : List.of("observed { feature }", "draft", "counters { day }")) {
      Map<String, Object> body =
          execute(false, "{ telemetry { catalog { " + field + " } } }", Map.of());

      List<Map<String, Object>> errors = at(body, "errors");
      assertTrue(errors.get(0).get("message").toString().contains("site-admin"), errors.toString());
    }
  }

  @Test
  void days_mustBeWithinAYear() {
    Map<String, Object> body =
        execute(true, "{ telemetry { catalog { observed(days: 367) { feature } } } }", Map.of());

    List<Map<String, Object>> errors = at(body, "errors");
    assertEquals("'days' must be between 1 and 366, got 367", errors.get(0).get("message"));
  }
}
