package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import graphql.introspection.IntrospectionQuery;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * record-event under hostile and unlucky input, in the real invoker against a real PostgreSQL, with
 * the default limits: every request is bounded, and stored whole or not at all.
 */
@ExtendWith(PostgresExtension.class)
class RecordEventHostileInputIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static TestDatabase db;
  private static FunctionProcess function;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    function =
        RecordEventProcesses.start(db, Map.of("TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA", "true"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (function != null) {
      function.close();
    }
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags, feature_flag_overrides");
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  record Response(int status, JsonNode body, String raw) {
    JsonNode errors() {
      return body.path("errors");
    }

    String firstError() {
      return errors().path(0).path("message").asText();
    }
  }

  /** Stands for an unpaired surrogate, which JSON can only carry escaped. */
  private static final String LONE_SURROGATE = "@LONE-SURROGATE@";

  private static Response post(Map<String, Object> request) throws Exception {
    String body = JSON.writeValueAsString(request).replace(LONE_SURROGATE, "\\ud800");
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(function.uri("/.api/graphql"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("X-Sourcegraph-Actor-Anonymous-UID", "visitor-1")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), JSON.readTree(response.body()), response.body());
  }

  private static Response mutation(String query, Map<String, Object> variables) throws Exception {
    Map<String, Object> request = new HashMap<>();
    request.put("query", query);
    request.put("variables", variables);
    return post(request);
  }

  private static Response recordOne(Map<String, Object> event) throws Exception {
    return mutation(
        "mutation($e: TelemetryEventInput!) { telemetry { recordEvent(event: $e) { alwaysNil } } }",
        Map.of("e", event));
  }

  private static Map<String, Object> event(String feature) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", "recorded");
    event.put("source", new LinkedHashMap<>(Map.of("client", "hostile-test")));
    event.put("parameters", new LinkedHashMap<>(Map.of("version", 1)));
    return event;
  }

  private static List<Map<String, Object>> events(int count) {
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(event("alias.test"));
    }
    return events;
  }

  private static String aliases(int count) {
    StringBuilder query = new StringBuilder("mutation($e: [TelemetryEventInput!]!) { telemetry {");
    for (int i = 0; i < count; i++) {
      query.append(" a").append(i).append(": recordEvents(events: $e) { alwaysNil }");
    }
    return query.append(" } }").toString();
  }

  private static long stored() {
    return db.queryLong("SELECT count(*) FROM event_logs")
        + db.queryLong("SELECT count(*) FROM telemetry_events_export_queue");
  }

  /** Private metadata nested {@code depth} objects deep, the outermost one included. */
  private static Map<String, Object> nested(int depth) {
    Map<String, Object> inner = new LinkedHashMap<>(Map.of("leaf", "value"));
    for (int level = depth; level > 1; level--) {
      inner = new LinkedHashMap<>(Map.of("level" + level, inner));
    }
    return inner;
  }

  @Test
  void aliases_shareOneEventsLimitAndARequestOverItStoresNothing() throws Exception {
    Response response = mutation(aliases(40), Map.of("e", events(500)));

    assertEquals(413, response.status(), response.raw());
    assertTrue(
        response.raw().contains("a request may record at most 500 events, got 1000 in all its"),
        response.raw());
    assertTrue(response.raw().contains("TELEMETRY_MAX_EVENTS_PER_REQUEST"), response.raw());
    assertEquals(0, stored());
  }

  @Test
  void aliasesWithinTheLimit_areStoredInOneTransaction() throws Exception {
    Response response = mutation(aliases(2), Map.of("e", events(250)));

    assertEquals(200, response.status(), response.raw());
    assertFalse(response.body().has("errors"), response.raw());
    assertEquals(500, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(
        1,
        db.queryLong("SELECT count(DISTINCT xmin::text) FROM event_logs"),
        "one transaction wrote them all");
  }

  @Test
  void aFloodOfAliases_isRefusedBeforeItRuns() throws Exception {
    Response response = mutation(aliases(1200), Map.of("e", events(500)));

    assertEquals(400, response.status(), response.raw());
    assertEquals(
        "QUERY_TOO_COMPLEX", response.errors().path(0).path("extensions").path("code").asText());
    assertTrue(
        response.firstError().startsWith("the query selects 2401 fields, more than the 250"),
        response.firstError());
    assertTrue(response.firstError().contains("TELEMETRY_GRAPHQL_MAX_FIELDS"));
    assertEquals(0, stored());
  }

  @Test
  void oneRefusedField_storesNothingOfTheRequestAndSaysWhichFieldAndEvent() throws Exception {
    Map<String, Object> bad = event("Invalid");
    Response response =
        mutation(
            "mutation($ok: [TelemetryEventInput!]!, $mixed: [TelemetryEventInput!]!) {"
                + " telemetry {"
                + " good: recordEvents(events: $ok) { alwaysNil }"
                + " mixed: recordEvents(events: $mixed) { alwaysNil } } }",
            Map.of("ok", events(2), "mixed", List.of(event("fine.feature"), bad)));

    assertEquals(200, response.status(), response.raw());
    assertEquals(0, stored(), "the valid field was not stored either");
    JsonNode telemetry = response.body().path("data").path("telemetry");
    assertTrue(telemetry.path("good").isNull(), response.raw());
    assertTrue(telemetry.path("mixed").isNull(), response.raw());
    Map<String, JsonNode> errorsByField = new HashMap<>();
    response.errors().forEach(e -> errorsByField.put(e.path("path").path(1).asText(), e));
    assertEquals(
        "events[1]: 'feature' must start with a lowercase letter and contain only letters,"
            + " dashes, and dots",
        errorsByField.get("mixed").path("message").asText());
    assertEquals(
        "INVALID_EVENT", errorsByField.get("mixed").path("extensions").path("code").asText());
    assertEquals(
        "NOT_RECORDED", errorsByField.get("good").path("extensions").path("code").asText());
  }

  @Test
  void aRetriedRequest_afterARefusalStoresEachEventOnce() throws Exception {
    String query =
        "mutation($a: TelemetryEventInput!, $b: TelemetryEventInput!) { telemetry {"
            + " a: recordEvent(event: $a) { alwaysNil } b: recordEvent(event: $b) { alwaysNil } } }";

    Response refused = mutation(query, Map.of("a", event("first.event"), "b", event("Bad")));
    Response fixed = mutation(query, Map.of("a", event("first.event"), "b", event("second.event")));

    assertEquals(200, refused.status());
    assertTrue(refused.body().has("errors"));
    assertFalse(fixed.body().has("errors"), fixed.raw());
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_logs WHERE name = 'first.event.recorded'"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "NUL in source.client | source.client | a\u0000b | 'source.client' must not contain NUL",
        "unpaired surrogate in source.clientVersion | source.clientVersion | 1.@LONE-SURROGATE@ | "
            + "'source.clientVersion' must be valid Unicode text",
        "NUL in a private metadata value | privateMetadata.note | x\u0000y | "
            + "'privateMetadata.note' must not contain NUL",
        "NUL in a private metadata key | privateMetadataKey | k\u0000y | "
            + "a key of 'privateMetadata' must not contain NUL",
        "NUL in a metadata key | metadataKey | count\u0000y | metadata key 'count\\u0000y' must not",
        "NUL in marketing tracking | marketingTracking.url | https://x/\u0000y | "
            + "'marketingTracking.url' must not contain NUL",
        "NUL in billing | billingMetadata.product | p\u0000y | "
            + "'parameters.billingMetadata.product' must not contain NUL",
      })
  void textPostgresCannotHold_isAClientErrorNamingTheField(
      String what, String where, String value, String message) throws Exception {
    Map<String, Object> event = event("text.test");
    @SuppressWarnings("unchecked")
    Map<String, Object> source = (Map<String, Object>) event.get("source");
    @SuppressWarnings("unchecked")
    Map<String, Object> parameters = (Map<String, Object>) event.get("parameters");
    switch (where) {
      case "source.client" -> source.put("client", value);
      case "source.clientVersion" -> source.put("clientVersion", value);
      case "privateMetadata.note" -> parameters.put("privateMetadata", Map.of("note", value));
      case "privateMetadataKey" -> parameters.put("privateMetadata", Map.of(value, 1));
      case "metadataKey" -> parameters.put("metadata", List.of(Map.of("key", value, "value", 1)));
      case "marketingTracking.url" -> event.put("marketingTracking", Map.of("url", value));
      case "billingMetadata.product" ->
          parameters.put("billingMetadata", Map.of("product", value, "category", "c"));
      default -> throw new IllegalArgumentException(where);
    }
    String logBefore = function.output();

    Response response = recordOne(event);

    assertEquals(200, response.status(), response.raw());
    assertTrue(response.firstError().startsWith(message), response.firstError());
    assertEquals(
        "INVALID_EVENT", response.errors().path(0).path("extensions").path("code").asText());
    assertEquals(0, stored());
    String log = function.output().substring(logBefore.length());
    assertFalse(log.contains("\"severity\":\"ERROR\""), log);
    assertFalse(log.contains("database unavailable"), log);
  }

  @Test
  @SuppressWarnings("unchecked")
  void privateMetadataDeeperThanTheBound_isRefusedNamingTheSetting() throws Exception {
    Map<String, Object> deep = event("deep.metadata");
    ((Map<String, Object>) deep.get("parameters")).put("privateMetadata", nested(40));
    Map<String, Object> deepest = event("deep.metadata");
    ((Map<String, Object>) deepest.get("parameters")).put("privateMetadata", nested(10));

    Response refused = recordOne(deep);
    Response accepted = recordOne(deepest);

    assertEquals(413, refused.status(), refused.raw());
    assertTrue(
        refused.firstError().startsWith("private metadata may nest objects and lists at most 10"),
        refused.firstError());
    assertTrue(
        refused.firstError().endsWith("(limit set by TELEMETRY_MAX_PRIVATE_METADATA_DEPTH)"));
    assertEquals(200, accepted.status(), accepted.raw());
    assertFalse(accepted.body().has("errors"), accepted.raw());
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void tooManyMetadataKeys_areRefusedNamingTheSetting() throws Exception {
    List<Map<String, Object>> metadata = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      metadata.add(Map.of("key", "k" + i, "value", i));
    }
    Map<String, Object> event = event("many.keys");
    ((Map<String, Object>) event.get("parameters")).put("metadata", metadata);

    Response response = recordOne(event);

    assertEquals(413, response.status(), response.raw());
    assertEquals(
        "metadata may have at most 100 keys, got 101 (limit set by TELEMETRY_MAX_METADATA_KEYS)",
        response.firstError());
    assertEquals(0, stored());
  }

  @ParameterizedTest
  @CsvSource({"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2000-01-01T00:00:00Z"})
  void implausibleTimestamps_areRefusedNamingTheWindow(String timestamp) throws Exception {
    Map<String, Object> event = event("time.travel");
    event.put("timestamp", timestamp);

    Response response = recordOne(event);

    assertEquals(200, response.status());
    assertTrue(
        response.firstError().startsWith("'timestamp' must lie between 90 days before and 1 day"),
        response.firstError());
    assertTrue(response.firstError().contains("TELEMETRY_TIMESTAMP_MAX_PAST"));
    assertEquals(0, stored());
  }

  @Test
  void exportOrder_isArrivalWhateverTimestampAClientClaims() throws Exception {
    Map<String, Object> first = event("arrived.first");
    first.put("timestamp", Instant.now().toString());
    Map<String, Object> second = event("arrived.second");
    second.put("timestamp", Instant.now().minus(Duration.ofDays(80)).toString());

    assertFalse(recordOne(first).body().has("errors"));
    assertFalse(recordOne(second).body().has("errors"));

    List<ExportQueue.QueuedEvent> claimed =
        new ExportQueue(db.dataSource(), Clock.systemUTC())
            .claim(UUID.randomUUID(), 10, Duration.ofMinutes(1))
            .events();
    assertEquals(
        List.of("arrived.first", "arrived.second"),
        claimed.stream().map(e -> e.event().getFeature()).toList());
  }

  @Test
  void aQueryOfTooManyTokens_isRefusedNamingTheSetting() throws Exception {
    StringBuilder inline = new StringBuilder("mutation { telemetry { recordEvents(events: [");
    for (int i = 0; i < 1000; i++) {
      inline.append(
          "{feature: \"a.b\", action: \"c.d\", source: {client: \"x\"}, parameters: {version: 0}},");
    }
    inline.append("]) { alwaysNil } } }");

    Response response = post(Map.of("query", inline.toString()));

    assertEquals(400, response.status(), response.raw());
    assertTrue(
        response.firstError().startsWith("the query has more than 15000 tokens"),
        response.firstError());
    assertTrue(response.firstError().contains("TELEMETRY_GRAPHQL_MAX_TOKENS"));
    assertEquals(0, stored());
  }

  @Test
  void aDeeplyNestedQuery_isRefusedNamingTheSetting() throws Exception {
    // __schema, types, fields, type, then 11 levels of ofType: 16 levels with the name.
    String query = "{ __schema { types { fields { type { " + "ofType { ".repeat(11) + "name";
    query += " }".repeat(11) + " } } } } }";

    Response response = post(Map.of("query", query));

    assertEquals(400, response.status(), response.raw());
    assertEquals(
        "the query nests fields 16 levels deep, more than the 15 allowed (limit set by"
            + " TELEMETRY_GRAPHQL_MAX_DEPTH)",
        response.firstError());
  }

  @Test
  void fragmentsThatMultiply_areCountedWhereTheyAreUsed() throws Exception {
    StringBuilder query = new StringBuilder("query { ...f0 }");
    query.append(" fragment f0 on Query { telemetry { __typename } }");
    for (int i = 1; i <= 30; i++) {
      query.append(" fragment f").append(i).append(" on Query { ...f").append(i - 1);
      query.append(" ...f").append(i - 1).append(" }");
    }
    query.replace(0, "query { ...f0 }".length(), "query { ...f30 }");

    Response response = post(Map.of("query", query.toString()));

    assertEquals(400, response.status(), response.raw());
    assertTrue(response.firstError().startsWith("the query selects"), response.firstError());
  }

  @Test
  void theStandardIntrospectionQuery_isAllowed() throws Exception {
    Response response = post(Map.of("query", IntrospectionQuery.INTROSPECTION_QUERY));

    assertEquals(200, response.status(), response.raw());
    assertFalse(response.body().has("errors"), response.raw());
    assertEquals(
        "Query",
        response.body().path("data").path("__schema").path("queryType").path("name").asText());
  }

  @Test
  void anEventIdIsTheServers_evenIfTheRequestCarriesOne() throws Exception {
    Map<String, Object> event = event("server.ids");
    String claimed = UUID.randomUUID().toString();
    event.put("id", claimed);

    Response response = recordOne(event);

    assertEquals(400, response.status(), "the input type has no id field: " + response.raw());
    assertEquals(0, stored());
  }

  /** A GraphQL name too long, and text that is no name at all. */
  @ParameterizedTest
  @ValueSource(strings = {"x", "-"})
  void aHugeOperationName_isRefusedWithoutBeingEchoedOrLogged(String filler) throws Exception {
    String huge = "Huge" + filler.repeat(1024 * 1024);
    int linesBefore = requestLogLines().size();
    Map<String, Object> request = new HashMap<>();
    request.put("query", RecordEventIT.MUTATION);
    request.put("operationName", huge);
    request.put("variables", Map.of("events", events(1)));

    Response response = post(request);

    assertEquals(400, response.status(), "names no operation a client would send");
    assertTrue(
        response.firstError().startsWith("'operationName' must be the name of an operation"),
        response.firstError());
    assertTrue(response.raw().length() < 1000, "the answer does not quote it");
    assertEquals(0, stored());
    List<JsonNode> lines = awaitRequestLogLines(linesBefore + 1);
    assertFalse(function.output().contains(filler.repeat(200)), "the log never holds it");
    assertEquals(400, lines.get(lines.size() - 1).path("status").asInt());
  }

  @Test
  void aLongOperationName_runsAndIsLoggedAsAPlaceholder() throws Exception {
    String name = "Long" + "y".repeat(196);
    int linesBefore = requestLogLines().size();
    Map<String, Object> request = new HashMap<>();
    request.put("query", RecordEventIT.MUTATION.replace("ExportTelemetryEvents", name));
    request.put("operationName", name);
    request.put("variables", Map.of("events", events(1)));

    Response response = post(request);

    assertEquals(200, response.status(), response.raw());
    assertFalse(response.body().has("errors"), response.raw());
    assertEquals(1, db.queryLong("SELECT count(*) FROM event_logs"));
    List<JsonNode> lines = awaitRequestLogLines(linesBefore + 1);
    assertEquals("(too long)", lines.get(lines.size() - 1).path("operation").asText());
    assertFalse(function.output().contains(name), "at most 100 characters of it are logged");
  }

  /** The function's request log lines so far. */
  private static List<JsonNode> requestLogLines() throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : function.output().split("\n")) {
      if (line.startsWith("{") && line.contains("record-event request")) {
        JsonNode entry = JSON.readTree(line);
        if ("record-event request".equals(entry.path("message").asText())) {
          lines.add(entry);
        }
      }
    }
    return lines;
  }

  /** Waits for the log line of the request just answered: it is written after the answer. */
  private static List<JsonNode> awaitRequestLogLines(int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    List<JsonNode> lines = requestLogLines();
    while (lines.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no log line for the request");
      }
      Thread.onSpinWait();
      lines = requestLogLines();
    }
    return lines;
  }
}
