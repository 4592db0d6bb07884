package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.testing.FunctionProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A record-event function that refuses anonymous events and whose database is down: requests get a
 * 401 or a 503 that says what happened, never a 500 or a hang.
 */
class RecordEventLockdownIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BODY =
      "{\"query\":\"mutation { telemetry { recordEvents(events: [{feature: \\\"a.b\\\", action:"
          + " \\\"c.d\\\", source: {client: \\\"curl\\\"}, parameters: {version: 0}}]) { alwaysNil"
          + " } } }\"}";

  private static FunctionProcess function;
  private static FunctionProcess anonymousFunction;

  @BeforeAll
  static void start() throws Exception {
    int deadPort = FunctionProcess.freePort();
    function =
        FunctionProcess.start(
            "record-event",
            "dev.tally.recordevent.RecordEventFunction",
            Map.of(
                "DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + deadPort + "/tally",
                "DATABASE_CONNECT_TIMEOUT", "500ms",
                "TELEMETRY_ALLOW_ANONYMOUS", "false",
                "GOOGLE_CLOUD_PROJECT", "tally-project",
                "K_REVISION", "record-event-00042-abc"));
    anonymousFunction =
        FunctionProcess.start(
            "record-event",
            "dev.tally.recordevent.RecordEventFunction",
            Map.of(
                "DATABASE_URL",
                "jdbc:postgresql://127.0.0.1:" + deadPort + "/tally",
                "DATABASE_CONNECT_TIMEOUT",
                "500ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    function.close();
    anonymousFunction.close();
  }

  private static HttpResponse<String> post(String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(function.uri("/.api/graphql"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String firstError(HttpResponse<String> response) throws Exception {
    JsonNode body = JSON.readTree(response.body());
    return body.path("errors").path(0).path("message").asText();
  }

  @Test
  void anonymousEvents_areRefusedWhenSwitchedOff() throws Exception {
    HttpResponse<String> response = post(Authenticator.ANONYMOUS_UID_HEADER, "visitor-1");

    assertEquals(401, response.statusCode());
    assertEquals(
        "this instance does not record anonymous events; send 'Authorization: token <access"
            + " token>'",
        firstError(response));
  }

  @Test
  void aDatabaseThatIsDown_isA503SayingNothingWasRecorded() throws Exception {
    HttpResponse<String> response = post("Authorization", "token tly_some_token_value_000000");

    assertEquals(503, response.statusCode());
    assertEquals(
        "the instance database is unavailable and nothing was recorded; retry later",
        firstError(response));
  }

  @Test
  void aDatabaseThatIsDown_isA503ForTheClientsMutationFromAnAnonymousVisitor() throws Exception {
    String body =
        JSON.writeValueAsString(
            Map.of(
                "query",
                RecordEventIT.MUTATION,
                "variables",
                Map.of(
                    "events",
                    List.of(
                        Map.of(
                            "feature",
                            "cody.chat",
                            "action",
                            "submitted",
                            "source",
                            Map.of("client", "VSCode"),
                            "parameters",
                            Map.of("version", 1))))));
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(anonymousFunction.uri("/.api/graphql"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("X-Sourcegraph-Actor-Anonymous-UID", "visitor-1")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertEquals(503, response.statusCode(), response.body());
    assertEquals(
        "the instance database is unavailable and nothing was recorded; retry later",
        firstError(response));
  }

  @Test
  void theOutagesErrorLine_isOneErrorReportingAndCloudTraceUnderstand() throws Exception {
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    int before = function.output().length();

    post(
        "Authorization",
        "token tly_some_token_value_000000",
        "traceparent",
        "00-" + trace + "-00f067aa0ba902b7-01");

    // The request's own lines: the outage's error and the request's summary. (The instance's
    // start and its warm-up write lines of their own beside it, outside any request.)
    // The summary line is written once the answer is sent: wait for it.
    List<JsonNode> lines = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (lines.size() < 2 && System.nanoTime() < deadline) {
      lines.clear();
      for (String line : function.output().substring(before).split("\n")) {
        boolean whole = line.endsWith("}"); // not a line still being written
        if (whole
            && (line.startsWith("{\"severity\":\"ERROR\",\"message\":\"database unavailable")
                || line.contains("\"message\":\"record-event request\""))) {
          lines.add(JSON.readTree(line));
        }
      }
      Thread.sleep(20);
    }
    JsonNode error =
        lines.stream()
            .filter(l -> l.path("severity").asText().equals("ERROR"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ERROR line in " + lines));
    assertEquals(
        "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent",
        error.path("@type").asText());
    assertEquals("record-event", error.path("serviceContext").path("service").asText());
    assertEquals("record-event-00042-abc", error.path("serviceContext").path("version").asText());
    assertTrue(
        error.path("message").asText().contains("\n\tat dev.tally."), "a stack trace in message");
    for (JsonNode line : lines) {
      assertEquals(
          "projects/tally-project/traces/" + trace,
          line.path("logging.googleapis.com/trace").asText(),
          "every line of the request: " + line);
      assertEquals("00f067aa0ba902b7", line.path("logging.googleapis.com/spanId").asText());
    }
    assertEquals(2, lines.size(), "the error and the request's line: " + lines);
  }
}
