package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.store.AccessTokens;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static final String APPLY =
      """
      mutation Apply($document: String!) { telemetry { applyCatalog(document: $document) {
        version released diff { fromVersion newlyExported entryChanges } } } }
      """;

  private static TestDatabase db;
  private static FunctionProcess function;
  private static String userToken;
  private static String adminToken;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    function = RecordEventProcesses.start(db, Map.of());
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    userToken = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "user").token();
    adminToken =
        tokens
            .create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
            .token();
    db.execute("INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  @AfterAll
  static void stop() throws Exception {
    if (function != null) {
      function.close();
    }
  }

  private static JsonNode graphQl(String token, String query, Map<String, Object> variables)
      throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("query", query);
    body.put("variables", variables);
    HttpRequest request =
        HttpRequest.newBuilder(function.uri("/.api/graphql"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Authorization", "token " + token)
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
            .build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
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
    JsonNode refused = graphQl(userToken, APPLY, Map.of("document", v1));
    assertEquals("FORBIDDEN", refused.at("/errors/0/extensions/code").asText(), refused.toString());

    JsonNode invalid =
        graphQl(adminToken, APPLY, Map.of("document", "policy: {unplannedEvents: always}"));
    assertEquals("INVALID_CATALOG", invalid.at("/errors/0/extensions/code").asText());
    assertTrue(
        invalid
            .at("/errors/0/extensions/problems/0")
            .asText()
            .startsWith("policy.unplannedEvents: must be one of off, shadow, hold"),
        invalid.toString());

    assertEquals(
        1,
        graphQl(adminToken, APPLY, Map.of("document", v1))
            .at("/data/telemetry/applyCatalog/version")
            .asInt());
    // Recorded through the function, which held it by version 1 at once: the apply installed it.
    JsonNode recorded =
        graphQl(
            userToken,
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
        graphQl(
            adminToken,
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
