package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rate limits per caller, in the real invoker: small limits, so that a test reaches them in a few
 * requests (and the buckets refill far slower than a test runs). Each test uses callers of its own.
 */
@ExtendWith(PostgresExtension.class)
class RecordEventRateLimitIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static TestDatabase db;
  private static FunctionProcess function;
  private static AccessTokens tokens;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    function =
        RecordEventProcesses.start(
            db,
            Map.of(
                "TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE",
                "3",
                "TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE",
                "10",
                "TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE",
                "2"));
    tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
  }

  @AfterAll
  static void stop() throws Exception {
    if (function != null) {
      function.close();
    }
  }

  record Response(int status, HttpResponse<String> raw, JsonNode body) {
    String firstError() {
      return body.path("errors").path(0).path("message").asText();
    }
  }

  private static Response post(String query, Map<String, Object> variables, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(function.uri("/.api/graphql"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    JSON.writeValueAsString(Map.of("query", query, "variables", variables))));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), response, JSON.readTree(response.body()));
  }

  private static Response record(int events, String feature, String... headers) throws Exception {
    List<Map<String, Object>> batch = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      batch.add(
          Map.of(
              "feature",
              feature,
              "action",
              "limited",
              "source",
              Map.of("client", "rate-test"),
              "parameters",
              Map.of("version", 1)));
    }
    return post(RecordEventIT.MUTATION, Map.of("events", batch), headers);
  }

  private static String token(long userId, boolean siteAdmin) {
    Set<String> scopes =
        siteAdmin
            ? Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN)
            : Set.of(AccessTokens.USER_ALL);
    return "token " + tokens.create(userId, scopes, null, "rate limit test").token();
  }

  private static long logged(String feature) {
    return db.queryLong("SELECT count(*) FROM event_logs WHERE name = '" + feature + ".limited'");
  }

  @Test
  void aSignedInUserOverTheRequestLimit_gets429WithRetryAfterAndOthersAreNotAffected()
      throws Exception {
    String user = token(101, false);
    String other = token(102, false);

    for (int i = 0; i < 3; i++) {
      assertEquals(200, record(1, "requests.user", "Authorization", user).status());
    }
    Response refused = record(1, "requests.user", "Authorization", user);
    Response someoneElse = record(1, "requests.other", "Authorization", other);

    assertEquals(429, refused.status(), refused.raw().body());
    long retryAfter =
        Long.parseLong(refused.raw().headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 20, "one request comes back every 20 s");
    assertTrue(
        refused.firstError().startsWith("too many requests: at most 3 a minute per caller"),
        refused.firstError());
    assertTrue(refused.firstError().contains("TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE"));
    assertTrue(refused.firstError().endsWith("nothing of this request was recorded"));
    assertEquals(3, logged("requests.user"));
    assertEquals(200, someoneElse.status(), "a bucket per caller");
  }

  @Test
  void anonymousCallers_areCountedByTheAddressGooglesFrontEndAppended() throws Exception {
    String address = "X-Forwarded-For";

    record(1, "requests.anonymous", address, "198.51.100.1");
    record(1, "requests.anonymous", address, "203.0.113.5, 198.51.100.1");
    record(1, "requests.anonymous", address, "203.0.113.6, 198.51.100.1");
    Response spoofing = record(1, "requests.anonymous", address, "203.0.113.99, 198.51.100.1");
    Response elsewhere = record(1, "requests.anonymous", address, "198.51.100.2");

    assertEquals(429, spoofing.status(), "what the client put first does not make a new caller");
    assertEquals(200, elsewhere.status());
    assertEquals(4, logged("requests.anonymous"));
  }

  @Test
  void eventsOverTheEventLimit_are429AndNothingOfThatRequestIsStored() throws Exception {
    String user = token(201, false);

    Response first = record(8, "events.user", "Authorization", user);
    Response second = record(8, "events.user", "Authorization", user);

    assertEquals(200, first.status(), first.raw().body());
    assertEquals(429, second.status(), second.raw().body());
    assertTrue(second.raw().headers().firstValue("Retry-After").isPresent());
    assertTrue(
        second.body().path("errors").toString().contains("TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE"),
        second.raw().body());
    assertTrue(second.body().path("data").path("telemetry").path("recordEvents").isNull());
    assertEquals(8, logged("events.user"));
  }

  @Test
  void adminQueries_haveALimitOfTheirOwn() throws Exception {
    String admin = token(301, true);
    String query = "{ telemetry { exportedEvents(first: 1) { totalCount } } }";

    Response first = post(query, Map.of(), "Authorization", admin);
    Response second = post(query, Map.of(), "Authorization", admin);
    Response recording = record(1, "admin.records", "Authorization", token(302, true));
    Response third = post(query, Map.of(), "Authorization", token(301, true));

    assertFalse(first.body().has("errors"), first.raw().body());
    assertFalse(second.body().has("errors"), second.raw().body());
    assertEquals(200, recording.status(), "another admin is another caller");
    assertEquals(429, third.status(), third.raw().body());
    assertEquals(
        "RATE_LIMITED",
        third.body().path("errors").path(0).path("extensions").path("code").asText());
    assertTrue(third.firstError().contains("TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE"));
  }
}
