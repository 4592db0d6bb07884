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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The console's HTTP rules through the real invoker: sign-in, the session and its cookie, sign-out,
 * revocation, the sign-in limit, the Origin check, and that its classes stay off the path of
 * recording. What a page shows and which headers it carries is rendered without an invoker in
 * {@link ConsolePagesTest} and {@link ConsoleSignInTest}.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Sign-in attempts per address and minute: few, so that a test can reach the limit. */
  private static final int SIGN_IN_ATTEMPTS = 3;

  /** Each sign-in of a test comes from an address of its own, apart from the limit's test. */
  private static final AtomicInteger ADDRESSES = new AtomicInteger();

  private static TestDatabase db;
  private static FunctionProcess function;
  private static String adminToken;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    function =
        start(
            Map.of(
                "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE", String.valueOf(SIGN_IN_ATTEMPTS)));
    adminToken = newAdminToken().token();
  }

  private static AccessTokens.CreatedToken newAdminToken() {
    return new AccessTokens(db.dataSource(), Clock.systemUTC())
        .create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin");
  }

  /** Signs in from an address of its own; the {@code Cookie} header that sends the session. */
  private static String signIn(String token) throws Exception {
    HttpResponse<String> signedIn =
        postForm(
            "/console/sign-in",
            "token=" + token,
            "Origin",
            origin(),
            "X-Forwarded-For",
            "198.51.100." + ADDRESSES.incrementAndGet());
    assertEquals(303, signedIn.statusCode(), signedIn.body());
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    return setCookie.substring(0, setCookie.indexOf(';'));
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
    assertFalse(beforeConsole.contains("dev.tally.store.ConsoleSessions"), "console sessions");

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
  void signIn_setsAnHttpOnlyStrictCookieThatHoldsASessionIdNotTheToken() throws Exception {
    AccessTokens.CreatedToken token = newAdminToken();

    HttpResponse<String> signedIn =
        postForm(
            "/console/sign-in",
            "token=" + token.token(),
            "Origin",
            origin(),
            "X-Forwarded-For",
            "198.51.100." + ADDRESSES.incrementAndGet());

    assertEquals(303, signedIn.statusCode(), signedIn.body());
    assertEquals("/console", signedIn.headers().firstValue("Location").orElseThrow());
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(
        setCookie.matches(
            "tally_console=[A-Za-z0-9_-]{43}; Path=/console; Max-Age=28800; HttpOnly;"
                + " SameSite=Strict"),
        setCookie + " (Secure is left out on a loopback address only)");
    assertFalse(setCookie.contains(token.token()), "the cookie holds no token");
    String sessionId = setCookie.substring("tally_console=".length(), setCookie.indexOf(';'));
    assertEquals(
        token.id(),
        db.queryLong(
            "SELECT access_token_id FROM console_sessions WHERE session_sha256 = '\\x"
                + HexFormat.of()
                    .formatHex(
                        MessageDigest.getInstance("SHA-256")
                            .digest(sessionId.getBytes(StandardCharsets.US_ASCII)))
                + "'"),
        "the instance keeps the session's hash, with the token it was opened with");

    HttpResponse<String> page = get("/console", "Cookie", "tally_console=" + sessionId);
    assertEquals(200, page.statusCode(), page.body());
    assertFalse(page.body().contains(token.token()));

    HttpResponse<String> crossSite =
        postForm("/console/sign-in", "token=" + adminToken, "Origin", "https://evil.example");
    assertEquals(403, crossSite.statusCode());
    assertTrue(crossSite.headers().allValues("Set-Cookie").isEmpty());
  }

  @Test
  void cookie_thatHoldsNoKnownSession_isRefusedWithTheSignInForm() throws Exception {
    byte[] guess = new byte[32];
    new SecureRandom().nextBytes(guess);
    for (String value :
        List.of(Base64.getUrlEncoder().withoutPadding().encodeToString(guess), adminToken)) {
      HttpResponse<String> page = get("/console", "Cookie", "tally_console=" + value);

      assertEquals(401, page.statusCode());
      assertTrue(page.body().contains("<input id=\"token\""), page.body());
    }
  }

  @Test
  void signOut_fromAnotherOrigin_isRefusedAndTheSessionLives() throws Exception {
    String cookie = signIn(adminToken);

    HttpResponse<String> foreign =
        postForm("/console/sign-out", "", "Cookie", cookie, "Origin", "https://evil.example");
    HttpResponse<String> none = postForm("/console/sign-out", "", "Cookie", cookie);

    assertEquals(403, foreign.statusCode());
    assertEquals(403, none.statusCode());
    assertTrue(foreign.headers().allValues("Set-Cookie").isEmpty());
    assertEquals(200, get("/console", "Cookie", cookie).statusCode(), "still signed in");
  }

  @Test
  void signOut_endsTheSessionSoTheOldCookieNoLongerWorks() throws Exception {
    String cookie = signIn(adminToken);
    assertEquals(200, get("/console/export", "Cookie", cookie).statusCode());

    HttpResponse<String> signedOut =
        postForm("/console/sign-out", "", "Cookie", cookie, "Origin", origin());

    assertEquals(303, signedOut.statusCode(), signedOut.body());
    assertEquals("/console/sign-in", signedOut.headers().firstValue("Location").orElseThrow());
    assertTrue(
        signedOut.headers().firstValue("Set-Cookie").orElseThrow().contains("Max-Age=0"),
        "the browser drops the cookie");
    // A copy of the cookie kept anyway: the server ended the session.
    HttpResponse<String> replayed = get("/console/export", "Cookie", cookie);
    assertEquals(401, replayed.statusCode());
    assertTrue(replayed.body().contains("signed out; sign in again"), replayed.body());
    HttpResponse<String> change =
        postForm("/console/export/switch", "enabled=false", "Cookie", cookie, "Origin", origin());
    assertEquals(401, change.statusCode());
    assertEquals("true", flag());
  }

  @Test
  void revokingTheToken_endsALiveSessionAtOnce() throws Exception {
    AccessTokens.CreatedToken token = newAdminToken();
    String cookie = signIn(token.token());
    assertEquals(200, get("/console", "Cookie", cookie).statusCode());

    AccessTokens.Revocation revoked =
        new AccessTokens(db.dataSource(), Clock.systemUTC()).revoke(token.id());

    assertEquals(1, revoked.consoleSessionsEnded());
    HttpResponse<String> page = get("/console", "Cookie", cookie);
    assertEquals(401, page.statusCode());
    assertTrue(page.body().contains("was revoked"), page.body());
    assertTrue(
        page.headers().firstValue("Set-Cookie").orElseThrow().contains("Max-Age=0"),
        "the cookie is removed");
  }

  @Test
  void signIn_refusedAfterTooManyAttemptsFromOneAddress() throws Exception {
    String address = "203.0.113.77";
    long sessions = db.queryLong("SELECT count(*) FROM console_sessions");
    for (int i = 0; i < SIGN_IN_ATTEMPTS; i++) {
      HttpResponse<String> wrong =
          postForm(
              "/console/sign-in",
              "token=tly_0000000000000000000000000000000000000000000000000000000000000000",
              "Origin",
              origin(),
              "X-Forwarded-For",
              address);
      assertEquals(401, wrong.statusCode(), "attempt " + (i + 1));
    }

    HttpResponse<String> limited =
        postForm(
            "/console/sign-in",
            "token=" + adminToken,
            "Origin",
            origin(),
            "X-Forwarded-For",
            address);

    assertEquals(429, limited.statusCode(), "refused before the token is looked up");
    long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 60 / SIGN_IN_ATTEMPTS, "Retry-After " + retryAfter);
    assertTrue(limited.body().contains("Too many sign-in attempts"), limited.body());
    assertTrue(limited.body().contains("<input id=\"token\""), "on the sign-in page");
    assertTrue(limited.headers().allValues("Set-Cookie").isEmpty());
    assertEquals(sessions, db.queryLong("SELECT count(*) FROM console_sessions"));
    // Another address is not affected.
    assertEquals(200, get("/console", "Cookie", signIn(adminToken)).statusCode());
  }

  @Test
  void changes_needTheConsolesOwnOrigin() throws Exception {
    String cookie = signIn(adminToken);

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
    String cookie = signIn(adminToken);

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
  void whatLeaves_showsTheEgressReportWithWhatIsNewFirst_andRefusesABadPeriodNamingIt()
      throws Exception {
    db.execute("TRUNCATE egress_ledger, egress_ledger_fields");
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate before = today.minusDays(8);
    // The week before: search.submit carried lang out. This week: lang again, <b> newly, query
    // withheld; and docs.view, a name seen for the first time.
    ledger(before, "search", "submit", 2, 200);
    ledgerField(before, "search", "submit", "privateMetadata.lang", 2, 0);
    ledger(today, "search", "submit", 4, 400);
    ledgerField(today, "search", "submit", "privateMetadata.lang", 4, 0);
    ledgerField(today, "search", "submit", "privateMetadata.<b>", 1, 0);
    ledgerField(today, "search", "submit", "privateMetadata.query", 0, 4);
    ledger(today, "docs", "view", 3, 90);
    String cookie = signIn(adminToken);

    HttpResponse<String> page = get("/console/exported?days=7", "Cookie", cookie);

    assertEquals(200, page.statusCode(), page.body());
    assertEquals(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
            + " frame-ancestors 'none'; base-uri 'none'",
        page.headers().firstValue("Content-Security-Policy").orElseThrow());
    String body = page.body();
    assertTrue(
        body.contains("What left from " + today.minusDays(6) + " to " + today), "the period");
    assertTrue(body.contains("7 events left, 490 bytes."), body);
    int newsAt = body.indexOf("id=\"egress-news\"");
    assertTrue(newsAt > 0, body);
    String news = body.substring(newsAt, body.indexOf("</div>", newsAt));
    assertTrue(
        news.contains(
            "<a href=\"/console/exported?name=docs.view\">docs.view</a>: events of this name left"),
        news);
    assertTrue(
        news.contains(
            "<a href=\"/console/exported?name=search.submit\">search.submit</a>:"
                + " <code>privateMetadata.&lt;b&gt;</code> left"),
        "escaped, never markup: " + news);
    assertFalse(news.contains("privateMetadata.lang"), "lang left the week before too");
    assertFalse(news.contains("privateMetadata.query"), "query was withheld, it did not leave");
    String table = body.substring(body.indexOf("<table id=\"egress-report\">"));
    assertTrue(
        table.contains(
            "<th scope=\"row\"><a href=\"/console/exported?name=search.submit\">search.submit</a>"
                + "</th><td>4</td><td>400</td><td>0</td>"),
        table);
    assertTrue(table.contains("<li><code>privateMetadata.lang</code> 4</li>"), table);
    assertTrue(table.contains("<li><code>privateMetadata.query</code> 4</li>"), table);
    assertTrue(
        table.indexOf("search.submit") < table.indexOf("docs.view"),
        "both have news (a new name, a key newly left): most events first");

    HttpResponse<String> badDate =
        get("/console/exported?from=2026-13-01&to=2026-12-01", "Cookie", cookie);
    HttpResponse<String> backwards =
        get("/console/exported?from=2026-11-07&to=2026-11-01", "Cookie", cookie);
    HttpResponse<String> badDays = get("/console/exported?days=12", "Cookie", cookie);

    assertEquals(400, badDate.statusCode(), badDate.body());
    assertTrue(
        badDate
            .body()
            .contains("&#39;from&#39; must be a date as YYYY-MM-DD, got &#39;2026-13-01&#39;"),
        badDate.body());
    assertEquals(400, backwards.statusCode(), backwards.body());
    assertTrue(
        backwards.body().contains("The period ends (2026-11-01) before it starts (2026-11-07)."),
        backwards.body());
    assertEquals(400, badDays.statusCode(), badDays.body());
    assertTrue(badDays.body().contains("The period is 7, 30 or 90 days"), badDays.body());
  }

  private static void ledger(
      LocalDate day, String feature, String action, long events, long bytes) {
    db.execute(
        "INSERT INTO egress_ledger VALUES ('%s', '%s', '%s', 0, %d, %d)"
            .formatted(day, feature, action, events, bytes));
  }

  private static void ledgerField(
      LocalDate day, String feature, String action, String field, long left, long withheld) {
    db.execute(
        "INSERT INTO egress_ledger_fields VALUES ('%s', '%s', '%s', 0, '%s', %d, %d)"
            .formatted(day, feature, action, field, left, withheld));
  }

  @Test
  void graphQlEndpoint_neverAcceptsTheConsolesCookie() throws Exception {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(function.uri("/.api/graphql"))
                .header("Content-Type", "application/json")
                .header("Cookie", signIn(adminToken))
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
