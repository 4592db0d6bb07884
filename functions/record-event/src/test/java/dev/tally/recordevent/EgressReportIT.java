package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The administrator's {@code egressReport} field, and the exported events of one name that its rows
 * link to, through the real invoker and a real PostgreSQL. The ledger's rows are written straight
 * into its tables here; export writes them in its own tests.
 */
@ExtendWith(PostgresExtension.class)
class EgressReportIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String REPORT =
      """
      query($from: String, $to: String, $days: Int) { telemetry {
        egressReport(from: $from, to: $to, days: $days) {
          period { from to } previous { from to } events bytes
          names { feature action events bytes catalogVersions isNew hasNews eventsPath
            fields { field leftEvents withheldEvents newlyLeft } } } } }
      """;

  private static TestDatabase db;
  private static RecordEventUnderTest recordEvent;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    recordEvent = RecordEventUnderTest.start(db, 7, Map.of());
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
        "TRUNCATE egress_ledger, egress_ledger_fields, event_logs, telemetry_events_export_queue,"
            + " feature_flags, feature_flag_overrides;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  @Test
  void egressReport_answersThePeriodTheNamesTheirFieldsAndWhatIsNew() throws Exception {
    db.egressLedger("2026-10-28", "search", "submit", 0, 10, 1_000);
    db.egressLedgerField("2026-10-28", "search", "submit", 0, "privateMetadata.language", 10, 0);
    db.egressLedger("2026-11-01", "search", "submit", 0, 4, 400);
    db.egressLedger("2026-11-07", "search", "submit", 2, 6, 660);
    db.egressLedgerField("2026-11-01", "search", "submit", 0, "privateMetadata.language", 4, 0);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.query", 0, 6);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.repo", 2, 0);
    // More bytes than a 32-bit Int holds: the schema answers bytes as a Float.
    db.egressLedger("2026-11-03", "docs", "view", 0, 3, 5_000_000_000L);
    db.egressLedgerField("2026-11-03", "docs", "view", 0, "marketingTracking.url", 0, 3);

    JsonNode answer =
        recordEvent.graphQl(
            recordEvent.adminToken(), REPORT, vars("from", "2026-11-01", "to", "2026-11-07"));

    assertFalse(answer.has("errors"), answer.toString());
    JsonNode report = answer.path("data").path("telemetry").path("egressReport");
    assertEquals(
        JSON.readTree(
            """
            {"period": {"from": "2026-11-01", "to": "2026-11-07"},
             "previous": {"from": "2026-10-25", "to": "2026-10-31"},
             "events": 13, "bytes": 5.000001060E9,
             "names": [
              {"feature": "search", "action": "submit", "events": 10, "bytes": 1060.0,
               "catalogVersions": [0, 2], "isNew": false, "hasNews": true,
               "eventsPath": "/console/exported?name=search.submit",
               "fields": [
                 {"field": "privateMetadata.language", "leftEvents": 4, "withheldEvents": 0,
                  "newlyLeft": false},
                 {"field": "privateMetadata.query", "leftEvents": 0, "withheldEvents": 6,
                  "newlyLeft": false},
                 {"field": "privateMetadata.repo", "leftEvents": 2, "withheldEvents": 0,
                  "newlyLeft": true}]},
              {"feature": "docs", "action": "view", "events": 3, "bytes": 5.0E9,
               "catalogVersions": [0], "isNew": true, "hasNews": true,
               "eventsPath": "/console/exported?name=docs.view",
               "fields": [{"field": "marketingTracking.url", "leftEvents": 0,
                           "withheldEvents": 3, "newlyLeft": false}]}]}
            """),
        report);
  }

  @Test
  void egressReport_ofTheLastDays_endsToday() throws Exception {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    db.egressLedger(today.toString(), "search", "submit", 0, 1, 10);
    db.egressLedger(today.minusDays(7).toString(), "old", "name", 0, 1, 10);

    JsonNode week = recordEvent.graphQl(recordEvent.adminToken(), REPORT, vars("days", 7));
    JsonNode byDefault = recordEvent.graphQl(recordEvent.adminToken(), REPORT, Map.of());

    JsonNode report = week.path("data").path("telemetry").path("egressReport");
    assertEquals(today.minusDays(6).toString(), report.path("period").path("from").asText());
    assertEquals(today.toString(), report.path("period").path("to").asText());
    assertEquals(1, report.path("names").size(), report.toString());
    JsonNode month = byDefault.path("data").path("telemetry").path("egressReport");
    assertEquals(today.minusDays(29).toString(), month.path("period").path("from").asText());
    assertEquals(2, month.path("events").asInt(), month.toString());
  }

  @Test
  void egressReport_isRefusedToNonAdministrators() throws Exception {
    JsonNode answer = recordEvent.graphQl(recordEvent.userToken(), REPORT, Map.of());

    assertEquals(
        "FORBIDDEN", answer.path("errors").path(0).path("extensions").path("code").asText());
    assertEquals(
        "egressReport needs an access token with the site-admin scope",
        answer.path("errors").path(0).path("message").asText());
  }

  @Test
  void aBadPeriod_isAnErrorNamingWhatToFix() throws Exception {
    Map<Map<String, Object>, String> cases = new LinkedHashMap<>();
    cases.put(
        vars("from", "2026-11-07", "to", "2026-11-01"),
        "the period ends (2026-11-01) before it starts (2026-11-07)");
    cases.put(
        vars("from", "2024-01-01", "to", "2026-01-01"),
        "the period is 732 days long; at most 400 are reported at once");
    cases.put(
        vars("from", "2026-02-30", "to", "2026-03-01"),
        "'from' must be a date as YYYY-MM-DD, got '2026-02-30'");
    cases.put(
        vars("from", "2026-11-01"), "give both 'from' and 'to' (YYYY-MM-DD), or 'days' alone");
    cases.put(
        vars("from", "2026-11-01", "to", "2026-11-02", "days", 7),
        "give either 'from' and 'to', or 'days', not both");
    cases.put(vars("days", 0), "'days' must be between 1 and 400, got 0");
    cases.put(vars("days", 401), "'days' must be between 1 and 400, got 401");

    List<String> messages = new ArrayList<>();
    for (Map<String, Object> variables : cases.keySet()) {
      JsonNode answer = recordEvent.graphQl(recordEvent.adminToken(), REPORT, variables);
      assertEquals(
          "BAD_ARGUMENT",
          answer.path("errors").path(0).path("extensions").path("code").asText(),
          answer.toString());
      messages.add(answer.path("errors").path(0).path("message").asText());
    }

    assertEquals(new ArrayList<>(cases.values()), messages);
  }

  @Test
  void exportedEvents_ofOneName_listOnlyThatName() throws Exception {
    List<Map<String, Object>> events = new ArrayList<>();
    events.add(event("search", "submit"));
    events.add(event("search", "submit"));
    events.add(event("search.sub", "mit"));
    events.add(event("docs", "view"));
    JsonNode recorded =
        recordEvent.graphQl(
            recordEvent.userToken(),
            "mutation($events: [TelemetryEventInput!]!) {"
                + " telemetry { recordEvents(events: $events) { alwaysNil } } }",
            Map.of("events", events));
    assertFalse(recorded.has("errors"), recorded.toString());
    db.execute("UPDATE telemetry_events_export_queue SET exported_at = now()");
    String query =
        "query($name: String) { telemetry { exportedEvents(first: 1, name: $name) {"
            + " totalCount nodes { payload } pageInfo { hasNextPage endCursor } } } }";

    JsonNode search =
        recordEvent.graphQl(recordEvent.adminToken(), query, vars("name", "search.submit"));
    JsonNode all = recordEvent.graphQl(recordEvent.adminToken(), query, Map.of());
    JsonNode none =
        recordEvent.graphQl(recordEvent.adminToken(), query, vars("name", "nothing.here"));

    JsonNode listed = search.path("data").path("telemetry").path("exportedEvents");
    assertEquals(2, listed.path("totalCount").asInt(), search.toString());
    assertEquals("submit", listed.path("nodes").path(0).path("payload").path("action").asText());
    assertEquals("search", listed.path("nodes").path(0).path("payload").path("feature").asText());
    assertEquals(true, listed.path("pageInfo").path("hasNextPage").asBoolean());
    JsonNode second =
        recordEvent
            .graphQl(
                recordEvent.adminToken(),
                "query($name: String, $after: String) { telemetry {"
                    + " exportedEvents(first: 5, name: $name, after: $after) {"
                    + " totalCount nodes { payload } pageInfo { hasNextPage } } } }",
                vars(
                    "name",
                    "search.submit",
                    "after",
                    listed.path("pageInfo").path("endCursor").asText()))
            .path("data")
            .path("telemetry")
            .path("exportedEvents");
    assertEquals(1, second.path("nodes").size(), second.toString());
    assertEquals("search", second.path("nodes").path(0).path("payload").path("feature").asText());
    assertFalse(second.path("pageInfo").path("hasNextPage").asBoolean());
    assertEquals(
        4, all.path("data").path("telemetry").path("exportedEvents").path("totalCount").asInt());
    assertEquals(
        0, none.path("data").path("telemetry").path("exportedEvents").path("totalCount").asInt());
  }

  private static Map<String, Object> event(String feature, String action) {
    Map<String, Object> event = new HashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", "VSCode", "clientVersion", "2.0"));
    event.put("parameters", Map.of("version", 1));
    return event;
  }

  private static Map<String, Object> vars(Object... pairs) {
    Map<String, Object> variables = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      variables.put((String) pairs[i], pairs[i + 1]);
    }
    return variables;
  }
}
