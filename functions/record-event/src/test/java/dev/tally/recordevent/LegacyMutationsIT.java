package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pre-V2 mutations older extensions still send ({@code logEvent}, {@code logEvents}, {@code
 * logUserEvent}), with the request bodies those clients send, through the real invoker and a real
 * PostgreSQL: kept in {@code event_logs}, never queued for export, and all or nothing with the
 * request's other recording fields.
 */
@ExtendWith(PostgresExtension.class)
class LegacyMutationsIT {
  private static final long USER = 1234;
  private static final int MAX_EVENTS = 5;
  private static final String SERVER_VERSION = "5.2.0";

  /** The cookie ID of the browser extension's body (legacy/browser-extension-logEvent.json). */
  private static final String EXTENSION_COOKIE = "7c1a3c1e-2b8f-4e6d-9f0a-5b3e8d2c4a19";

  private static final String WEB_APP_COOKIE = "4f9e2d71-8a6b-4c3e-b1d0-2e7f5a9c8b34";

  private static TestDatabase db;
  private static RecordEventUnderTest recordEvent;
  private static GraphQlClient client;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    recordEvent =
        RecordEventUnderTest.start(
            db,
            USER,
            Map.of(
                "TELEMETRY_SERVER_VERSION",
                SERVER_VERSION,
                "TELEMETRY_MAX_EVENTS_PER_REQUEST",
                String.valueOf(MAX_EVENTS)));
    client = recordEvent.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (recordEvent != null) {
      recordEvent.close();
    }
  }

  @BeforeEach
  void reset() {
    // Export on for everyone: legacy events must stay out of the queue all the same.
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags,"
            + " feature_flag_overrides;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  @Test
  void logEvent_asTheBrowserExtensionSendsIt_isKeptOnTheInstanceWithItsArguments()
      throws Exception {
    GraphQlClient.Answer answer =
        client.postBody(
            "/.api/graphql?logEvent", body("browser-extension-logEvent.json").toString());

    assertEquals(200, answer.status(), answer.text());
    assertEquals(
        GraphQlClient.JSON.readTree("{\"data\":{\"logEvent\":{\"alwaysNil\":null}}}"),
        answer.body());
    Map<String, Object> row = onlyRow();
    assertEquals("goToDefinition", row.get("name"));
    assertEquals(EXTENSION_COOKIE, row.get("anonymous_user_id"));
    assertEquals(null, row.get("user_id"));
    assertEquals("CODEHOSTINTEGRATION", row.get("source"));
    assertEquals("https://github.com/gorilla/mux/blob/master/mux.go#L42", row.get("url"));
    assertEquals(json("{\"platform\":\"chrome-extension\"}"), json(row.get("argument")));
    assertEquals(json("{\"platform\":\"chrome-extension\"}"), json(row.get("public_argument")));
    assertEquals(SERVER_VERSION, row.get("version"));
    assertEquals("legacy", row.get("kept_local_reason"));
    assertEquals(0, queueSize(), "never queued for export");
  }

  @Test
  void logEvent_ofASignedInUser_isTheirsAndKeepsNoCookieId() throws Exception {
    GraphQlClient.Answer answer =
        client.postBody(
            "/.api/graphql?logEvent",
            body("browser-extension-logEvent.json").toString(),
            "Authorization",
            "token " + recordEvent.userToken(),
            Authenticator.ANONYMOUS_UID_HEADER,
            "header-visitor-id");

    assertEquals(200, answer.status(), answer.text());
    assertFalse(answer.hasErrors(), answer.text());
    Map<String, Object> row = onlyRow();
    assertEquals(USER, ((Number) row.get("user_id")).longValue());
    assertEquals("unknown", row.get("anonymous_user_id"));
    String whole = db.queryString("SELECT row_to_json(e)::text FROM event_logs e");
    assertFalse(whole.contains(EXTENSION_COOKIE), "the row does not link the cookie: " + whole);
    assertEquals("legacy", row.get("kept_local_reason"));
    assertEquals(0, queueSize(), "never queued for export");
  }

  @Test
  void logEvents_asTheWebAppSendsIt_storesEveryEventWithItsAttribution() throws Exception {
    GraphQlClient.Answer answer =
        client.postBody("/.api/graphql?logEvents", body("web-app-logEvents.json").toString());

    assertEquals(200, answer.status(), answer.text());
    assertEquals(
        GraphQlClient.JSON.readTree("{\"data\":{\"logEvents\":{\"alwaysNil\":null}}}"),
        answer.body());
    List<Map<String, Object>> rows = rows("SELECT * FROM event_logs ORDER BY id");
    assertEquals(
        List.of("ViewRepository", "SearchResultsQueried", "SearchResultClicked"),
        rows.stream().map(r -> r.get("name")).toList());
    for (Map<String, Object> row : rows) {
      assertEquals(WEB_APP_COOKIE, row.get("anonymous_user_id"));
      assertEquals("WEB", row.get("source"));
      assertEquals("legacy", row.get("kept_local_reason"));
    }
    Map<String, Object> view = rows.get(0);
    assertEquals("2023-10-02", view.get("cohort_id"));
    assertEquals("https://sourcegraph.example.com/search", view.get("first_source_url"));
    assertEquals(
        "https://sourcegraph.example.com/github.com/gorilla/mux", view.get("last_source_url"));
    assertEquals("https://www.google.com/", view.get("referrer"));
    assertEquals("https://www.google.com/", view.get("session_referrer"));
    assertEquals("https://sourcegraph.example.com/search", view.get("session_first_url"));
    assertEquals(WEB_APP_COOKIE + ":1696255200000", view.get("device_session_id"));
    assertEquals(null, view.get("argument"));
    assertEquals(json("{}"), json(view.get("public_argument")));
    Map<String, Object> search = rows.get(1);
    assertEquals(
        json("{\"code_search\":{\"query_data\":{\"combined\":\"repo:mux Router\"}}}"),
        json(search.get("argument")));
    assertEquals(
        json("{\"code_search\":{\"query_data\":{\"query\":{\"field_count\":1}}}}"),
        json(search.get("public_argument")));
    assertEquals(
        json("{\"index\":0,\"type\":\"content\"}"), json(rows.get(2).get("public_argument")));
    assertEquals(0, queueSize(), "never queued for export");
  }

  @Test
  void logUserEvent_asOldClientsSendIt_isKeptOnTheInstance() throws Exception {
    GraphQlClient.Answer answer =
        client.postBody(
            "/.api/graphql?logUserEvent", body("old-client-logUserEvent.json").toString());

    assertEquals(200, answer.status(), answer.text());
    assertEquals(
        GraphQlClient.JSON.readTree("{\"data\":{\"logUserEvent\":{\"alwaysNil\":null}}}"),
        answer.body());
    Map<String, Object> row = onlyRow();
    assertEquals("SEARCHQUERY", row.get("name"));
    assertEquals("c3b2a190-6f5e-4d8c-a7b6-9e0f1d2c3b4a", row.get("anonymous_user_id"));
    assertEquals("legacy", row.get("kept_local_reason"));
    assertEquals(0, queueSize(), "never queued for export");
  }

  @Test
  void legacyEvents_areShownToTheAdministratorAsKeptLocal() throws Exception {
    client.postBody("/.api/graphql?logEvents", body("web-app-logEvents.json").toString());
    String id =
        db.queryString("SELECT event_id::text FROM event_logs WHERE name = 'ViewRepository'");
    String admin = "token " + recordEvent.adminToken();

    GraphQlClient.Answer listed =
        client.post(
            "{ telemetry { recordedEvents(first: 5) { nodes { name client exportState } } } }",
            Map.of(),
            "Authorization",
            admin);
    GraphQlClient.Answer one =
        client.post(
            "query($id: ID!) { telemetry { recordedEvent(id: $id) {"
                + " name exportState stored exported } } }",
            Map.of("id", id),
            "Authorization",
            admin);
    GraphQlClient.Answer usage =
        client.post(
            "{ telemetry { usage(days: 1) { topEvents { feature action events users } } } }",
            Map.of(),
            "Authorization",
            admin);

    assertFalse(listed.hasErrors(), listed.text());
    assertEquals(
        GraphQlClient.JSON.readTree(
            "[{\"name\":\"SearchResultClicked\",\"client\":\"WEB\",\"exportState\":\"NOT_QUEUED\"},"
                + "{\"name\":\"SearchResultsQueried\",\"client\":\"WEB\",\"exportState\":\"NOT_QUEUED\"},"
                + "{\"name\":\"ViewRepository\",\"client\":\"WEB\",\"exportState\":\"NOT_QUEUED\"}]"),
        listed.data("telemetry", "recordedEvents", "nodes"));
    assertFalse(one.hasErrors(), one.text());
    JsonNode event = one.data("telemetry", "recordedEvent");
    assertEquals("ViewRepository", event.path("name").asText());
    assertEquals("NOT_QUEUED", event.path("exportState").asText());
    assertEquals("legacy", event.path("stored").path("kept_local_reason").asText());
    assertEquals("2023-10-02", event.path("stored").path("cohort_id").asText());
    assertTrue(event.path("exported").isNull(), one.text());
    assertFalse(usage.hasErrors(), usage.text());
    JsonNode top = usage.data("telemetry", "usage", "topEvents");
    assertEquals(3, top.size(), usage.text());
    for (JsonNode row : top) {
      assertEquals("", row.path("action").asText(), row.toString());
      assertEquals(1, row.path("events").asInt(), row.toString());
      assertEquals(1, row.path("users").asInt(), "the web app's visitor: " + row);
    }
  }

  @ParameterizedTest(name = "events: {0}")
  @ValueSource(strings = {"[]", "null", "absent"})
  void logEvents_withNoEvents_answersWithoutAnError(String events) throws Exception {
    ObjectNode body = body("web-app-logEvents.json");
    ObjectNode variables = (ObjectNode) body.get("variables");
    switch (events) {
      case "[]" -> variables.putArray("events");
      case "null" -> variables.putNull("events");
      default -> variables.remove("events");
    }

    GraphQlClient.Answer answer = client.postBody("/.api/graphql?logEvents", body.toString());

    assertEquals(200, answer.status(), answer.text());
    assertEquals(
        GraphQlClient.JSON.readTree("{\"data\":{\"logEvents\":{\"alwaysNil\":null}}}"),
        answer.body());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  @Test
  void logEvent_withRecordEvents_storesBothAndQueuesOnlyTheV2Event() throws Exception {
    GraphQlClient.Answer answer =
        client.post(
            withRecordEvents(body("browser-extension-logEvent.json"), true),
            variablesWithEvents(body("browser-extension-logEvent.json"), 1),
            "Authorization",
            "token " + recordEvent.userToken());

    assertEquals(200, answer.status(), answer.text());
    assertFalse(answer.hasErrors(), answer.text());
    assertEquals(
        List.of("cody.chat.submitted null", "goToDefinition legacy"),
        strings(
            "SELECT name || ' ' || coalesce(kept_local_reason, 'null') FROM event_logs"
                + " ORDER BY name"));
    assertEquals(1, queueSize(), "the V2 event only");
  }

  static Stream<Arguments> invalidEvents() {
    return Stream.of(
        Arguments.of(
            "argument",
            "{\"platform\": chrome-extension}",
            "'argument' must be JSON text (a JSON value in a string), but "),
        Arguments.of(
            "publicArgument",
            "{\"platform\":\"chrome-extension\"} {}",
            "'publicArgument' must be JSON text (a JSON value in a string), but "),
        Arguments.of(
            "argument",
            "{\"platform\":\"chrome\\u0000extension\"}",
            "'argument.platform' must not contain NUL characters (U+0000)"),
        Arguments.of(
            "event", "goTo\0Definition", "'event' must not contain NUL characters (U+0000)"),
        Arguments.of(
            "url",
            "https://github.com/gorilla/mux\0",
            "'url' must not contain NUL characters (U+0000)"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("invalidEvents")
  void logEvent_invalid_isAClearErrorAndNothingOfTheRequestIsStored(
      String field, String value, String error) throws Exception {
    for (boolean legacyFirst : new boolean[] {true, false}) {
      ObjectNode legacy = body("browser-extension-logEvent.json");
      ((ObjectNode) legacy.get("variables")).put(field, value);

      GraphQlClient.Answer answer =
          client.post(
              withRecordEvents(legacy, legacyFirst),
              variablesWithEvents(legacy, 1),
              "Authorization",
              "token " + recordEvent.userToken());

      assertEquals(200, answer.status(), answer.text());
      JsonNode refusal = errorAt(answer, "logEvent");
      assertTrue(
          refusal.path("message").asText().startsWith(error), refusal.path("message").asText());
      assertEquals("INVALID_EVENT", refusal.path("extensions").path("code").asText());
      assertEquals(
          "NOT_RECORDED",
          errorAt(answer, "recordEvents").path("extensions").path("code").asText(),
          answer.text());
      assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "nothing stored");
      assertEquals(0, queueSize(), "nothing queued");
    }
  }

  @Test
  void logEvents_namingASecondCookieId_isRefusedWholeNamingTheEventAndTheField() throws Exception {
    List<Object> events = webAppEvents(3);
    @SuppressWarnings("unchecked")
    Map<String, Object> third = (Map<String, Object>) events.get(2);
    third.put("userCookieID", EXTENSION_COOKIE);

    GraphQlClient.Answer answer =
        client.post(
            "mutation($events: [Event!]) { logEvents(events: $events) { alwaysNil } }",
            Map.of("events", events));

    assertEquals(200, answer.status(), answer.text());
    JsonNode refusal = errorAt(answer, "logEvents");
    assertTrue(
        refusal
            .path("message")
            .asText()
            .startsWith("events[2]: 'userCookieID' names another visitor than the request's"),
        answer.text());
    assertEquals("INVALID_EVENT", refusal.path("extensions").path("code").asText());
    assertFalse(answer.text().contains(EXTENSION_COOKIE), "the answer repeats no visitor ID");
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "nothing stored");
  }

  @Test
  void logEvent_inTwoFieldsOfOneRequest_isOneVisitors_orRefusedWhole() throws Exception {
    String twice =
        "mutation($first: String!, $second: String!) {"
            + " a: logEvent(event: \"ViewHome\", userCookieID: $first, url: \"https://x\","
            + " source: WEB) { alwaysNil }"
            + " b: logEvent(event: \"ViewSearch\", userCookieID: $second, url: \"https://x\","
            + " source: WEB) { alwaysNil } }";

    GraphQlClient.Answer same =
        client.post(twice, Map.of("first", WEB_APP_COOKIE, "second", WEB_APP_COOKIE));
    GraphQlClient.Answer different =
        client.post(twice, Map.of("first", WEB_APP_COOKIE, "second", EXTENSION_COOKIE));

    assertFalse(same.hasErrors(), same.text());
    assertTrue(
        errorAt(different, "b")
            .path("message")
            .asText()
            .startsWith("'userCookieID' names another visitor"),
        different.text());
    assertEquals(
        "NOT_RECORDED",
        errorAt(different, "a").path("extensions").path("code").asText(),
        different.text());
    assertEquals(
        List.of(WEB_APP_COOKIE + " ViewHome", WEB_APP_COOKIE + " ViewSearch"),
        strings("SELECT anonymous_user_id || ' ' || name FROM event_logs ORDER BY name"),
        "the first request only, one visitor");
  }

  @Test
  void logEvent_withTheAnonymousHeader_isTheCookieIdsVisitor_asInTheOriginal() throws Exception {
    GraphQlClient.Answer same =
        client.postBody(
            "/.api/graphql?logEvent",
            body("browser-extension-logEvent.json").toString(),
            Authenticator.ANONYMOUS_UID_HEADER,
            EXTENSION_COOKIE);
    GraphQlClient.Answer other =
        client.postBody(
            "/.api/graphql?logEvent",
            body("browser-extension-logEvent.json").toString(),
            Authenticator.ANONYMOUS_UID_HEADER,
            WEB_APP_COOKIE);

    assertFalse(same.hasErrors(), same.text());
    assertFalse(other.hasErrors(), other.text());
    assertEquals(
        List.of(EXTENSION_COOKIE, EXTENSION_COOKIE),
        strings("SELECT anonymous_user_id FROM event_logs"),
        "the event's userCookieID, whatever the header says");
  }

  @Test
  void legacyAndV2EventsTogether_overTheRequestLimit_areRefusedWhole() throws Exception {
    for (boolean legacyFirst : new boolean[] {true, false}) {
      String query =
          legacyFirst
              ? "mutation($legacy: [Event!], $events: [TelemetryEventInput!]!) {"
                  + " logEvents(events: $legacy) { alwaysNil }"
                  + " telemetry { recordEvents(events: $events) { alwaysNil } } }"
              : "mutation($legacy: [Event!], $events: [TelemetryEventInput!]!) {"
                  + " telemetry { recordEvents(events: $events) { alwaysNil } }"
                  + " logEvents(events: $legacy) { alwaysNil } }";
      Map<String, Object> variables = new LinkedHashMap<>();
      variables.put("legacy", webAppEvents(3));
      variables.put("events", GraphQlClient.clientEvents(3));

      GraphQlClient.Answer answer = client.post(query, variables);

      assertEquals(413, answer.status(), answer.text());
      assertTrue(
          answer
              .text()
              .contains(
                  "a request may record at most "
                      + MAX_EVENTS
                      + " events, got 6 in all its fields together; send them in smaller batches"
                      + " (limit set by TELEMETRY_MAX_EVENTS_PER_REQUEST)"),
          answer.text());
      assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "nothing stored");
      assertEquals(0, queueSize(), "nothing queued");
    }
  }

  @Test
  void logEvents_overTheRequestLimitAlone_isRefused() throws Exception {
    GraphQlClient.Answer answer =
        client.post(
            "mutation($events: [Event!]) { logEvents(events: $events) { alwaysNil } }",
            Map.of("events", webAppEvents(MAX_EVENTS + 1)));

    assertEquals(413, answer.status(), answer.text());
    assertEquals("LIMIT_EXCEEDED", answer.firstErrorCode(), answer.text());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  // ---------------------------------------------------------------------------------------------

  /** A request body of an older client, from {@code src/test/resources/legacy}. */
  private static ObjectNode body(String name) throws Exception {
    try (InputStream in = LegacyMutationsIT.class.getResourceAsStream("/legacy/" + name)) {
      return (ObjectNode) GraphQlClient.JSON.readTree(in);
    }
  }

  /**
   * The browser extension's {@code logEvent} document with a {@code recordEvents} field beside it,
   * before or after it, in one request.
   */
  private static String withRecordEvents(ObjectNode logEventBody, boolean legacyFirst) {
    String query = logEventBody.get("query").asText();
    String selections = query.substring(query.indexOf('{') + 1, query.lastIndexOf('}')).trim();
    String header = query.substring(0, query.indexOf('{')).trim();
    String variablesHeader =
        header.substring(0, header.length() - 1) + ", $events: [TelemetryEventInput!]!)";
    String record = "telemetry { recordEvents(events: $events) { alwaysNil } }";
    return variablesHeader
        + " { "
        + (legacyFirst ? selections + " " + record : record + " " + selections)
        + " }";
  }

  private static Map<String, Object> variablesWithEvents(ObjectNode body, int v2Events) {
    @SuppressWarnings("unchecked")
    Map<String, Object> variables =
        GraphQlClient.JSON.convertValue(body.get("variables"), LinkedHashMap.class);
    variables.put("events", GraphQlClient.clientEvents(v2Events));
    return variables;
  }

  /** {@code count} events of the web app's body, by the web app's first event. */
  private static List<Object> webAppEvents(int count) throws Exception {
    JsonNode first = body("web-app-logEvents.json").path("variables").path("events").path(0);
    List<Object> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(GraphQlClient.JSON.convertValue(first, Map.class));
    }
    return events;
  }

  /** The error whose path ends with {@code field}. */
  private static JsonNode errorAt(GraphQlClient.Answer answer, String field) {
    for (JsonNode error : answer.body().path("errors")) {
      JsonNode path = error.path("path");
      if (path.size() > 0 && path.get(path.size() - 1).asText().equals(field)) {
        return error;
      }
    }
    throw new AssertionError("no error at " + field + ": " + answer.text());
  }

  private static long queueSize() {
    return db.queryLong("SELECT count(*) FROM telemetry_events_export_queue");
  }

  private static JsonNode json(Object text) throws Exception {
    return GraphQlClient.JSON.readTree(String.valueOf(text));
  }

  private static Map<String, Object> onlyRow() throws Exception {
    List<Map<String, Object>> rows = rows("SELECT * FROM event_logs");
    assertEquals(1, rows.size(), "one event_logs row: " + rows);
    return rows.get(0);
  }

  /** Every row of a query, its columns by name (JSON columns as their text). */
  private static List<Map<String, Object>> rows(String sql) throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          Object value = rs.getObject(i);
          row.put(
              meta.getColumnName(i),
              value == null ? null : value instanceof Number ? value : value.toString());
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private static List<String> strings(String sql) throws Exception {
    List<String> values = new ArrayList<>();
    for (Map<String, Object> row : rows(sql)) {
      values.add(String.valueOf(row.values().iterator().next()));
    }
    return values;
  }
}
