package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.Actor;
import dev.tally.privacy.Erasure;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.store.AccessTokens;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.PubSubEmulator;
import dev.tally.testing.TestDatabase;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The egress ledger counts exactly what the gateway published: events recorded through record-event
 * with allowlisted and other private keys and marketing tracking, exported through the gateway to
 * the Pub/Sub emulator, every function in the real invoker; the ledger's events, keys left and keys
 * withheld per name are compared with the keys in the published messages and those sent. Erasure
 * and retention then leave the ledger as it is.
 */
class EgressLedgerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final long USER = 7;

  private static TestDatabase db;
  private static Pipeline pipeline;
  private static String userToken;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.onOwnServer();
    pipeline =
        Pipeline.start(
            db.url(),
            db.user(),
            Map.of(
                "TELEMETRY_SENSITIVE_METADATA_ALLOWLIST",
                "search::submit::language,docs::view::page"));
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
    userToken =
        new AccessTokens(db.dataSource(), Clock.systemUTC())
            .create(USER, Set.of(AccessTokens.USER_ALL), null, "user")
            .token();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void theLedgerCountsExactlyWhatTheGatewayPublished_andErasureAndRetentionLeaveIt()
      throws Exception {
    List<Map<String, Object>> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Map<String, Object> tracking = new LinkedHashMap<>();
      if (i < 3) {
        tracking.put("url", "https://example.com/pricing?i=" + i);
        tracking.put("cohortID", "cohort-" + i);
      }
      sent.add(
          event("search", "submit", Map.of("language", "go", "query", "secret " + i), tracking));
    }
    for (int i = 0; i < 3; i++) {
      sent.add(
          event(
              "docs",
              "view",
              Map.of("page", "/install", "nested", Map.of("deep", i)),
              Map.of("referrer", "https://example.com/r")));
    }
    for (int i = 0; i < 4; i++) {
      sent.add(
          event("editor", "open", i < 2 ? Map.of("file", "/home/x/notes-" + i) : null, Map.of()));
    }
    record(sent);

    long exported = 0;
    for (int run = 0; run < 5; run++) {
      JsonNode line = pipeline.runExport();
      exported += line.path("exported").asLong();
      if (line.path("backlog").asLong(-1) == 0) {
        break;
      }
    }
    assertEquals(sent.size(), exported);
    Map<String, JsonNode> published = published(sent.size());

    // What left, counted from the published messages; what was withheld: what was sent and did
    // not arrive.
    Map<String, Long> events = new TreeMap<>();
    Map<String, Long> left = new TreeMap<>();
    for (JsonNode event : published.values()) {
      String name = event.path("feature").asText() + "." + event.path("action").asText();
      events.merge(name, 1L, Long::sum);
      count(left, name, "privateMetadata.", event.path("parameters").path("privateMetadata"));
      count(left, name, "marketingTracking.", event.path("marketingTracking"));
    }
    Map<String, Long> withheld = new TreeMap<>();
    for (Map<String, Object> event : sent) {
      String name = event.get("feature") + "." + event.get("action");
      Map<?, ?> parameters = (Map<?, ?>) event.get("parameters");
      if (parameters.get("privateMetadata") instanceof Map<?, ?> keys) {
        for (Object key : keys.keySet()) {
          withheld.merge(name + " privateMetadata." + key, 1L, Long::sum);
        }
      }
      if (event.get("marketingTracking") instanceof Map<?, ?> tracking) {
        for (Object field : tracking.keySet()) {
          String jsonName =
              dev.tally.event.MarketingField.byInputName((String) field).orElseThrow().jsonName();
          withheld.merge(name + " marketingTracking." + jsonName, 1L, Long::sum);
        }
      }
    }
    left.forEach((path, n) -> withheld.merge(path, -n, Long::sum));
    withheld.values().removeIf(n -> n == 0);

    assertEquals(
        Map.of("search.submit", 5L, "docs.view", 3L, "editor.open", 4L), events, "published");
    assertEquals(
        Map.of("search.submit privateMetadata.language", 5L, "docs.view privateMetadata.page", 3L),
        left,
        "the allowlisted keys left, and nothing else");
    assertEquals(
        Map.of(
            "search.submit privateMetadata.query", 5L,
            "search.submit marketingTracking.url", 3L,
            "search.submit marketingTracking.cohortId", 3L,
            "docs.view privateMetadata.nested", 3L,
            "docs.view marketingTracking.referrer", 3L,
            "editor.open privateMetadata.file", 2L),
        withheld);

    Map<String, Long> ledgerEvents = ledger("SELECT feature || '.' || action, sum(events)");
    assertEquals(events, ledgerEvents, "the ledger's events are the published ones");
    assertEquals(left, fields("left_events"), "the ledger's keys left are the published ones");
    assertEquals(withheld, fields("withheld_events"), "and those withheld, the rest");
    assertEquals(
        db.queryLong(
            "SELECT sum(octet_length(payload_pb)) FROM telemetry_events_export_queue"
                + " WHERE exported_at IS NOT NULL"),
        db.queryLong("SELECT sum(bytes) FROM egress_ledger"),
        "the bytes sent");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM egress_ledger_fields"
                + " WHERE field LIKE '%secret%' OR field LIKE '%example.com%'"),
        "names, never values");

    Map<String, Long> ledgerBefore = ledger("SELECT day || feature || action, sum(events)");
    Map<String, Long> leftBefore = fields("left_events");
    Map<String, Long> withheldBefore = fields("withheld_events");
    new Erasure(db.dataSource(), Clock.systemUTC()).erase(Actor.user(USER), "test");
    new ExportQueue(db.dataSource(), Clock.systemUTC())
        .deleteExportedBefore(Instant.now().plusSeconds(1));
    new EventLogsRetention(db.dataSource(), Clock.systemUTC())
        .prune(Instant.now().plusSeconds(1), Instant.now().plus(Duration.ofMinutes(1)));

    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "the person is gone");
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(ledgerBefore, ledger("SELECT day || feature || action, sum(events)"));
    assertEquals(leftBefore, fields("left_events"));
    assertEquals(withheldBefore, fields("withheld_events"));
  }

  private static Map<String, Object> event(
      String feature, String action, Map<String, Object> privateMetadata, Map<String, ?> tracking) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", "VSCode", "clientVersion", "1.90.0"));
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("version", 1);
    if (privateMetadata != null) {
      parameters.put("privateMetadata", privateMetadata);
    }
    event.put("parameters", parameters);
    if (!tracking.isEmpty()) {
      event.put("marketingTracking", tracking);
    }
    return event;
  }

  private static void record(List<Map<String, Object>> events) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(pipeline.recordEvent().uri("/.api/graphql"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "token " + userToken)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(
                            Map.of(
                                "query",
                                "mutation($e: [TelemetryEventInput!]!) { telemetry {"
                                    + " recordEvents(events: $e) { alwaysNil } } }",
                                "variables",
                                Map.of("e", events)))))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(!response.body().contains("\"errors\""), response.body());
  }

  /** The published events by ID, each once however often it arrived. */
  private static Map<String, JsonNode> published(int expected) throws Exception {
    Map<String, JsonNode> published = new HashMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (published.size() < expected && System.nanoTime() < deadline) {
      for (PubSubEmulator.Message message :
          pipeline.emulator().pull(Pipeline.SUBSCRIPTION, expected, Duration.ofSeconds(5))) {
        JsonNode event = JSON.readTree(message.data()).path("event");
        published.put(event.path("id").asText(), event);
      }
    }
    assertEquals(expected, published.size(), "published");
    return published;
  }

  private static void count(Map<String, Long> counts, String name, String prefix, JsonNode object) {
    for (Iterator<String> keys = object.fieldNames(); keys.hasNext(); ) {
      counts.merge(name + " " + prefix + keys.next(), 1L, Long::sum);
    }
  }

  /** A two-column query of the ledger, summed over days and catalog versions. */
  private static Map<String, Long> ledger(String select) throws Exception {
    return rows(select + " FROM egress_ledger GROUP BY 1");
  }

  /** One count column of the ledger's fields per name and path, its rows with none left out. */
  private static Map<String, Long> fields(String column) throws Exception {
    return rows(
        "SELECT feature || '.' || action || ' ' || field, sum("
            + column
            + ") FROM egress_ledger_fields GROUP BY 1 HAVING sum("
            + column
            + ") > 0");
  }

  private static Map<String, Long> rows(String sql) throws Exception {
    Map<String, Long> rows = new TreeMap<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      while (row.next()) {
        rows.put(row.getString(1), row.getLong(2));
      }
    }
    return rows;
  }
}
