package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.AccessTokens;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The record-event function in the real invoker, against a real PostgreSQL. */
@ExtendWith(PostgresExtension.class)
class RecordEventIT {
  /** The mutation exactly as telemetry V2 clients send it. */
  static final String MUTATION =
      """
      mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {
        telemetry { recordEvents(events: $events) { alwaysNil } }
      }
      """;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ALLOWED_ORIGIN = "https://app.example.com";

  private static TestDatabase db;
  private static RecordEventUnderTest recordEvent;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    Map<String, String> settings = new HashMap<>();
    settings.put("TELEMETRY_SERVER_VERSION", "1.2.3");
    settings.put("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "exampleFeature::exampleAction::value");
    settings.put("TELEMETRY_MAX_REQUEST_BYTES", String.valueOf(256 * 1024));
    settings.put("TELEMETRY_MAX_EVENTS_PER_REQUEST", "50");
    settings.put("TELEMETRY_MAX_PRIVATE_METADATA_BYTES", "1024");
    settings.put("TELEMETRY_CORS_ALLOWED_ORIGINS", ALLOWED_ORIGIN);
    // The contract's golden events are dated 2024.
    settings.put("TELEMETRY_TIMESTAMP_MAX_PAST", "3650d");
    // Room for ten bodies of 3 MiB from one address in a minute, each read and answered 413.
    settings.put(
        "TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE", String.valueOf(64 * 1024 * 1024));
    recordEvent = RecordEventUnderTest.start(db, 1234, settings);
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
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags, feature_flag_overrides");
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  record Response(int status, HttpResponse<String> raw, JsonNode body) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    String firstError() {
      return body.path("errors").path(0).path("message").asText();
    }
  }

  private static Response post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(recordEvent.function().uri(path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return send(request.build());
  }

  private static Response send(HttpRequest request) throws Exception {
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    return new Response(response.statusCode(), response, body);
  }

  private static String request(String query, Object variables) throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("query", query);
    body.put("variables", variables);
    return JSON.writeValueAsString(body);
  }

  private static Map<String, Object> event(String feature, String action) {
    Map<String, Object> event = new HashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", "VSCode", "clientVersion", "1.90.0"));
    event.put(
        "parameters",
        Map.of("version", 1, "metadata", List.of(Map.of("key", "durationMs", "value", 12.5))));
    return event;
  }

  private static Response record(List<Map<String, Object>> events, String... headers)
      throws Exception {
    return post(
        "/.api/graphql?ExportTelemetryEvents",
        request(MUTATION, Map.of("events", events)),
        headers);
  }

  private static long count(String table) {
    return db.queryLong("SELECT count(*) FROM " + table);
  }

