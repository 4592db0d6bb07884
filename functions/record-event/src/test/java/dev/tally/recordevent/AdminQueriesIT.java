package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The administrator's GraphQL fields the console is built on (usage, exportStatus,
 * setExportEnabled, recordedEvent), through the real invoker and a real PostgreSQL.
 */
@ExtendWith(PostgresExtension.class)
class AdminQueriesIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static RecordEventUnderTest recordEvent;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    recordEvent =
        RecordEventUnderTest.start(
            db,
            7,
            Map.of(
                "TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "exampleFeature::exampleAction::shown"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (recordEvent != null) {
      recordEvent.close();
    }
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags, feature_flag_overrides,"
            + " event_usage_daily, event_usage_users, event_usage_last_seen,"
            + " telemetry_export_runs;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  private static Map<String, Object> event(
      String feature, String action, String client, Instant timestamp) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", client, "clientVersion", "2.0"));
    event.put("parameters", Map.of("version", 1));
    if (timestamp != null) {
      event.put("timestamp", timestamp.toString());
    }
    return event;
  }

  private static void record(String token, List<Map<String, Object>> events) throws Exception {
    JsonNode answer =
        recordEvent.graphQl(
            token,
            "mutation($events: [TelemetryEventInput!]!) {"
                + " telemetry { recordEvents(events: $events) { alwaysNil } } }",
            Map.of("events", events));
    assertFalse(answer.has("errors"), answer.toString());
  }

  @Test
  void usage_countsTheRecordedEventsByDayFeatureUserAndClient() throws Exception {
    Instant now = Instant.now();
    Instant twoDaysAgo = now.minus(Duration.ofDays(2));
    List<Map<String, Object>> mine = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      mine.add(event("search", "submitted", "VSCode", now));
    }
    mine.add(event("cody.chat", "opened", "VSCode", twoDaysAgo));
    record(recordEvent.userToken(), mine);
    record(recordEvent.adminToken(), List.of(event("search", "submitted", "JetBrains", now)));

    JsonNode usage =
        recordEvent
            .graphQl(
                recordEvent.adminToken(),
                """
                { telemetry { usage(days: 7) {
                    from to pendingEvents
                    eventsByDay(features: 1) { features days { day events other
                      byFeature { feature events } } }
                    topEvents { feature action events users }
                    activeUsers { daily { signedIn anonymous } monthly { signedIn anonymous } }
                    clients { client version events } } } }
                """,
                Map.of())
            .path("data")
            .path("telemetry")
            .path("usage");

    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    assertEquals(today.toString(), usage.path("to").asText());
    assertEquals(today.minusDays(6).toString(), usage.path("from").asText());
    assertEquals(0, usage.path("pendingEvents").asInt());
    JsonNode byDay = usage.path("eventsByDay");
    assertEquals("[\"search\"]", byDay.path("features").toString());
    assertEquals(7, byDay.path("days").size());
    Map<String, Integer> totals = new HashMap<>();
    for (JsonNode day : byDay.path("days")) {
      totals.put(day.path("day").asText(), day.path("events").asInt());
    }
    assertEquals(4, totals.get(today.toString()));
    assertEquals(1, totals.get(today.minusDays(2).toString()));
    JsonNode twoDaysBack = byDay.path("days").path(4);
    assertEquals(today.minusDays(2).toString(), twoDaysBack.path("day").asText());
    assertEquals(1, twoDaysBack.path("other").asInt(), "cody.chat is not among the top 1");
    assertEquals(
        JSON.readTree(
            "[{\"feature\":\"search\",\"action\":\"submitted\",\"events\":4,\"users\":2},"
                + "{\"feature\":\"cody.chat\",\"action\":\"opened\",\"events\":1,\"users\":1}]"),
        usage.path("topEvents"));
    assertEquals(2, usage.path("activeUsers").path("daily").path("signedIn").asInt());
    assertEquals(0, usage.path("activeUsers").path("monthly").path("anonymous").asInt());
    assertEquals(
        JSON.readTree(
            "[{\"client\":\"VSCode\",\"version\":\"2.0\",\"events\":4},"
                + "{\"client\":\"JetBrains\",\"version\":\"2.0\",\"events\":1}]"),
        usage.path("clients"));
  }

  /** Random letters: text that PostgreSQL cannot compress to fit an index entry. */
  private static String randomLetters(int length) {
    java.util.Random random = new java.util.Random(length);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    return text.toString();
  }

  @Test
  void aClientNameTooLongForTheRollups_isRefusedAtTheDoor_andOldRowsLikeItBreakNothing()
      throws Exception {
    String client = randomLetters(6000);
    Map<String, Object> attack = new LinkedHashMap<>();
    attack.put("feature", "ab");
    attack.put("action", "cd");
    attack.put("source", Map.of("client", client));
    attack.put("parameters", Map.of("version", 0));
    GraphQlClient.Answer refused =
        recordEvent
            .client()
            .postBody(
                "/.api/graphql",
                JSON.writeValueAsString(
                    Map.of(
                        "query",
                        "mutation($e:[TelemetryEventInput!]!){telemetry{"
                            + "recordEvents(events:$e){alwaysNil}}}",
                        "variables",
                        Map.of("e", List.of(attack)))),
                "X-Sourcegraph-Actor-Anonymous-UID",
                "attacker");

    assertEquals(413, refused.status(), refused.text());
    assertEquals(
        "'source.client' may be at most 128 bytes long (UTF-8), got 6000", refused.firstError());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));

    // A row like it, stored before the bound existed, and a normal event after it.
    db.execute(
        "INSERT INTO event_logs (event_id, name, feature, action, timestamp, anonymous_user_id,"
            + " source, client, version) VALUES (gen_random_uuid(), 'ab.cd', 'ab', 'cd', now(),"
            + " 'attacker', '"
            + client
            + "', '"
            + client
            + ":"
            + client
            + "', 'x')");
    record(recordEvent.userToken(), List.of(event("search", "submitted", "VSCode", null)));

    JsonNode usage =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            "{ telemetry { usage(days: 7) { clients { client events } } } }",
            Map.of());
    assertFalse(usage.has("errors"), usage.toString());
    assertEquals(
        JSON.readTree(
            "[{\"client\":\"VSCode\",\"events\":1},{\"client\":\""
                + client.substring(0, 127)
                + "\u2026\",\"events\":1}]"),
        usage.path("data").path("telemetry").path("usage").path("clients"));

    JsonNode erased =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            "mutation { telemetry { erasePersonalData(anonymousUserID: \"attacker\") {"
                + " eventLogs usageRows } } }",
            Map.of());
    assertFalse(erased.has("errors"), erased.toString());
    assertEquals(
        1,
        erased.path("data").path("telemetry").path("erasePersonalData").path("eventLogs").asInt());
    assertEquals(1, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  @Test
  void aUsageReadTheDatabaseFails_saysWhatFailed_notThatNothingWasRecorded() throws Exception {
    record(recordEvent.userToken(), List.of(event("search", "submitted", "VSCode", null)));
    try (AutoCloseable refused = db.refuseUsageRollups()) {
      GraphQlClient.Answer response =
          recordEvent
              .client()
              .postBody(
                  "/.api/graphql",
                  "{\"query\":\"{ telemetry { usage(days: 7) { from } } }\"}",
                  "Authorization",
                  "token " + recordEvent.adminToken());

      assertEquals(500, response.status(), response.text());
      JsonNode error = response.body().path("errors").path(0);
      assertEquals(
          "internal error: could not count recorded events into the usage rollups: the database"
              + " refused a value (SQLState 54000)",
          error.path("message").asText());
      assertEquals("INTERNAL", error.path("extensions").path("code").asText());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{ telemetry { usage { from } } }",
        "{ telemetry { exportStatus { enabled } } }",
        "{ telemetry { recordedEvent(id: \"0190d4b0-0000-7000-8000-000000000000\") { id } } }",
        "mutation { telemetry { setExportEnabled(enabled: false) { enabled } } }"
      })
  void adminFields_refuseUsersAndAnonymousVisitorsWithForbidden(String query) throws Exception {
    for (String token : new String[] {recordEvent.userToken(), null}) {
      JsonNode answer = recordEvent.graphQl(token, query, Map.of());

      assertEquals(
          "FORBIDDEN", answer.path("errors").path(0).path("extensions").path("code").asText());
      assertTrue(
          answer.path("errors").path(0).path("message").asText().contains("site-admin"),
          answer.toString());
    }
    assertEquals(
        "true", db.queryString("SELECT enabled::text FROM feature_flags"), "nothing changed");
  }

  @Test
  void setExportEnabled_flipsTheInstanceFlagAndLaterEventsStayOutOfTheQueue() throws Exception {
    JsonNode off =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            "mutation { telemetry { setExportEnabled(enabled: false) { enabled backlog } } }",
            Map.of());

    assertEquals(
        false,
        off.path("data")
            .path("telemetry")
            .path("setExportEnabled")
            .path("enabled")
            .asBoolean(true));
    assertEquals(
        "false",
        db.queryString("SELECT enabled::text FROM feature_flags WHERE name = 'telemetry-export'"));
    record(recordEvent.userToken(), List.of(event("search", "submitted", "VSCode", null)));
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));

    recordEvent.graphQl(
        recordEvent.adminToken(),
        "mutation { telemetry { setExportEnabled(enabled: true) { enabled } } }",
        Map.of());
    assertEquals(
        "true",
        db.queryString("SELECT enabled::text FROM feature_flags WHERE name = 'telemetry-export'"));
  }

  @Test
  void setExportEnabled_isRefusedInARequestThatRecordsEvents() throws Exception {
    JsonNode answer =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            "mutation($events: [TelemetryEventInput!]!) { telemetry {"
                + " recordEvents(events: $events) { alwaysNil }"
                + " setExportEnabled(enabled: false) { enabled } } }",
            Map.of("events", List.of(event("search", "submitted", "VSCode", null))));

    assertTrue(answer.toString().contains("cannot be sent in a request that records events"));
    assertEquals(
        "true",
        db.queryString("SELECT enabled::text FROM feature_flags WHERE name = 'telemetry-export'"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  @Test
  void exportStatus_showsTheQueueAndTheRecentRuns() throws Exception {
    record(recordEvent.userToken(), List.of(event("search", "submitted", "VSCode", null)));
    record(recordEvent.userToken(), List.of(event("search", "submitted", "VSCode", null)));
    record(recordEvent.userToken(), List.of(event("search", "exported", "VSCode", null)));
    db.execute(
        "UPDATE telemetry_events_export_queue SET exported_at = now() WHERE id ="
            + " (SELECT event_id FROM event_logs WHERE action = 'exported')");
    new ExportRuns(db.dataSource())
        .record(
            new ExportRuns.Run(
                Instant.parse("2024-05-01T10:00:00Z"), 120, 5, 1, 2, 3L, "gateway unavailable"));

    JsonNode status =
        recordEvent
            .graphQl(
                recordEvent.adminToken(),
                "{ telemetry { exportStatus { enabled usersOverridingOn usersOverridingOff backlog"
                    + " oldestUnexportedSeconds exportedKept setAside recentRuns(first: 5) {"
                    + " startedAt durationMs exported failed setAside backlog error } } } }",
                Map.of())
            .path("data")
            .path("telemetry")
            .path("exportStatus");

    assertTrue(status.path("enabled").asBoolean());
    assertEquals(2, status.path("backlog").asInt());
    assertTrue(status.path("oldestUnexportedSeconds").isInt());
    assertEquals(1, status.path("exportedKept").asInt());
    assertEquals(
        JSON.readTree(
            "[{\"startedAt\":\"2024-05-01T10:00:00.000Z\",\"durationMs\":120,\"exported\":5,"
                + "\"failed\":1,\"setAside\":2,\"backlog\":3,\"error\":\"gateway unavailable\"}]"),
        status.path("recentRuns"));
    // Without the kept exported events, which are counted only when asked for.
    JsonNode withoutKept =
        recordEvent
            .graphQl(
                recordEvent.adminToken(),
                "{ telemetry { exportStatus { backlog setAside } } }",
                Map.of())
            .path("data")
            .path("telemetry")
            .path("exportStatus");
    assertEquals(JSON.readTree("{\"backlog\":2,\"setAside\":0}"), withoutKept);
  }

  @Test
  void recordedEvent_showsTheStoredFormBesideTheRedactedExportedForm() throws Exception {
    Map<String, Object> allowlisted = event("exampleFeature", "exampleAction", "VSCode", null);
    allowlisted.put(
        "parameters",
        Map.of("version", 1, "privateMetadata", Map.of("shown", "yes", "secret", "repo:private")));
    allowlisted.put("marketingTracking", Map.of("url", "https://example.com/campaign"));
    record(recordEvent.userToken(), List.of(allowlisted));
    String id = db.queryString("SELECT event_id::text FROM event_logs");
    String query =
        "query($id: ID!) { telemetry { recordedEvent(id: $id) {"
            + " id name exportState exportedAt stored exported } } }";

    JsonNode waiting =
        recordEvent
            .graphQl(recordEvent.adminToken(), query, Map.of("id", id))
            .path("data")
            .path("telemetry")
            .path("recordedEvent");

    assertEquals("exampleFeature.exampleAction", waiting.path("name").asText());
    assertEquals("WAITING", waiting.path("exportState").asText());
    assertEquals(
        JSON.readTree("{\"shown\":\"yes\",\"secret\":\"repo:private\"}"),
        waiting.path("stored").path("argument"));
    assertEquals("https://example.com/campaign", waiting.path("stored").path("url").asText());
    JsonNode exported = waiting.path("exported");
    assertEquals(id, exported.path("id").asText());
    assertEquals(
        JSON.readTree("{\"shown\":\"yes\"}"), exported.path("parameters").path("privateMetadata"));
    assertFalse(exported.has("marketingTracking"), exported.toString());
    assertFalse(exported.toString().contains("repo:private"), exported.toString());

    ExportQueue queue = new ExportQueue(db.dataSource(), Clock.systemUTC());
    UUID owner = UUID.randomUUID();
    queue.markExported(
        owner,
        queue.claim(owner, 10, Duration.ofMinutes(1)).events().stream()
            .filter(queued -> queued.id().toString().equals(id))
            .toList());
    JsonNode sent =
        recordEvent
            .graphQl(recordEvent.adminToken(), query, Map.of("id", id))
            .path("data")
            .path("telemetry")
            .path("recordedEvent");
    assertEquals("EXPORTED", sent.path("exportState").asText());
    assertFalse(sent.path("exportedAt").isNull());
  }

  @Test
  void recordedEvent_isNullForAnUnknownIdAndRefusesWhatIsNoId() throws Exception {
    JsonNode unknown =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            "{ telemetry { recordedEvent(id: \"" + UUID.randomUUID() + "\") { id } } }",
            Map.of());
    assertTrue(unknown.path("data").path("telemetry").path("recordedEvent").isNull());
    assertFalse(unknown.has("errors"));

    JsonNode malformed =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            "{ telemetry { recordedEvent(id: \"nope\") { id } } }",
            Map.of());
    assertEquals(
        "BAD_ARGUMENT", malformed.path("errors").path(0).path("extensions").path("code").asText());
  }
}
