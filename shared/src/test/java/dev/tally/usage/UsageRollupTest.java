package dev.tally.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The usage rollups against a real PostgreSQL, compared with what event_logs holds. */
@ExtendWith(PostgresExtension.class)
class UsageRollupTest {
  private static final LocalDate MAY_1 = LocalDate.parse("2024-05-01");
  private static final LocalDate MAY_3 = LocalDate.parse("2024-05-03");

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final EventBuilder builder = new EventBuilder(clock, "5.3.0");
  private final TeeStore store;
  private final UsageQueries queries;

  UsageRollupTest(TestDatabase db) {
    this.db = db;
    this.store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
    this.queries = new UsageQueries(db.dataSource());
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, event_usage_daily, event_usage_users, event_usage_last_seen"
            + " RESTART IDENTITY;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0, refreshed_at = NULL");
  }

  private Event event(String feature, String action, String client, String version, Actor actor) {
    return builder.build(
        new EventInput(
            feature,
            action,
            null,
            new EventInput.Client(client, version),
            EventInput.Parameters.of(1, Map.of()),
            null),
        EventContext.of(actor));
  }

  private void record(int times, String feature, String action, Actor actor) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.add(event(feature, action, "VSCode", "1.90.0", actor));
    }
    store.store(events, false);
  }

  private UsageRollup rollup() {
    return new UsageRollup(db.dataSource(), clock);
  }

  /** Inserts one event the way recording does, on {@code connection}, as it is. */
  private void insertDirectly(Connection connection, String feature, String action)
      throws Exception {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO event_logs (event_id, name, feature, action, timestamp,"
                + " anonymous_user_id, source, version)"
                + " VALUES (gen_random_uuid(), ?, ?, ?, ?, 'unknown', 'BACKEND', 'x')")) {
      insert.setString(1, feature + "." + action);
      insert.setString(2, feature);
      insert.setString(3, action);
      insert.setTimestamp(4, java.sql.Timestamp.from(clock.instant()));
      insert.executeUpdate();
    }
  }

  /**
   * Returns once another session is waiting for the transactions writing event_logs: polling the
   * locks they hold, or waiting for a lock of its own.
   */
  private void awaitRefreshWaitingForWriters() throws Exception {
    long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement waiting =
            connection.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity"
                    + " WHERE pid <> pg_backend_pid() AND datname = current_database()"
                    + " AND (query LIKE '%FROM pg_locks%' OR wait_event_type = 'Lock')")) {
      while (true) {
        try (ResultSet rs = waiting.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            return;
          }
        }
        if (System.nanoTime() - giveUp >= 0) {
          fail("no refresh started waiting within a minute");
        }
        Thread.sleep(10);
      }
    }
  }

  /** Events per UTC day and name as event_logs counts them. */
  private Map<String, Long> countedInEventLogs() throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT (timestamp AT TIME ZONE 'UTC')::date || ' ' || name, count(*)"
                    + " FROM event_logs GROUP BY 1");
        ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    return counts;
  }

  /** The same from the rollups. */
  private Map<String, Long> countedInRollups() {
    Map<String, Long> counts = new TreeMap<>();
    for (UsageQueries.EventUsage usage :
        queries.topEvents(LocalDate.parse("2000-01-01"), LocalDate.parse("2100-01-01"), 1000)) {
      counts.put(usage.feature() + "." + usage.action(), usage.events());
    }
    Map<String, Long> byDay = new TreeMap<>();
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT day || ' ' || feature || '.' || action, sum(events)"
                    + " FROM event_usage_daily GROUP BY 1");
        ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        byDay.put(rs.getString(1), rs.getLong(2));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return byDay;
  }

  @Test
  void refresh_countsEveryEventOnceByDayFeatureAndClient() throws Exception {
    record(3, "search", "submitted", Actor.user(1));
    record(2, "search", "submitted", Actor.user(2));
    clock.set(Instant.parse("2024-05-03T23:59:59Z"));
    record(4, "cody.chat", "opened.panel", Actor.anonymous("visitor-1"));
    store.store(List.of(event("search", "submitted", "JetBrains", null, Actor.unknown())), false);

    UsageRollup.Refresh refresh = rollup().refresh(Duration.ofSeconds(30));

    assertEquals(new UsageRollup.Refresh(10, 0), refresh);
    assertEquals(countedInEventLogs(), countedInRollups());
    assertEquals(
        List.of(
            new UsageQueries.FeatureDay(MAY_1, "search", 5),
            new UsageQueries.FeatureDay(MAY_3, "cody.chat", 4),
            new UsageQueries.FeatureDay(MAY_3, "search", 1)),
        queries.eventsByDayAndTopFeatures(MAY_1, MAY_3, 5));
    // search has the most events over the range: cody.chat counts among the others.
    assertEquals(
        List.of(
            new UsageQueries.FeatureDay(MAY_1, "search", 5),
            new UsageQueries.FeatureDay(MAY_3, null, 4),
            new UsageQueries.FeatureDay(MAY_3, "search", 1)),
        queries.eventsByDayAndTopFeatures(MAY_1, MAY_3, 1));
    assertEquals(
        List.of(
            new UsageQueries.EventUsage("search", "submitted", 6, 2),
            new UsageQueries.EventUsage("cody.chat", "opened.panel", 4, 1)),
        queries.topEvents(MAY_1, MAY_3, 10));
    assertEquals(
        List.of(
            new UsageQueries.ClientUsage("VSCode", "1.90.0", 9),
            new UsageQueries.ClientUsage("JetBrains", "", 1)),
        queries.clients(MAY_1, MAY_3, 10));
  }

  @Test
  void refresh_addsOnlyWhatWasRecordedSinceTheLastOne() throws Exception {
    record(3, "search", "submitted", Actor.user(1));
    rollup().refresh(Duration.ofSeconds(30));
    assertEquals(new UsageRollup.Refresh(0, 0), rollup().refresh(Duration.ofSeconds(30)));

    record(2, "search", "submitted", Actor.user(1));
    record(1, "search", "cancelled", Actor.user(3));
    UsageRollup.Refresh second = rollup().refresh(Duration.ofSeconds(30));

    assertEquals(new UsageRollup.Refresh(3, 0), second);
    assertEquals(countedInEventLogs(), countedInRollups());
    assertEquals(
        List.of(
            new UsageQueries.EventUsage("search", "submitted", 5, 1),
            new UsageQueries.EventUsage("search", "cancelled", 1, 1)),
        queries.topEvents(MAY_1, MAY_1, 10));
  }

  @Test
  void refresh_neverSkipsARowWhoseTransactionCommitsAfterAHigherOne() throws Exception {
    try (Connection slow = db.dataSource().getConnection()) {
      slow.setAutoCommit(false);
      // Takes the lower id and stays open, as a slow recording transaction would.
      insertDirectly(slow, "slow", "event");
      record(1, "fast", "event", Actor.user(1));

      // The open transaction holds the watermark back: nothing is counted, and it says so.
      UsageRollup.Refresh blocked = rollup().refresh(Duration.ofSeconds(30));
      assertEquals(new UsageRollup.Refresh(0, 1), blocked);

      slow.commit();
    }
    UsageRollup.Refresh after = rollup().refresh(Duration.ofSeconds(30));

    assertEquals(new UsageRollup.Refresh(2, 0), after);
    assertEquals(countedInEventLogs(), countedInRollups());
  }

  @Test
  void refreshesWhileFourClientsRecord_countEveryEventExactlyOnce() throws Exception {
    int clients = 4;
    int batches = 40;
    ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
    try {
      List<Future<?>> recorders = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        Actor actor = Actor.user(c + 1);
        recorders.add(
            pool.submit(
                () -> {
                  for (int b = 0; b < batches; b++) {
                    record(5, "load", List.of("viewed", "clicked", "closed").get(b % 3), actor);
                  }
                  return null;
                }));
      }
      AtomicBoolean recording = new AtomicBoolean(true);
      Future<Long> refreshes =
          pool.submit(
              () -> {
                long counted = 0;
                while (recording.get()) {
                  counted += rollup().refresh(Duration.ofSeconds(30)).counted();
                }
                return counted;
              });
      for (Future<?> recorder : recorders) {
        recorder.get(2, TimeUnit.MINUTES);
      }
      recording.set(false);
      long countedMeanwhile = refreshes.get(2, TimeUnit.MINUTES);
      long countedAfter = rollup().refresh(Duration.ofSeconds(30)).counted();

      assertEquals(clients * batches * 5L, countedMeanwhile + countedAfter);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(countedInEventLogs(), countedInRollups());
  }

  @Test
  void refresh_waitingForASlowRecording_neverHoldsBackAnotherOne() throws Exception {
    UsageRollup patient =
        new UsageRollup(db.dataSource(), clock, UsageRollup.CHUNK, Duration.ofMinutes(5));
    ExecutorService refresher = Executors.newSingleThreadExecutor();
    try (Connection slow = db.dataSource().getConnection()) {
      slow.setAutoCommit(false);
      insertDirectly(slow, "slow", "event");
      record(1, "fast", "event", Actor.user(1));
      Future<UsageRollup.Refresh> waiting =
          refresher.submit(() -> patient.refresh(Duration.ofMinutes(5)));
      awaitRefreshWaitingForWriters();

      // A recording while the refresh waits goes through at once: a refresh that queued a lock on
      // event_logs behind the slow transaction would hold this insert back past its lock timeout.
      try (Connection another = db.dataSource().getConnection()) {
        try (Statement statement = another.createStatement()) {
          statement.execute("SET lock_timeout = '5s'");
        }
        insertDirectly(another, "during", "refresh");
        try (Statement statement = another.createStatement()) {
          statement.execute("RESET lock_timeout");
        }
      }
      assertFalse(waiting.isDone(), "the refresh counted before the slow recording committed");

      slow.commit();
      // Counts the slow row and the one recorded before the refresh; the later one is not in its
      // watermark.
      assertEquals(new UsageRollup.Refresh(2, 0), waiting.get(1, TimeUnit.MINUTES));
    } finally {
      refresher.shutdownNow();
    }
    assertEquals(new UsageRollup.Refresh(1, 0), rollup().refresh(Duration.ofSeconds(30)));
    assertEquals(countedInEventLogs(), countedInRollups());
  }

  @Test
  void refresh_stopsAtItsBudgetAndReportsWhatIsLeft() throws Exception {
    record(5, "search", "submitted", Actor.user(1));
    UsageRollup small = new UsageRollup(db.dataSource(), clock, 2, UsageRollup.WRITERS_WAIT);

    UsageRollup.Refresh first = small.refresh(Duration.ZERO);
    UsageRollup.Refresh rest = small.refresh(Duration.ofSeconds(30));

    assertEquals(new UsageRollup.Refresh(2, 3), first);
    assertEquals(new UsageRollup.Refresh(3, 0), rest);
    assertEquals(countedInEventLogs(), countedInRollups());
  }

  @Test
  void rowsRecordedBeforeFeatureAndActionWereStored_countUnderTheirName() {
    db.execute(
        "INSERT INTO event_logs (event_id, name, timestamp, anonymous_user_id, source, version)"
            + " VALUES (gen_random_uuid(), 'old.style.name', '2024-05-01T08:00:00Z', 'unknown',"
            + " 'BACKEND', 'x')");

    rollup().refresh(Duration.ofSeconds(30));

    assertEquals(
        List.of(new UsageQueries.EventUsage("old.style.name", "", 1, 0)),
        queries.topEvents(MAY_1, MAY_1, 10));
  }

  @Test
  void distinctUsers_keepTheirLastDayWhenAnOlderEventArrivesLater() {
    clock.set(Instant.parse("2024-05-03T12:00:00Z"));
    record(1, "search", "submitted", Actor.user(1));
    rollup().refresh(Duration.ofSeconds(30));
    clock.set(Instant.parse("2024-04-20T12:00:00Z")); // a client's late, older event
    record(1, "search", "submitted", Actor.user(1));
    rollup().refresh(Duration.ofSeconds(30));

    assertEquals(
        List.of(new UsageQueries.EventUsage("search", "submitted", 1, 1)),
        queries.topEvents(MAY_3, MAY_3, 10));
    assertEquals(new UsageQueries.UserCount(1, 0), queries.activeUsers(MAY_3).daily());
  }

  @Test
  void activeUsers_countSignedInAndAnonymousApartOverDayWeekAndMonth() {
    clock.set(Instant.parse("2024-04-05T12:00:00Z")); // 26 days before May 1: in the month
    record(1, "search", "submitted", Actor.user(1));
    record(1, "search", "submitted", Actor.anonymous("old-visitor"));
    clock.set(Instant.parse("2024-04-28T12:00:00Z")); // in the week
    record(1, "search", "submitted", Actor.user(2));
    clock.set(Instant.parse("2024-05-01T12:00:00Z")); // the day
    record(2, "search", "submitted", Actor.user(3));
    record(1, "search", "submitted", Actor.anonymous("visitor"));
    record(1, "search", "submitted", Actor.unknown());
    clock.set(Instant.parse("2024-03-01T12:00:00Z")); // before the month
    record(1, "search", "submitted", Actor.user(4));

    rollup().refresh(Duration.ofSeconds(30));

    assertEquals(
        new UsageQueries.ActiveUsers(
            new UsageQueries.UserCount(1, 1),
            new UsageQueries.UserCount(2, 1),
            new UsageQueries.UserCount(3, 2)),
        queries.activeUsers(MAY_1));
  }

  /** Random letters: text that PostgreSQL cannot compress to fit an index entry. */
  static String randomLetters(int length, long seed) {
    java.util.Random random = new java.util.Random(seed);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    return text.toString();
  }

  @Test
  void rowsWithValuesTooLongForTheRollupsKeys_areCountedCutAndNeverBlockThem() {
    // Written straight into event_logs, as rows from before the bounds were: a client name and a
    // version of 6,000 random letters, a 4-byte character feature name, and an anonymous ID
    // longer than the rollups name users by.
    String client = randomLetters(6000, 1);
    String version = randomLetters(6000, 2);
    String feature = "\uD83D\uDE00".repeat(300);
    String visitor = randomLetters(1000, 3);
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement insert =
            connection.prepareStatement(
                "INSERT INTO event_logs (event_id, name, feature, action, timestamp, user_id,"
                    + " anonymous_user_id, source, client, version)"
                    + " VALUES (gen_random_uuid(), ?, ?, 'clicked', '2024-05-01T08:00:00Z', ?, ?,"
                    + " ?, ?, 'x')")) {
      for (boolean signedIn : new boolean[] {true, false}) {
        insert.setString(1, feature + ".clicked");
        insert.setString(2, feature);
        insert.setObject(3, signedIn ? 7L : null);
        insert.setString(4, signedIn ? "unknown" : visitor);
        insert.setString(5, client);
        insert.setString(6, client + ":" + version);
        insert.executeUpdate();
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    record(1, "search", "submitted", Actor.anonymous("visitor-1"));

    UsageRollup.Refresh refresh = rollup().refresh(Duration.ofSeconds(30));

    assertEquals(new UsageRollup.Refresh(3, 0), refresh);
    String cutFeature = "\uD83D\uDE00".repeat(127) + UsageRollup.CUT;
    assertEquals(
        List.of(
            new UsageQueries.EventUsage(cutFeature, "clicked", 2, 1),
            new UsageQueries.EventUsage("search", "submitted", 1, 1)),
        queries.topEvents(MAY_1, MAY_1, 10));
    assertEquals(
        List.of(
            new UsageQueries.ClientUsage(
                client.substring(0, 127) + UsageRollup.CUT,
                version.substring(0, 127) + UsageRollup.CUT,
                2),
            new UsageQueries.ClientUsage("VSCode", "1.90.0", 1)),
        queries.clients(MAY_1, MAY_1, 10));
    // The signed-in user is named; the visitor with the over-long ID counts for nobody.
    assertEquals(new UsageQueries.UserCount(1, 1), queries.activeUsers(MAY_1).daily());

    // Recording goes on being counted after them.
    record(2, "search", "submitted", Actor.user(1));
    assertEquals(new UsageRollup.Refresh(2, 0), rollup().refresh(Duration.ofSeconds(30)));
  }
}