  @Test
  void warmUp_ofANewInstanceFinishesAndStoresNothing() throws Exception {
    long logged = count("event_logs");
    long queued = count("telemetry_events_export_queue");
    try (FunctionProcess fresh = RecordEventProcesses.start(db, Map.of())) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!fresh.output().contains("\"instance warm\"") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(fresh.output().contains("\"instance warm\""), fresh.output());
      assertFalse(fresh.output().contains("warm-up failed"), fresh.output());
    }
    assertEquals(logged, count("event_logs"));
    assertEquals(queued, count("telemetry_events_export_queue"));
  }

  @Test
  void recordEvents_theClientMutationStoresTheWholeBatch() throws Exception {
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      events.add(event("cody.completion", "accepted"));
    }

    Response response = record(events, "Authorization", "token " + recordEvent.userToken());

    assertEquals(200, response.status(), response.raw().body());
    assertEquals(
        JSON.readTree("{\"data\":{\"telemetry\":{\"recordEvents\":{\"alwaysNil\":null}}}}"),
        response.body());
    assertEquals(
        25,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE name = 'cody.completion.accepted'"
                + " AND user_id = 1234 AND client = 'VSCode:1.90.0' AND version = '1.2.3'"));
    assertEquals(25, count("telemetry_events_export_queue"));
  }

  @Test
  void recordEvent_recordsASingleEvent() throws Exception {
    Response response =
        post(
            "/",
            request(
                "mutation($event: TelemetryEventInput!) {"
                    + " telemetry { recordEvent(event: $event) { alwaysNil } } }",
                Map.of("event", event("search", "submitted"))),
            Authenticator.ANONYMOUS_UID_HEADER,
            "visitor-9");

    assertEquals(200, response.status(), response.raw().body());
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE anonymous_user_id = 'visitor-9'"
                + " AND user_id IS NULL"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "minimal.json, nobody, nothing",
    "anonymous-user.json, anonymous, nothing",
    "authenticated-user.json, token, nothing",
    "metadata.json, nobody, metadata",
    "private-metadata-string.json, nobody, private"
  })
  void recordEvents_queuesTheCanonicalEventOfTheContract(String golden, String who, String what)
      throws Exception {
    Map<String, Object> parameters = new HashMap<>();
    parameters.put("version", 0);
    if ("metadata".equals(what)) {
      parameters.put("metadata", List.of(Map.of("key", "metadata", "value", 123)));
    }
    if ("private".equals(what)) {
      parameters.put("privateMetadata", "some metadata");
    }
    Map<String, Object> event = new HashMap<>();
    event.put("timestamp", "2024-01-02T03:04:05Z");
    event.put("feature", "exampleFeature");
    event.put("action", "exampleAction");
    event.put("source", Map.of("client", "VSCode"));
    event.put("parameters", parameters);
    List<String> headers = new ArrayList<>();
    if ("anonymous".equals(who)) {
      headers.addAll(List.of(Authenticator.ANONYMOUS_UID_HEADER, "1234"));
    } else if ("token".equals(who)) {
      headers.addAll(List.of("Authorization", "Bearer " + recordEvent.userToken()));
    }

    Response response = record(List.of(event), headers.toArray(String[]::new));

    assertEquals(200, response.status(), response.raw().body());
    JsonObject queued =
        JsonParser.parseString(JsonFormat.printer().print(onlyQueuedEvent())).getAsJsonObject();
    queued.remove("id");
    queued.remove("featureFlags");
    assertEquals(golden(golden), queued);
  }

  @Test
  void recordEvents_oneInvalidEventRejectsTheBatchAndStoresNothing() throws Exception {
    Response response =
        record(
            List.of(
                event("valid.feature", "valid.action"),
                event("valid.feature", "valid.action"),
                event("invalid_feature!", "valid.action")),
            "Authorization",
            "token " + recordEvent.userToken());

    assertEquals(200, response.status());
    assertEquals(
        "events[2]: 'feature' must start with a lowercase letter and contain only letters,"
            + " dashes, and dots",
        response.firstError());
    assertEquals(0, count("event_logs"));
    assertEquals(0, count("telemetry_events_export_queue"));
  }

  @Test
  void recordEvents_nonNumericMetadataRejectsTheBatchNamingTheKey() throws Exception {
    Map<String, Object> bad = event("a.b", "c.d");
    bad.put(
        "parameters",
        Map.of("version", 1, "metadata", List.of(Map.of("key", "query", "value", "text"))));

    Response response = record(List.of(event("a.b", "c.d"), bad));

    assertEquals(
        "events[1]: metadata value of key 'query' must be a number, got a string",
        response.firstError());
    assertEquals(0, count("event_logs"));
  }

  @Test
  void recordEvents_anEmptyListIsAnError() throws Exception {
    Response response = record(List.of());

    assertEquals("no events provided", response.firstError());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "unknown token, token tly_unknown_token_0000000000, the access token is not valid",
    "wrong scheme, Basic dXNlcjpwYXNz, the Authorization header must be 'token <access token>' or 'Bearer <access token>'"
  })
  void recordEvents_aTokenThatIsNotValidIsA401(String name, String authorization, String message)
      throws Exception {
    Response response = record(List.of(event("a.b", "c.d")), "Authorization", authorization);

    assertEquals(401, response.status());
    assertEquals(message, response.firstError());
    assertEquals(0, count("event_logs"), "never a silent fallback to anonymous");
  }

  @Test
  void recordEvents_expiredAndRevokedTokensAre401() throws Exception {
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    String expired =
        tokens.create(5, Set.of(AccessTokens.USER_ALL), Instant.now().minusSeconds(1), "").token();
    AccessTokens.CreatedToken revoked = tokens.create(6, Set.of(AccessTokens.USER_ALL), null, "");
    tokens.revoke(revoked.id());

    Response expiredResponse =
        record(List.of(event("a.b", "c.d")), "Authorization", "token " + expired);
    Response revokedResponse =
        record(List.of(event("a.b", "c.d")), "Authorization", "token " + revoked.token());

    assertEquals(401, expiredResponse.status());
    assertEquals("the access token has expired", expiredResponse.firstError());
    assertEquals(401, revokedResponse.status());
    assertEquals("the access token has been revoked", revokedResponse.firstError());
    assertEquals(0, count("event_logs"));
  }

  @Test
  void recordEvents_theUserComesFromTheTokenNotThePayload() throws Exception {
    Map<String, Object> event = event("a.b", "c.d");
    event.put("user", Map.of("userId", 999));

    Response response = record(List.of(event), "Authorization", "token " + recordEvent.userToken());

    assertEquals(400, response.status(), "the input type has no user field");
    assertTrue(response.firstError().contains("user"), response.firstError());
    assertEquals(0, count("event_logs"));
  }

  @Test
  void exportedEvents_showsASiteAdminWhatLeftTheInstance() throws Exception {
    record(
        List.of(event("a.b", "c.d"), event("e.f", "g.h"), event("i.j", "k.l")),
        Authenticator.ANONYMOUS_UID_HEADER,
        "v");
    ExportQueue queue = new ExportQueue(db.dataSource(), Clock.systemUTC());
    UUID run = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(run, 2, Duration.ofMinutes(1)).events();
    queue.markExported(run, claimed);
    String query =
        "query($after: String) { telemetry { exportedEvents(first: 1, after: $after) {"
            + " nodes { id exportedAt payload } totalCount pageInfo { hasNextPage endCursor } } } }";

    Response page1 =
        post(
            "/",
            request(query, new HashMap<>()),
            "Authorization",
            "token " + recordEvent.adminToken());
    JsonNode connection1 = page1.body().path("data").path("telemetry").path("exportedEvents");
    Response page2 =
        post(
            "/",
            request(
                query, Map.of("after", connection1.path("pageInfo").path("endCursor").asText())),
            "Authorization",
            "token " + recordEvent.adminToken());
    JsonNode connection2 = page2.body().path("data").path("telemetry").path("exportedEvents");

    assertEquals(200, page1.status(), page1.raw().body());
    assertEquals(2, connection1.path("totalCount").asInt());
    assertTrue(connection1.path("pageInfo").path("hasNextPage").asBoolean());
    assertFalse(connection2.path("pageInfo").path("hasNextPage").asBoolean());
    Set<String> listed =
        List.of(connection1, connection2).stream()
            .map(c -> c.path("nodes").path(0))
            .map(n -> n.path("payload").path("id").asText())
            .collect(Collectors.toSet());
    assertEquals(claimed.stream().map(e -> e.id().toString()).collect(Collectors.toSet()), listed);
    JsonNode node = connection1.path("nodes").path(0);
    assertEquals(node.path("id").asText(), node.path("payload").path("id").asText());
    assertEquals(
        "1.2.3", node.path("payload").path("source").path("server").path("version").asText());
  }

  @Test
  void exportedEvents_needsASiteAdminToken() throws Exception {
    String query = "{ telemetry { exportedEvents { totalCount } } }";

    Response user =
        post("/", request(query, null), "Authorization", "token " + recordEvent.userToken());
    Response anonymous = post("/", request(query, null));

    for (Response response : List.of(user, anonymous)) {
      assertEquals(
          "exportedEvents needs an access token with the site-admin scope", response.firstError());
      assertTrue(response.body().path("data").path("telemetry").isNull());
    }
  }

  @Test
  void setAsideEvents_letASiteAdminSeeRetryAndDiscardThem() throws Exception {
    record(
        List.of(event("a.b", "kept"), event("a.b", "refused"), event("a.b", "garbled")),
        Authenticator.ANONYMOUS_UID_HEADER,
        "v");
    Map<String, String> ids = new HashMap<>();
    for (String action : List.of("kept", "refused", "garbled")) {
      ids.put(
          action,
          db.queryString(
              "SELECT event_id::text FROM event_logs WHERE name = 'a.b." + action + "'"));
    }
    db.execute(
        "UPDATE telemetry_events_export_queue SET set_aside_at = now(), failures = 3,"
            + " set_aside_reason = 'refused alone 3 times', last_error = 'INVALID_ARGUMENT'"
            + " WHERE id = '"
            + ids.get("refused")
            + "'");
    db.execute(
        "UPDATE telemetry_events_export_queue SET set_aside_at = now() - interval '1 minute',"
            + " set_aside_reason = 'payload is not a valid Event', payload_pb = '\\xff'"
            + " WHERE id = '"
            + ids.get("garbled")
            + "'");
    String admin = "token " + recordEvent.adminToken();
    String list =
        "{ telemetry { setAsideEvents(first: 10) { totalCount"
            + " nodes { id setAsideAt reason attempts failures lastError payload } } } }";

    Response listed = post("/", request(list, null), "Authorization", admin);
    Response refused =
        post("/", request(list, null), "Authorization", "token " + recordEvent.userToken());

    JsonNode nodes =
        listed.body().path("data").path("telemetry").path("setAsideEvents").path("nodes");
    assertEquals(2, nodes.size(), listed.raw().body());
    assertEquals(ids.get("refused"), nodes.path(0).path("id").asText(), "newest first");
    assertEquals("refused alone 3 times", nodes.path(0).path("reason").asText());
    assertEquals(3, nodes.path(0).path("failures").asInt());
    assertEquals("INVALID_ARGUMENT", nodes.path(0).path("lastError").asText());
    assertEquals("refused", nodes.path(0).path("payload").path("action").asText());
    assertTrue(nodes.path(1).path("payload").isNull(), "a payload that cannot be decoded");
    assertEquals(
        "setAsideEvents needs an access token with the site-admin scope", refused.firstError());

    Response mixed =
        post(
            "/",
            request(
                "mutation($e: TelemetryEventInput!, $ids: [ID!]) { telemetry {"
                    + " recordEvent(event: $e) { alwaysNil }"
                    + " retrySetAsideEvents(ids: $ids) { count } } }",
                Map.of("e", event("mixed.request", "sent"), "ids", List.of(ids.get("refused")))),
            "Authorization",
            admin);
    assertTrue(
        mixed.raw().body().contains("cannot be sent in a request that records events"),
        mixed.raw().body());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs WHERE name LIKE 'mixed%'"));

    Response retried =
        post(
            "/",
            request(
                "mutation($ids: [ID!]) { telemetry { retrySetAsideEvents(ids: $ids) { count } } }",
                Map.of("ids", List.of(ids.get("refused")))),
            "Authorization",
            admin);
    Response discarded =
        post(
            "/",
            request(
                "mutation($ids: [ID!]!) { telemetry { discardSetAsideEvents(ids: $ids) { count } } }",
                Map.of("ids", List.of(ids.get("garbled"), ids.get("kept")))),
            "Authorization",
            admin);

    assertEquals(
        1,
        retried
            .body()
            .path("data")
            .path("telemetry")
            .path("retrySetAsideEvents")
            .path("count")
            .asInt(),
        retried.raw().body());
    assertEquals(
        1,
        discarded
            .body()
            .path("data")
            .path("telemetry")
            .path("discardSetAsideEvents")
            .path("count")
            .asInt(),
        "only set-aside rows are discarded: " + discarded.raw().body());
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE set_aside_at IS NOT NULL"));
    assertEquals(
        Set.of(ids.get("kept"), ids.get("refused")),
        new ExportQueue(db.dataSource(), Clock.systemUTC())
            .claim(UUID.randomUUID(), 10, Duration.ofMinutes(1)).events().stream()
                .map(e -> e.id().toString())
                .collect(Collectors.toSet()),
        "the retried event is waiting for export again");
  }

  @Test
  void limits_aBodyOverTheLimitIs413AndStoresNothing() throws Exception {
    Map<String, Object> event = event("a.b", "c.d");
    event.put("marketingTracking", Map.of("url", "https://example.com/" + "x".repeat(300 * 1024)));

    Response response = record(List.of(event));

    assertEquals(413, response.status());
    assertTrue(
        response.firstError().contains("TELEMETRY_MAX_REQUEST_BYTES"), response.firstError());
    assertEquals(0, count("event_logs"));
  }

  @Test
  void limits_bodiesOverTheLimitInARowOnOneClientEachGetTheir413() throws Exception {
    // Larger than the socket buffers: the function reads such a body to its end and drops it
    // before it answers, and says Connection: close, so that a client still sending reads the
    // answer instead of a reset connection, and its next request opens a new one.
    String body = "{\"query\": \"" + "x".repeat(3 * 1024 * 1024) + "\"}";
    for (int i = 0; i < 10; i++) {
      Response response = post("/", body);
      assertEquals(413, response.status(), "request " + i);
      assertTrue(response.firstError().contains("TELEMETRY_MAX_REQUEST_BYTES"));
    }
    assertEquals(200, post("/", request("{ __typename }", null)).status());
  }

  @Test
  void limits_tooManyEventsIs413NamingTheLimit() throws Exception {
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < 51; i++) {
      events.add(event("a.b", "c.d"));
    }

    Response response = record(events);

    assertEquals(413, response.status());
    assertEquals(
        "a request may record at most 50 events, got 51; send them in smaller batches"
            + " (limit set by TELEMETRY_MAX_EVENTS_PER_REQUEST)",
        response.firstError());
    assertEquals(0, count("event_logs"));
  }

  @Test
  void limits_privateMetadataOverTheLimitIs413() throws Exception {
    Map<String, Object> event = event("a.b", "c.d");
    event.put(
        "parameters", Map.of("version", 1, "privateMetadata", Map.of("text", "x".repeat(2000))));

    Response response = record(List.of(event("a.b", "c.d"), event));

    assertEquals(413, response.status());
    assertTrue(
        response.firstError().contains("TELEMETRY_MAX_PRIVATE_METADATA_BYTES"),
        response.firstError());
    assertEquals(0, count("event_logs"));
  }

  @Test
  void cors_answersThePreflightOfAnAllowedOrigin() throws Exception {
    Response preflight =
        send(
            HttpRequest.newBuilder(recordEvent.function().uri("/.api/graphql"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header(
                    "Access-Control-Request-Headers",
                    "content-type, x-sourcegraph-actor-anonymous-uid")
                .build());

    assertEquals(204, preflight.status());
    assertEquals(ALLOWED_ORIGIN, preflight.header("Access-Control-Allow-Origin"));
    assertTrue(preflight.header("Access-Control-Allow-Methods").contains("POST"));
    assertTrue(
        preflight
            .header("Access-Control-Allow-Headers")
            .contains("X-Sourcegraph-Actor-Anonymous-UID"));

    Response post = record(List.of(event("a.b", "c.d")), "Origin", ALLOWED_ORIGIN);
    assertEquals(ALLOWED_ORIGIN, post.header("Access-Control-Allow-Origin"));
  }

  @Test
  void cors_givesAnotherOriginNoPermission() throws Exception {
    Response preflight =
        send(
            HttpRequest.newBuilder(recordEvent.function().uri("/"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .build());

    assertEquals(204, preflight.status());
    assertEquals(null, preflight.header("Access-Control-Allow-Origin"));
  }

  @Test
  void badRequests_getA4xxThatSaysWhatToFix() throws Exception {
    Response malformed = post("/", "{\"query\": ");
    assertEquals(400, malformed.status());
    assertTrue(malformed.firstError().startsWith("the request body is not valid JSON"));

    Response noQuery = post("/", "{\"variables\": {}}");
    assertEquals(400, noQuery.status());
    assertEquals("'query' must be a GraphQL document as a string", noQuery.firstError());

    Response syntax = post("/", request("mutation { telemetry { recordEvents(", null));
    assertEquals(400, syntax.status());
    assertTrue(syntax.firstError().contains("Invalid syntax"), syntax.firstError());

    Response unknownField = post("/", request("{ telemetry { nothing } }", null));
    assertEquals(400, unknownField.status());
    assertTrue(unknownField.firstError().contains("nothing"), unknownField.firstError());

    Response get = send(HttpRequest.newBuilder(recordEvent.function().uri("/")).GET().build());
    assertEquals(405, get.status());

    Response form =
        send(
            HttpRequest.newBuilder(recordEvent.function().uri("/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("query=x"))
                .build());
    assertEquals(415, form.status());
  }

  @Test
  void logs_oneLinePerRequestWithoutTheToken() throws Exception {
    String operation = "LogCheck" + System.nanoTime();
    Map<String, Object> body = new HashMap<>();
    body.put("query", MUTATION.replace("ExportTelemetryEvents", operation));
    body.put("operationName", operation);
    body.put("variables", Map.of("events", List.of(event("log.check", "written"))));

    Response response =
        post(
            "/",
            JSON.writeValueAsString(body),
            "Authorization",
            "token " + recordEvent.userToken());

    assertEquals(200, response.status());
    JsonNode line = awaitLogLine(operation);
    assertEquals("INFO", line.path("severity").asText());
    assertEquals("ok", line.path("outcome").asText());
    assertEquals(1, line.path("events").asInt());
    assertEquals(200, line.path("status").asInt());
    assertTrue(line.path("latencyMs").isNumber());
    assertFalse(
        recordEvent.function().output().contains(recordEvent.userToken()),
        "the token is never logged");
  }

  /** The log line of the request with this operation name; it is written after the response. */
  private static JsonNode awaitLogLine(String operation) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : recordEvent.function().output().split("\n")) {
        if (line.startsWith("{") && line.contains(operation)) {
          JsonNode entry = JSON.readTree(line);
          if (operation.equals(entry.path("operation").asText())) {
            return entry;
          }
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no log line for operation " + operation);
  }

  private static Event onlyQueuedEvent() throws Exception {
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement("SELECT payload_pb FROM telemetry_events_export_queue");
        ResultSet rows = query.executeQuery()) {
      assertTrue(rows.next(), "one event was queued");
      Event event = Event.parseFrom(rows.getBytes(1));
      assertFalse(rows.next(), "only one event was queued");
      return event;
    }
  }

  private static com.google.gson.JsonElement golden(String name) throws Exception {
    try (InputStream in = RecordEventIT.class.getResourceAsStream("/golden/" + name)) {
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
