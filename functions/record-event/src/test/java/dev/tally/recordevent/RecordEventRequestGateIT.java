package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.store.AccessTokens;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a request passes before its body is read, in the real invoker: the budget of its address,
 * its credentials (with the address's budget of refused tokens), the caller's budgets of requests
 * and bytes. Small budgets, so that a test reaches them in a few requests (they refill far slower
 * than a test runs); each test sends from addresses and as users of its own.
 */
@ExtendWith(PostgresExtension.class)
class RecordEventRequestGateIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

  private static final int ADDRESS_REQUESTS = 20;
  private static final int FAILED_AUTHENTICATIONS = 3;
  private static final int BYTES = 8192;
  private static final int ANONYMOUS_BYTES = 4096;

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
                "TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE",
                String.valueOf(ADDRESS_REQUESTS),
                "TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE",
                String.valueOf(FAILED_AUTHENTICATIONS),
                "TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE",
                String.valueOf(BYTES),
                "TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE",
                String.valueOf(ANONYMOUS_BYTES)));
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

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  /** The body of a request recording one event of {@code feature}, {@code padding} bytes longer. */
  private static byte[] recording(String feature, int padding) throws Exception {
    Map<String, Object> event =
        Map.of(
            "feature",
            feature,
            "action",
            "gated",
            "source",
            Map.of("client", "gate-test"),
            "parameters",
            Map.of("version", 1));
    String body =
        JSON.writeValueAsString(
            Map.of("query", RecordEventIT.MUTATION, "variables", Map.of("events", List.of(event))));
    // Whitespace after the JSON value: a body of the size a test needs, with the same one event.
    return (body + " ".repeat(padding)).getBytes(StandardCharsets.UTF_8);
  }

  private static Response send(HttpRequest.BodyPublisher body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(function.uri("/.api/graphql"))
            .timeout(ANSWER_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(body);
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), response, JSON.readTree(response.body()));
  }

  private static Response post(byte[] body, String... headers) throws Exception {
    return send(HttpRequest.BodyPublishers.ofByteArray(body), headers);
  }

  /** Sends {@code body} without a Content-Length (chunked): its length is known once read. */
  private static Response postChunked(byte[] body, String... headers) throws Exception {
    return send(
        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)), headers);
  }

  private static Response typename(String... headers) throws Exception {
    return post("{\"query\":\"{ __typename }\"}".getBytes(StandardCharsets.UTF_8), headers);
  }

  private static String token(long userId) {
    return "token "
        + tokens.create(userId, Set.of(AccessTokens.USER_ALL), null, "gate test").token();
  }

  private static long stored(String feature) {
    return db.queryLong("SELECT count(*) FROM event_logs WHERE name = '" + feature + ".gated'");
  }

  /**
   * The status line and headers a request of these headers and a declared body of {@code
   * contentLength} bytes gets when the body is never sent: an answer proves the function did not
   * wait for the body, which it would have to read.
   */
  private static String answerWithoutSendingTheBody(long contentLength, String... headers)
      throws IOException {
    StringBuilder head =
        new StringBuilder("POST /.api/graphql HTTP/1.1\r\n")
            .append("Host: 127.0.0.1:")
            .append(function.port())
            .append("\r\nContent-Type: application/json\r\nContent-Length: ")
            .append(contentLength)
            .append("\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    head.append("\r\n");
    try (Socket socket = new Socket("127.0.0.1", function.port())) {
      socket.setSoTimeout((int) ANSWER_TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // Read until the function closes the connection; a timeout here means it waited for the body.
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The request log lines that say a request was refused by the limit of {@code setting}. */
  private static List<JsonNode> refusedBy(String setting) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : function.output().split("\n")) {
      if (line.startsWith("{") && line.contains(setting)) {
        JsonNode entry = JSON.readTree(line);
        if ("record-event request".equals(entry.path("message").asText())
            && setting.equals(entry.path("limit").asText())) {
          lines.add(entry);
        }
      }
    }
    return lines;
  }

  @Test
  void aFloodOfBadTokensFromOneAddress_isRefusedBeforeAnyLookupAndValidClientsStillWork()
      throws Exception {
    String flooding = "198.51.100.11";
    for (int i = 0; i < FAILED_AUTHENTICATIONS; i++) {
      Response refused =
          typename("X-Forwarded-For", flooding, "Authorization", "token not-a-token-" + i);
      assertEquals(401, refused.status(), refused.raw().body());
    }

    List<Response> flood = new ArrayList<>();
    CompletableFuture<HttpResponse<String>> looksUp;
    // While another transaction holds the tokens table, any lookup of a token waits for it.
    try (Connection lock = db.dataSource().getConnection()) {
      lock.setAutoCommit(false);
      try (Statement statement = lock.createStatement()) {
        statement.execute("LOCK TABLE access_tokens IN ACCESS EXCLUSIVE MODE");
      }
      for (int i = 0; i < 10; i++) {
        flood.add(typename("X-Forwarded-For", flooding, "Authorization", "token flood-" + i));
      }
      // The lock does stop lookups: a bad token from an address with budget left waits.
      looksUp =
          HTTP.sendAsync(
              HttpRequest.newBuilder(function.uri("/.api/graphql"))
                  .header("Content-Type", "application/json")
                  .header("X-Forwarded-For", "198.51.100.12")
                  .header("Authorization", "token looked-up")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"{ __typename }\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      awaitALookupWaitingForTheLock();
      lock.rollback();
    }

    for (Response refused : flood) {
      assertEquals(429, refused.status(), refused.raw().body());
      assertTrue(refused.header("Retry-After") != null, "Retry-After");
      assertEquals("close", refused.header("Connection"));
      assertTrue(
          refused.firstError().startsWith("too many refused access tokens from this address"),
          refused.firstError());
      assertTrue(
          refused.firstError().contains("TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE"));
      assertEquals(
          "TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE",
          refused.body().path("errors").path(0).path("extensions").path("setting").asText());
    }
    assertEquals(401, looksUp.get().statusCode(), "looked up once the lock was gone");
    awaitLogLines("TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE", 10);
    for (JsonNode line : refusedBy("TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE")) {
      assertEquals("rate_limited", line.path("outcome").asText());
      assertEquals(429, line.path("status").asInt());
    }

    Response valid =
        post(
            recording("tokens.valid", 0),
            "X-Forwarded-For",
            "198.51.100.13",
            "Authorization",
            token(401));
    Response anonymousFromTheFloodingAddress =
        post(recording("tokens.anonymous", 0), "X-Forwarded-For", flooding);
    assertEquals(200, valid.status(), valid.raw().body());
    assertEquals(1, stored("tokens.valid"));
    assertEquals(
        200,
        anonymousFromTheFloodingAddress.status(),
        "no token, no lookup: the address may still record anonymously");
    assertEquals(1, stored("tokens.anonymous"));
  }

  private static void awaitALookupWaitingForTheLock() throws Exception {
    long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
    while (db.queryLong(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                + " AND query LIKE '%FROM access_tokens%'")
        == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no token lookup waited for the locked table");
      }
      Thread.onSpinWait();
    }
  }

  private static void awaitLogLines(String setting, int count) throws Exception {
    // A request's line is written after its answer: wait for it, not for a time.
    long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
    while (refusedBy(setting).size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "expected " + count + " log lines refused by " + setting + ":\n" + function.output());
      }
      Thread.onSpinWait();
    }
    assertEquals(count, refusedBy(setting).size());
  }

  @Test
  void aCallerOverTheByteBudget_gets429NamingTheSettingAndNothingIsStored() throws Exception {
    String user = token(402);
    String address = "198.51.100.21";
    byte[] fiveKib = recording("bytes.user", 5 * 1024 - recording("bytes.user", 0).length);

    Response first = post(fiveKib, "X-Forwarded-For", address, "Authorization", user);
    Response second = post(fiveKib, "X-Forwarded-For", address, "Authorization", user);
    String unsent =
        answerWithoutSendingTheBody(
            fiveKib.length, "X-Forwarded-For", address, "Authorization", user);
    Response someoneElse = post(fiveKib, "X-Forwarded-For", address, "Authorization", token(403));

    assertEquals(200, first.status(), first.raw().body());
    assertEquals(429, second.status(), second.raw().body());
    assertTrue(second.header("Retry-After") != null);
    assertEquals("close", second.header("Connection"), "refused before its body was read");
    assertTrue(
        second
            .firstError()
            .startsWith(
                "too many bytes: at most 8192 bytes of request bodies a minute per signed-in"
                    + " user and function instance (limit set by"
                    + " TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE)"),
        second.firstError());
    assertTrue(second.firstError().endsWith("nothing of this request was recorded"));
    assertTrue(unsent.startsWith("HTTP/1.1 429 "), unsent);
    assertTrue(unsent.contains("TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE"), unsent);
    assertEquals(200, someoneElse.status(), "a budget per user");
    assertEquals(2, stored("bytes.user"), "the first request and the other user's");
  }

  @Test
  void bodiesOfUnknownLength_areCountedAsReadAgainstTheLowerAnonymousBudget() throws Exception {
    String address = "198.51.100.31";
    byte[] threeKib = recording("bytes.chunked", 3 * 1024 - recording("bytes.chunked", 0).length);

    Response first = postChunked(threeKib, "X-Forwarded-For", address);
    Response second = postChunked(threeKib, "X-Forwarded-For", address);
    Response third = postChunked(threeKib, "X-Forwarded-For", address);
    Response signedIn =
        postChunked(threeKib, "X-Forwarded-For", address, "Authorization", token(404));

    assertEquals(200, first.status(), first.raw().body());
    assertEquals(429, second.status(), second.raw().body());
    assertTrue(
        second.firstError().contains("TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE"),
        second.firstError());
    assertEquals(null, second.header("Connection"), "read, then refused: the connection is fine");
    assertEquals(429, third.status(), "what was read is owed");
    assertEquals("close", third.header("Connection"), "refused unread");
    assertEquals(200, signedIn.status(), "signed-in users have a budget of their own");
    assertEquals(2, stored("bytes.chunked"), "the first and the signed-in user's");
  }

  @Test
  void aRequestOverTheAddressBudget_isRefusedWithoutItsBodyBeingRead() throws Exception {
    String address = "198.51.100.41";
    for (int i = 0; i < ADDRESS_REQUESTS; i++) {
      assertEquals(200, typename("X-Forwarded-For", address).status(), "request " + i);
    }

    String unsent = answerWithoutSendingTheBody(100_000, "X-Forwarded-For", address);
    Response signedIn = typename("X-Forwarded-For", address, "Authorization", token(405));
    Response elsewhere = typename("X-Forwarded-For", "198.51.100.42");

    assertTrue(unsent.startsWith("HTTP/1.1 429 "), unsent);
    String headers = unsent.substring(0, unsent.indexOf("\r\n\r\n")).toLowerCase();
    assertTrue(headers.contains("\r\nconnection: close"), unsent);
    assertTrue(
        headers.matches("(?s).*\r\nretry-after: [123]\r\n.*"),
        "one request comes back every 3 s: " + unsent);
    assertTrue(
        unsent.contains(
            "too many requests from this address: at most 20 a minute per address and function"
                + " instance (limit set by TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE)"),
        unsent);
    assertEquals(429, signedIn.status(), "signed-in or not, every request counts");
    assertEquals(200, elsewhere.status(), elsewhere.raw().body());
  }

  @Test
  void aBodyOverTheSizeLimit_getsIts413WithAFullBudgetAndSpendsIt() throws Exception {
    String user = token(406);
    String address = "198.51.100.51";
    byte[] large = recording("bytes.large", 3 * 1024 * 1024);

    Response tooLarge = post(large, "X-Forwarded-For", address, "Authorization", user);
    Response next =
        post(recording("bytes.large", 0), "X-Forwarded-For", address, "Authorization", user);

    assertEquals(413, tooLarge.status(), "a cost above a minute's worth passes a full bucket");
    assertTrue(
        tooLarge.firstError().contains("TELEMETRY_MAX_REQUEST_BYTES"), tooLarge.firstError());
    assertEquals(429, next.status(), "and spends it");
    assertTrue(next.firstError().contains("TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE"));
    assertEquals(0, stored("bytes.large"));
  }
}
