package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.event.EventLimits;
import dev.tally.legacy.LegacyEventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.record.RecordingRequest;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import dev.tally.usage.UsageRollup;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The retention of {@code event_logs} ({@code TELEMETRY_EVENT_LOGS_RETENTION_DAYS}), applied by the
 * export function's cleanup, through the real invoker and a real PostgreSQL. A row's age is when it
 * arrived on the instance (the time in its UUIDv7 event ID), never the timestamp its client
 * claimed. Neither function has a gateway: cleanup runs with export off too.
 */
@ExtendWith(PostgresExtension.class)
class EventLogsRetentionIT {
  private static final int RETENTION_DAYS = 30;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;

  /** Keeps event_logs rows for {@value #RETENTION_DAYS} days. */
  private static FunctionProcess pruning;

  /** Retention 0: keeps event_logs rows until they are erased. */
  private static FunctionProcess keeping;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    pruning = startExport(RETENTION_DAYS);
    keeping = startExport(0);
  }

  private static FunctionProcess startExport(int retentionDays) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    env.put("TELEMETRY_EVENT_LOGS_RETENTION_DAYS", String.valueOf(retentionDays));
    // Every run cleans up, instead of one per 30 minutes across all exporters.
    env.put("TELEMETRY_GATEWAY_EXPORTER_QUEUE_CLEANUP_INTERVAL", "0s");
    return FunctionProcess.start("export", "dev.tally.exportfn.ExportFunction", env);
  }

  @AfterAll
  static void stop() throws Exception {
    for (FunctionProcess function : new FunctionProcess[] {pruning, keeping}) {
      if (function != null) {
        function.close();
      }
    }
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, event_usage_daily,"
            + " event_usage_users, event_usage_last_seen;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)"
            + " ON CONFLICT (name) DO NOTHING");
  }

  /** The rows of one test: which arrived before the retention and which after. */
  private record Arrivals(List<String> old, List<String> recent) {}

  /**
   * Records, as the record path does at the given arrival times: events that arrived {@value
   * #RETENTION_DAYS} + 1 days ago but whose client claims they happened now, and a legacy event of
   * that day; events that arrived {@value #RETENTION_DAYS} - 1 days ago whose client dates them two
   * months back; and events that arrived now.
   */
  private static Arrivals recordOldAndRecentEvents() {
    Instant now = Instant.now();
    Instant beforeRetention = now.minus(Duration.ofDays(RETENTION_DAYS + 1));
    Instant withinRetention = now.minus(Duration.ofDays(RETENTION_DAYS - 1));
    List<String> old = new ArrayList<>();
    old.addAll(record(beforeRetention, Actor.user(7), 3, now));
    old.add(recordLegacy(beforeRetention, "old-visitor"));
    List<String> recent = new ArrayList<>();
    recent.addAll(record(withinRetention, Actor.user(8), 2, now.minus(Duration.ofDays(60))));
    recent.addAll(record(now, Actor.user(9), 2, null));
    return new Arrivals(old, recent);
  }

  @Test
  void oneExportRun_deletesTheRowsThatArrivedBeforeTheRetention_andReportsHowMany()
      throws Exception {
    Arrivals arrivals = recordOldAndRecentEvents();
    new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(30));
    int logFrom = pruning.output().length();

    JsonNode run = runExport(pruning);

    assertEquals(true, run.path("cleanupRan").asBoolean(), run.toString());
    assertEquals(arrivals.old().size(), run.path("prunedEventLogs").asLong(), run.toString());
    assertEquals(sorted(arrivals.recent()), eventIds(), "the recent rows are kept, only they");
    JsonNode line = exportRunLine(pruning, logFrom);
    assertEquals(arrivals.old().size(), line.path("prunedEventLogs").asLong(), line.toString());
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM event_usage_last_seen WHERE user_key = 'a:old-visitor'"),
        "the usage rows of a visitor last seen before the retention go too");
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_usage_last_seen WHERE user_key = 'u:9'"));

    JsonNode again = runExport(pruning);

    assertEquals(0, again.path("prunedEventLogs").asLong(), again.toString());
    assertEquals(sorted(arrivals.recent()), eventIds());
  }

  @Test
  void oneExportRun_keepsTheDailyCountsOfWhatItPrunes_evenWhenUsageWasNotReadSince()
      throws Exception {
    Arrivals arrivals = recordOldAndRecentEvents();
    int recorded = arrivals.old().size() + arrivals.recent().size();

    JsonNode run = runExport(pruning);
    // What the usage report does first: count what was recorded since it was last read.
    new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(30));

    assertEquals(arrivals.old().size(), run.path("prunedEventLogs").asLong(), run.toString());
    assertEquals(
        recorded,
        db.queryLong("SELECT coalesce(sum(events), 0) FROM event_usage_daily"),
        "the daily event counts, which name nobody, keep the pruned events");
  }

  @Test
  void retentionZero_prunesNothing() throws Exception {
    Arrivals arrivals = recordOldAndRecentEvents();
    int logFrom = keeping.output().length();

    JsonNode run = runExport(keeping);

    assertEquals(true, run.path("cleanupRan").asBoolean(), run.toString());
    assertEquals(0, run.path("prunedEventLogs").asLong(), run.toString());
    List<String> all = new ArrayList<>(arrivals.old());
    all.addAll(arrivals.recent());
    assertEquals(sorted(all), eventIds());
    assertEquals(0, exportRunLine(keeping, logFrom).path("prunedEventLogs").asLong());
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Records {@code count} events for {@code actor} on an instance whose clock reads {@code
   * arrival}, dated {@code claimed} by their client ({@code null}: the arrival).
   *
   * @return their event IDs
   */
  private static List<String> record(Instant arrival, Actor actor, int count, Instant claimed) {
    List<EventInput> inputs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inputs.add(
          new EventInput(
              "search",
              "submitted",
              claimed,
              new EventInput.Client("VSCode", "1.90.0"),
              EventInput.Parameters.of(1, Map.of("i", i)),
              null));
    }
    return recorder(arrival).record(inputs, actor, null, null).stream().map(Event::getId).toList();
  }

  /** Records a pre-V2 event of an anonymous visitor at {@code arrival}; returns its ID. */
  private static String recordLegacy(Instant arrival, String visitor) {
    RecordingRequest request = recorder(arrival).begin(Actor.anonymous(visitor), null, null);
    request.addLegacy(List.of(LegacyEventInput.userEvent("SEARCHQUERY", visitor)));
    request.commit();
    return request.legacyEvents().get(0).id().toString();
  }

  /** A recorder whose clock reads {@code arrival}, and that takes client times months apart. */
  private static EventRecorder recorder(Instant arrival) {
    EventLimits window =
        new EventLimits(65536, 32768, 100, 128, 10, 1000, Duration.ofDays(90), Duration.ofDays(90));
    return new EventRecorder(
        new EventBuilder(new MutableClock(arrival), "1.0.0"),
        new FeatureFlags(db.dataSource()),
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())),
        new RecordingLimits(100, window));
  }

  private static JsonNode runExport(FunctionProcess function) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(function.uri("/"))
                    .timeout(Duration.ofMinutes(2))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  /** The one "export run" line the function logged after {@code from}. */
  private static JsonNode exportRunLine(FunctionProcess function, int from) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : function.output().substring(from).split("\n")) {
      if (line.contains("\"message\":\"export run\"")) {
        lines.add(JSON.readTree(line));
      }
    }
    assertEquals(1, lines.size(), "one export run line: " + lines);
    assertTrue(lines.get(0).has("prunedEventLogs"), lines.get(0).toString());
    return lines.get(0);
  }

  private static List<String> eventIds() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT event_id FROM event_logs")) {
      while (rows.next()) {
        ids.add(rows.getObject(1, UUID.class).toString());
      }
    }
    return sorted(ids);
  }

  private static List<String> sorted(List<String> ids) {
    return ids.stream().sorted().toList();
  }
}
