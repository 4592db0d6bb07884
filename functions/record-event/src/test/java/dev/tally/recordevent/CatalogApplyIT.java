package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A catalog file applied through the deployed function (the real invoker, its classpath, its
 * configuration): YAML read, an invalid file refused, held events released.
 */
@ExtendWith(PostgresExtension.class)
class CatalogApplyIT {
  private static final String APPLY =
      """
      mutation Apply($document: String!) { telemetry { applyCatalog(document: $document) {
        version released diff { fromVersion newlyExported entryChanges } } } }
      """;

  private static TestDatabase db;
  private static RecordEventUnderTest recordEvent;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    recordEvent = RecordEventUnderTest.start(db, 7, Map.of());
    db.execute("INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  @AfterAll
  static void stop() throws Exception {
    if (recordEvent != null) {
      recordEvent.close();
    }
  }

  @Test
  void applyCatalog_throughTheFunction_refusesWhatItMust_andReleasesHeldEvents() throws Exception {
    String v1 =
        """
        # hold what is not planned
        policy: {unplannedEvents: hold}
        events:
          - {feature: chat, action: sent, status: proposed, owner: chat-team}
        """;
    JsonNode refused = recordEvent.graphQl(recordEvent.userToken(), APPLY, Map.of("document", v1));
    assertEquals("FORBIDDEN", refused.at("/errors/0/extensions/code").asText(), refused.toString());

    JsonNode invalid =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            APPLY,
            Map.of("document", "policy: {unplannedEvents: always}"));
    assertEquals("INVALID_CATALOG", invalid.at("/errors/0/extensions/code").asText());
    assertTrue(
        invalid
            .at("/errors/0/extensions/problems/0")
            .asText()
            .startsWith("policy.unplannedEvents: must be one of off, shadow, hold"),
        invalid.toString());

    assertEquals(
        1,
        recordEvent
            .graphQl(recordEvent.adminToken(), APPLY, Map.of("document", v1))
            .at("/data/telemetry/applyCatalog/version")
            .asInt());
    // Recorded through the function, which held it by version 1 at once: the apply installed it.
    JsonNode recorded =
        recordEvent.graphQl(
            recordEvent.userToken(),
            "mutation R($e: [TelemetryEventInput!]!) { telemetry { recordEvents(events: $e) {"
                + " alwaysNil } } }",
            Map.of(
                "e",
                List.of(
                    Map.of(
                        "feature",
                        "chat",
                        "action",
                        "sent",
                        "source",
                        Map.of("client", "VSCode.Cody"),
                        "parameters",
                        Map.of("version", 1)))));
    assertTrue(recorded.path("errors").isMissingNode(), recorded.toString());
    String id = db.queryString("SELECT event_id::text FROM event_logs WHERE name = 'chat.sent'");
    assertEquals(id, db.queryString("SELECT event_id::text FROM held_events"), "held");
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));

    JsonNode applied =
        recordEvent.graphQl(
            recordEvent.adminToken(),
            APPLY,
            Map.of("document", v1.replace("status: proposed", "status: approved")));

    JsonNode answer = applied.at("/data/telemetry/applyCatalog");
    assertEquals(2, answer.at("/version").asInt(), applied.toString());
    assertEquals(1, answer.at("/released").asInt());
    assertEquals(1, answer.at("/diff/fromVersion").asInt());
    assertEquals(1, answer.at("/diff/newlyExported").asInt());
    assertEquals(
        "chat.sent: status proposed -> approved", answer.at("/diff/entryChanges/0").asText());
    assertEquals(
        id,
        db.queryString("SELECT id::text FROM telemetry_events_export_queue"),
        "queued for export");
    assertEquals(0, db.queryLong("SELECT count(*) FROM held_events"));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_logs WHERE kept_local_reason IS NULL"));
  }
}
