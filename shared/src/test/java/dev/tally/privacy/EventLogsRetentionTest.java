package dev.tally.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Policy;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import dev.tally.testing.TickingDataSource;
import dev.tally.usage.UsageRollup;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The retention of event_logs against a real PostgreSQL: rows go by when they arrived. */
@ExtendWith(PostgresExtension.class)
class EventLogsRetentionTest {
  private static final Instant NOW = Instant.parse("2024-06-30T12:00:00Z");
  private static final Instant CUTOFF = NOW.minus(Duration.ofDays(30));

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(NOW.minus(Duration.ofDays(45)));
  private final EventBuilder builder = new EventBuilder(clock, "5.3.0");
  private final TeeStore store;

  EventLogsRetentionTest(TestDatabase db) {
    this.db = db;
    this.store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, held_events, event_usage_daily, event_usage_users,"
            + " event_usage_last_seen RESTART IDENTITY;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0, refreshed_at = NULL");
  }

  @Test
  void prune_deletesWhatArrivedBeforeTheCutoff_inChunks_whateverTheClientsTimestamp() {
    record(7, "old", Actor.user(1), null);
    clock.set(CUTOFF.minusMillis(1));
    record(1, "justBefore", Actor.user(1), null);
    clock.set(CUTOFF);
    record(1, "atTheCutoff", Actor.user(2), null);
    clock.set(NOW);
    // A client may claim any time: an event that arrived now is kept however old it says it is.
    record(3, "new", Actor.user(2), NOW.minus(Duration.ofDays(60)));

    long deleted =
        new EventLogsRetention(db.dataSource(), clock, 3).prune(CUTOFF, aMinuteFromNow()).deleted();

    assertEquals(8, deleted);
    assertEquals(0, count("old") + count("justBefore"));
    assertEquals(1, count("atTheCutoff"));
    assertEquals(3, count("new"));
  }

  @Test
  void prune_startsNoStepAtItsDeadline_andTheNextPassGoesOnUntilNothingIsLeft() {
    record(7, "old", Actor.user(1), null);
    clock.set(NOW);
    // Each step (each connection) takes a minute: a pass with six minutes cannot do all of it.
    Duration step = Duration.ofMinutes(1);
    EventLogsRetention retention =
        new EventLogsRetention(new TickingDataSource(db.dataSource(), clock, step), clock, 3);

    assertEquals(
        new EventLogsRetention.Pass(0, false), retention.prune(CUTOFF, clock.instant()), "no time");
    List<EventLogsRetention.Pass> passes = new ArrayList<>();
    while (passes.isEmpty() || !passes.get(passes.size() - 1).finished()) {
      assertTrue(passes.size() < 5, "still unfinished after " + passes);
      Instant deadline = clock.instant().plus(Duration.ofMinutes(6));
      passes.add(retention.prune(CUTOFF, deadline));
      assertTrue(
          !clock.instant().isAfter(deadline.plus(step)),
          "a pass ends by its deadline, but for the step under way: " + clock.instant());
    }

    assertFalse(passes.get(0).finished(), "the first pass is cut short: " + passes);
    assertTrue(passes.get(0).deleted() > 0, "and did part of the work: " + passes);
    assertEquals(7, passes.stream().mapToLong(EventLogsRetention.Pass::deleted).sum());
    assertEquals(0, count("old"));
  }

  @Test
  void prune_deletesUsageRowsOfUsersLastSeenBeforeTheCutoff_andKeepsTheDailyCounts() {
    record(2, "old", Actor.user(1), null);
    clock.set(NOW);
    record(2, "new", Actor.user(2), null);
    new UsageRollup(db.dataSource(), clock).refresh(Duration.ofSeconds(10));

    new EventLogsRetention(db.dataSource(), clock).prune(CUTOFF, aMinuteFromNow()).deleted();

    assertEquals(0, db.queryLong("SELECT count(*) FROM event_usage_users WHERE user_key = 'u:1'"));
    assertEquals(
        0, db.queryLong("SELECT count(*) FROM event_usage_last_seen WHERE user_key = 'u:1'"));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_usage_last_seen WHERE user_key = 'u:2'"));
    assertEquals(4, db.queryLong("SELECT sum(events) FROM event_usage_daily"));
  }

  @Test
  void prune_whenTheUsageRollupsCannotCount_stillDeletesTheRowsTheyCounted() throws Exception {
    record(3, "counted", Actor.user(1), null);
    new UsageRollup(db.dataSource(), clock).refresh(Duration.ofSeconds(10));
    record(2, "uncounted", Actor.user(1), null);
    clock.set(NOW);
    try (AutoCloseable refused = db.refuseUsageRollups()) {
      long deleted =
          new EventLogsRetention(db.dataSource(), clock).prune(CUTOFF, aMinuteFromNow()).deleted();

      assertEquals(3, deleted);
      assertEquals(0, count("counted"));
      // Not counted yet: kept until the rollups count them, so that the daily counts stay whole.
      assertEquals(2, count("uncounted"));
    }
  }

  @Test
  void prune_deletesTheHeldEventsThatArrivedBeforeTheCutoff_inChunks_whateverTheClientsTimestamp() {
    recordHeld(7, "old", null);
    clock.set(CUTOFF);
    recordHeld(1, "atTheCutoff", null);
    clock.set(NOW);
    recordHeld(2, "new", NOW.minus(Duration.ofDays(60)));

    new EventLogsRetention(db.dataSource(), clock, 3).prune(CUTOFF, aMinuteFromNow()).deleted();

    assertEquals(
        "atTheCutoff:1,new:2",
        db.queryString(
            "SELECT string_agg(action || ':' || n, ',' ORDER BY action) FROM"
                + " (SELECT action, count(*) AS n FROM held_events GROUP BY action) AS a"));
    assertEquals(3, db.queryLong("SELECT count(*) FROM event_logs"), "their rows went with them");
  }

  @Test
  void eachChunk_scansTheEventIdIndexFromWhereTheChunkBeforeEnded() throws Exception {
    // A chunk that starts at the index's first entry steps over every entry the chunks before it
    // deleted (dead until a vacuum): at millions of rows a pass's chunks grew slower one by one.
    for (String statement :
        new String[] {EventLogsRetention.DELETE_CHUNK, EventLogsRetention.DELETE_HELD_CHUNK}) {
      String plan = plan(statement, UUID.randomUUID(), EventLogsRetention.firstIdOf(CUTOFF), 10);
      assertTrue(
          plan.matches("(?s).*Index Cond: \\(\\(event_id >= .*\\) AND \\(event_id < .*"), plan);
    }
  }

  /** The plan of {@code sql} with these parameters, as the planner chooses at millions of rows. */
  private String plan(String sql, Object... parameters) throws Exception {
    try (Connection connection = db.dataSource().getConnection()) {
      connection.setAutoCommit(false);
      try (Statement settings = connection.createStatement()) {
        settings.execute("SET LOCAL enable_seqscan = off");
        settings.execute("SET LOCAL plan_cache_mode = force_custom_plan");
      }
      StringBuilder plan = new StringBuilder();
      try (PreparedStatement explain = connection.prepareStatement("EXPLAIN " + sql)) {
        for (int i = 0; i < parameters.length; i++) {
          explain.setObject(i + 1, parameters[i]);
        }
        try (ResultSet rs = explain.executeQuery()) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
      } finally {
        connection.rollback();
      }
      return plan.toString();
    }
  }

  @Test
  void firstIdOf_ordersBetweenTheIdsOfTheMillisecondsAround() {
    UUID first = EventLogsRetention.firstIdOf(CUTOFF);
    clock.set(CUTOFF.minusMillis(1));
    UUID before = UUID.fromString(builder.build(input("saved", null), context()).getId());
    clock.set(CUTOFF);
    UUID at = UUID.fromString(builder.build(input("saved", null), context()).getId());

    assertEquals(7, first.version());
    assertTrue(compareAsPostgres(before, first) < 0);
    assertTrue(compareAsPostgres(first, at) <= 0);
  }

  /** PostgreSQL orders uuid values byte by byte, as unsigned numbers. */
  private static int compareAsPostgres(UUID a, UUID b) {
    int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return high != 0
        ? high
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  private Instant aMinuteFromNow() {
    return clock.instant().plus(Duration.ofMinutes(1));
  }

  private void record(int count, String action, Actor actor, Instant claimed) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(builder.build(input(action, claimed), EventContext.of(actor)));
    }
    store.store(events, false);
  }

  /** Records events that a catalog holding every unplanned event holds. */
  private void recordHeld(int count, String action, Instant claimed) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(builder.build(input(action, claimed), EventContext.of(Actor.user(1))));
    }
    store.store(
        events,
        null,
        true,
        List.of(),
        CatalogRules.of(
            1,
            new Catalog(
                new Policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
                List.of()),
            store.redactor()));
  }

  private static EventInput input(String action, Instant claimed) {
    return new EventInput(
        "myFeature",
        action,
        claimed,
        new EventInput.Client("VSCode", "1.90.0"),
        EventInput.Parameters.of(0, Map.of()),
        null);
  }

  private static EventContext context() {
    return EventContext.of(Actor.unknown());
  }

  private long count(String action) {
    return db.queryLong("SELECT count(*) FROM event_logs WHERE action = '" + action + "'");
  }
}
