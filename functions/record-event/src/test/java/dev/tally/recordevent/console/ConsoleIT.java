package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.store.AccessTokens;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The console's HTTP rules through the real invoker: sign-in, the cookie, the Origin check, the
 * headers of its pages, and that its classes stay off the path of recording.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static TestDatabase db;
  private static FunctionProcess function;
  private static String adminToken;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    function = start(Map.of());
    adminToken =
        new AccessTokens(db.dataSource(), Clock.systemUTC())
            .create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
            .token();
  }

  private static FunctionProcess start(Map<String, String> settings) throws Exception {
    Map<String, String> env = new HashMap<>(settings);
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    return FunctionProcess.start("record-event", "dev.tally.recordevent.RecordEventFunction", env);
  }

  @AfterAll
  static void stop() throws Exception {
    if (function != null) {
      function.close();
    }
  }

  @BeforeEach
  void exportOn() {
    db.execute(
        "DELETE FROM feature_flags; INSERT INTO feature_flags (name, enabled)"
            + " VALUES ('telemetry-export', true)");
  }

  private static String origin() {
    return "http://127.0.0.1:" + function.port();
  }

  private static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(function.uri(path)).GET();
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> postForm(String path, String form, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(function.uri(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String flag() {
    return db.queryString(
        "SELECT enabled::text FROM feature_flags WHERE name = 'telemetry-export'");
  }

  @Test
  void consoleClasses_loadWithTheFirstConsoleRequestNotWithRecording() throws Exception {
    Path classLog = FunctionProcess.logFile("record-event-classes");
    try (FunctionProcess fresh =
        start(Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + classLog))) {
      assertConsoleLoadsLate(fresh, classLog);
    }
  }

  private static void assertConsoleLoadsLate(FunctionProcess fresh, Path classLog)
      throws Exception {
    HttpResponse<String> recorded =
        HTTP.send(
            HttpRequest.newBuilder(fresh.uri("/.api/graphql"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"query\":\"mutation { telemetry { recordEvents(events: [{feature:"
                            + " \\\"cold.path\\\", action: \\\"checked\\\", source: {client:"
                            + " \\\"it\\\"}, parameters: {version: 0}}]) { alwaysNil } } }\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, recorded.statusCode(), recorded.body());
    awaitWarm(fresh);

    String beforeConsole = Files.readString(classLog);
    assertTrue(beforeConsole.contains("dev.tally.recordevent.RecordEventFunction"), "log works");
    assertFalse(beforeConsole.contains("dev.tally.recordevent.console."), "console classes");
    assertFalse(beforeConsole.contains("com.github.mustachejava"), "template engine");
    assertFalse(beforeConsole.contains("dev.tally.recordevent.ConsoleGraphQl"));

    HttpResponse<String> signIn =
        HTTP.send(
            HttpRequest.newBuilder(fresh.uri("/console/sign-in")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, signIn.statusCode());

    String afterConsole = Files.readString(classLog);
    assertTrue(afterConsole.contains("dev.tally.recordevent.console.Console "), "now loaded");
    assertTrue(afterConsole.contains("com.github.mustachejava"));
  }

  /** Waits until the instance logged that its warm-up is done: what loads later is on demand. */
  private static void awaitWarm(FunctionProcess fresh) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!fresh.output().contains("\"instance warm\"") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(fresh.output().contains("\"instance warm\""), fresh.output());
  }

  @Test
  void pages_withoutASignInAreRefusedWithTheSignInForm() throws Exception {
    for (String path : new String[] {"/console", "/console/export", "/console/exported"}) {
      HttpResponse<String> page = get(path);

      assertEquals(401, page.statusCode(), path);
      assertTrue(page.body().contains("<input id=\"token\""), path);
    }
    HttpResponse<String> change =
        postForm("/console/export/switch", "enabled=false", "Origin", origin());
    assertEquals(401, change.statusCode());
    assertEquals("true", flag());
  }

  @Test
  void signIn_setsAnHttpOnlyStrictCookieAndRedirectsToTheConsole() throws Exception {
    HttpResponse<String> signedIn =
        postForm("/console/sign-in", "token=" + adminToken, "Origin", origin());

    assertEquals(303, signedIn.statusCode(), signedIn.body());
    assertEquals("/console", signedIn.headers().firstValue("Location").orElseThrow());
    String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    assertEquals(
        "tally_console=" + adminToken + "; Path=/console; Max-Age=28800; HttpOnly; SameSite=Strict",
        cookie,
        "Secure is left out on a loopback address only");
    assertFalse(signedIn.headers().firstValue("Location").orElseThrow().contains(adminToken));

    HttpResponse<String> crossSite =
        postForm("/console/sign-in", "token=" + adminToken, "Origin", "https://evil.example");
    assertEquals(403, crossSite.statusCode());
    assertTrue(crossSite.headers().allValues("Set-Cookie").isEmpty());
  }

  @Test
  void changes_needTheConsolesOwnOrigin() throws Exception {
    String cookie = "tally_console=" + adminToken;

    HttpResponse<String> foreign =
        postForm(
            "/console/export/switch",
            "enabled=false",
            "Cookie",
            cookie,
            "Origin",
            "https://evil.example");
    HttpResponse<String> none =
        postForm("/console/export/switch", "enabled=false", "Cookie", cookie);

    assertEquals(403, foreign.statusCode());
    assertEquals(403, none.statusCode());
    assertEquals("true", flag(), "nothing changed");

    HttpResponse<String> own =
        postForm("/console/export/switch", "enabled=false", "Cookie", cookie, "Origin", origin());

    assertEquals(303, own.statusCode(), own.body());
    assertEquals("false", flag());
  }

  @Test
  void setAsideEvents_areListedWithTheirReasonAndDiscardedFromTheExportPage() throws Exception {
    String id = "01900000-0000-7000-8000-00000000c0de";
    db.execute(
        "INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb, set_aside_at,"
            + " set_aside_reason) VALUES ('"
            + id
            + "', now(), '\\x0a', now(), 'payload is not a valid Event: <truncated>')");
    String cookie = "tally_console=" + adminToken;

    HttpResponse<String> page = get("/console/export", "Cookie", cookie);

    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains(id), page.body());
    assertTrue(
        page.body().contains("payload is not a valid Event: &lt;truncated&gt;"),
        "the reason, HTML-escaped");

    HttpResponse<String> discarded =
        postForm(
            "/console/export/set-aside",
            "action=discard&id=" + id,
            "Cookie",
            cookie,
            "Origin",
            origin());

    assertEquals(303, discarded.statusCode(), discarded.body());
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM telemetry_events_export_queue WHERE id = '" + id + "'"));
  }

  @Test
  void pages_loadNothingFromElsewhereAndAreNeverCached() throws Exception {
    HttpResponse<String> page = get("/console", "Cookie", "tally_console=" + adminToken);

    assertEquals(200, page.statusCode(), page.body());
    assertEquals("no-store", page.headers().firstValue("Cache-Control").orElseThrow());
    assertTrue(
        page.headers()
            .firstValue("Content-Security-Policy")
            .orElseThrow()
            .startsWith("default-src 'none'"));
    assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElseThrow());
    assertFalse(page.body().contains("<script"), "no script");
    assertFalse(page.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing external");
    assertEquals(200, get("/console/console.css").statusCode());
  }

  @Test
  void graphQlEndpoint_neverAcceptsTheConsolesCookie() throws Exception {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(function.uri("/.api/graphql"))
                .header("Content-Type", "application/json")
                .header("Cookie", "tally_console=" + adminToken)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"query\":\"{ telemetry { exportStatus { enabled } } }\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertTrue(answer.body().contains("FORBIDDEN"), answer.body());
  }

  @Test
  void console_isOffWhenTheSettingSaysSo() throws Exception {
    try (FunctionProcess off = start(Map.of("TELEMETRY_CONSOLE_ENABLED", "false"))) {
      HttpResponse<String> page =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(off.uri("/console").toString())).GET().build(),
              HttpResponse.BodyHandlers.ofString());

      assertEquals(405, page.statusCode(), "answered as the GraphQL endpoint");
      assertFalse(page.body().contains("<html"));
    }
  }
}
