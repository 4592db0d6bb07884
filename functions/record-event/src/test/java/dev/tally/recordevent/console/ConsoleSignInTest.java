package dev.tally.recordevent.console;

import static dev.tally.recordevent.console.ConsoleHarness.ADMIN_TOKEN;
import static dev.tally.recordevent.console.ConsoleHarness.ORIGIN;
import static dev.tally.recordevent.console.ConsoleHarness.SIGN_IN_ATTEMPTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signing in and out of the console, and what a page answers without a session that works: rendered
 * from an in-memory backend, as a browser receives it (status, cookie, redirect, the form's
 * message).
 */
class ConsoleSignInTest {
  private static final String SIGN_IN_FORM = "<input id=\"token\"";

  private final ConsoleHarness console = new ConsoleHarness();
  private final FakeBackend backend = console.backend;

  private FakeResponse signIn(String token, String address) throws Exception {
    return console.send(
        FakeRequest.post("/console/sign-in", "token=" + token)
            .header("Origin", ORIGIN)
            .header("X-Forwarded-For", address));
  }

  private static String message(FakeResponse page) {
    String body = page.body();
    int start = body.indexOf("id=\"message\">");
    assertTrue(start >= 0, "a message: " + body);
    return body.substring(start + "id=\"message\">".length(), body.indexOf("</p>", start));
  }

  @Test
  void signInForm_saysHowLongASessionLasts() throws Exception {
    FakeResponse form = console.send(FakeRequest.get("/console/sign-in"));

    assertEquals(200, form.status());
    assertTrue(form.body().contains(SIGN_IN_FORM));
    assertTrue(form.body().contains("a session of at most 8 hours"), form.body());
    assertTrue(form.body().contains("ends after 30 minutes without a request"), form.body());
    assertTrue(form.body().contains("<title>Sign in · Tally console</title>"));
    assertFalse(form.body().contains("id=\"message\""), "nothing to say yet");
    assertFalse(form.body().contains("Sign out"), "no navigation before a sign-in");
  }

  @Test
  void signIn_withAnAdministratorsToken_setsACookieThatHoldsTheSessionNotTheToken()
      throws Exception {
    FakeResponse signedIn = signIn(ADMIN_TOKEN, "198.51.100.1");

    assertEquals(303, signedIn.status(), signedIn.body());
    assertEquals("/console", signedIn.header("Location").orElseThrow());
    String setCookie = signedIn.header("Set-Cookie").orElseThrow();
    assertTrue(
        setCookie.matches(
            "tally_console=[A-Za-z0-9_-]{43}; Path=/console; Max-Age=28800; HttpOnly;"
                + " SameSite=Strict"),
        setCookie + " (Secure is left out on a loopback address only)");
    assertFalse(setCookie.contains(ADMIN_TOKEN), "the cookie holds no token");
    String sessionId = setCookie.substring("tally_console=".length(), setCookie.indexOf(';'));
    assertTrue(backend.isOpen(sessionId));

    FakeResponse page = console.get("/console", sessionId);
    assertEquals(200, page.status(), page.body());
    assertFalse(page.body().contains(ADMIN_TOKEN));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "short                                   | 401 | That is not an access token of this instance.",
        "tly_000000000000000000000000000000000000 | 401 | The access token is not valid.",
        "tly_user_00000000000000000000000000000  | 403 | This token is not an administrator&#39;s: sign"
            + " in with a token that has the site-admin scope."
      })
  void signIn_refusedTokens_getTheFormAgainWithoutACookie(String token, int status, String says)
      throws Exception {
    FakeResponse refused = signIn(token, "198.51.100.2");

    assertEquals(status, refused.status(), refused.body());
    assertEquals(says, message(refused));
    assertTrue(refused.body().contains(SIGN_IN_FORM));
    assertTrue(refused.header("Set-Cookie").isEmpty());
    assertEquals(0, backend.sessionsOpened());
    // The form was not read: the connection cannot carry the client's next request.
    assertEquals(Optional.of("close"), refused.header("Connection"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://evil.example", ""})
  void signIn_fromAnotherPage_isRefusedBeforeTheTokenIsLookedUp(String origin) throws Exception {
    FakeRequest request = FakeRequest.post("/console/sign-in", "token=" + ADMIN_TOKEN);
    if (!origin.isEmpty()) {
      request.header("Origin", origin);
    }

    FakeResponse refused = console.send(request);

    assertEquals(403, refused.status());
    assertEquals(
        "Sign in from the console&#39;s own page: this form came from elsewhere.",
        message(refused));
    assertTrue(refused.header("Set-Cookie").isEmpty());
    assertEquals(0, backend.sessionsOpened());
  }

  @Test
  void signIn_refusedAfterTooManyAttemptsFromOneAddress() throws Exception {
    for (int i = 0; i < SIGN_IN_ATTEMPTS; i++) {
      FakeResponse wrong = signIn("tly_" + "0".repeat(40), "203.0.113.77");
      assertEquals(401, wrong.status(), "attempt " + (i + 1));
    }

    FakeResponse limited = signIn(ADMIN_TOKEN, "203.0.113.77");

    assertEquals(429, limited.status(), "refused before the token is looked up");
    long retryAfter = Long.parseLong(limited.header("Retry-After").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 60 / SIGN_IN_ATTEMPTS, "Retry-After " + retryAfter);
    assertTrue(message(limited).startsWith("Too many sign-in attempts"), limited.body());
    assertTrue(limited.body().contains(SIGN_IN_FORM), "on the sign-in page");
    assertTrue(limited.header("Set-Cookie").isEmpty());
    assertEquals(0, backend.sessionsOpened());
    assertEquals(303, signIn(ADMIN_TOKEN, "198.51.100.3").status(), "another address");
  }

  @Test
  void signIn_withAFormTooLargeToRead_isRefused() throws Exception {
    FakeResponse refused =
        console.send(
            FakeRequest.post("/console/sign-in", "token=" + "a".repeat(Form.MAX_BYTES))
                .header("Origin", ORIGIN));

    assertEquals(413, refused.status());
    assertEquals("The form was too large.", message(refused));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "503 | UNAVAILABLE | the instance database is unavailable: could not open a session; retry"
            + " later | The instance database is unavailable: could not open a session; retry"
            + " later.",
        "429 | RATE_LIMITED | too many requests. | Too many requests."
      })
  void signIn_thatFails_saysWhy(int status, String code, String failure, String says)
      throws Exception {
    backend.failNext(new BackendException(status, code, failure, 9));

    FakeResponse failed = signIn(ADMIN_TOKEN, "198.51.100.4");

    assertEquals(status, failed.status());
    assertEquals(says, message(failed));
    assertEquals(status == 429 ? "9" : null, failed.header("Retry-After").orElse(null));
    assertTrue(failed.body().contains("<title>Error " + status + " · Tally console</title>"));
    assertTrue(failed.header("Set-Cookie").isEmpty());
  }

  @Test
  void pages_withoutASignInAreRefusedWithTheSignInForm() throws Exception {
    for (String path : new String[] {"/console", "/console/export", "/console/exported"}) {
      FakeResponse page = console.send(FakeRequest.get(path));

      assertEquals(401, page.status(), path);
      assertTrue(page.body().contains(SIGN_IN_FORM), path);
      assertEquals("Sign in with an administrator&#39;s access token to see this.", message(page));
    }
    FakeResponse change =
        console.send(
            FakeRequest.post("/console/export/switch", "enabled=false").header("Origin", ORIGIN));
    assertEquals(401, change.status());
    assertNull(backend.exportEnabled, "nothing changed");
  }

  @Test
  void cookie_thatHoldsNoKnownSession_isRefusedAndRemoved() throws Exception {
    FakeResponse malformed =
        console.send(FakeRequest.get("/console").header("Cookie", "tally_console=" + ADMIN_TOKEN));
    FakeResponse unknown = console.get("/console", "u".repeat(43));

    assertEquals(401, malformed.status());
    assertTrue(malformed.body().contains(SIGN_IN_FORM));
    assertTrue(malformed.header("Set-Cookie").isEmpty(), "no session was looked up");
    assertEquals(401, unknown.status());
    assertEquals("This console session is not known here; sign in again.", message(unknown));
    assertTrue(unknown.header("Set-Cookie").orElseThrow().contains("Max-Age=0"));
  }

  @Test
  void signOut_endsTheSessionSoTheOldCookieNoLongerWorks() throws Exception {
    String session = console.signedIn();

    FakeResponse signedOut = console.post("/console/sign-out", "", session);

    assertEquals(303, signedOut.status(), signedOut.body());
    assertEquals("/console/sign-in", signedOut.header("Location").orElseThrow());
    assertTrue(
        signedOut.header("Set-Cookie").orElseThrow().contains("Max-Age=0"),
        "the browser drops the cookie");
    assertEquals(List.of(session), backend.signedOut);
    // A copy of the cookie kept anyway: the server ended the session.
    FakeResponse replayed = console.get("/console/export", session);
    assertEquals(401, replayed.status());
    assertEquals("This console session was signed out; sign in again.", message(replayed));
    FakeResponse change = console.post("/console/export/switch", "enabled=false", session);
    assertEquals(401, change.status());
    assertNull(backend.exportEnabled);
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://evil.example", ""})
  void signOut_fromAnotherPage_isRefusedAndTheSessionLives(String origin) throws Exception {
    String session = console.signedIn();
    FakeRequest request =
        FakeRequest.post("/console/sign-out", "").header("Cookie", ConsoleHarness.cookie(session));
    if (!origin.isEmpty()) {
      request.header("Origin", origin);
    }

    FakeResponse refused = console.send(request);

    assertEquals(403, refused.status());
    assertTrue(refused.header("Set-Cookie").isEmpty());
    assertTrue(backend.signedOut.isEmpty());
    assertEquals(200, console.get("/console", session).status(), "still signed in");
  }

  @Test
  void signOut_withoutASession_onlyRemovesTheCookie() throws Exception {
    FakeResponse signedOut =
        console.send(FakeRequest.post("/console/sign-out", "").header("Origin", ORIGIN));

    assertEquals(303, signedOut.status());
    assertTrue(signedOut.header("Set-Cookie").orElseThrow().contains("Max-Age=0"));
    assertTrue(backend.signedOut.isEmpty());
  }

  @Test
  void signOut_thatFails_saysWhy() throws Exception {
    String session = console.signedIn();
    backend.failNext(
        new BackendException(503, "UNAVAILABLE", "the instance database is unavailable", 0));

    FakeResponse failed = console.post("/console/sign-out", "", session);

    assertEquals(503, failed.status());
    assertEquals("The instance database is unavailable.", message(failed));
  }

  @Test
  void revokingTheToken_endsALiveSessionAtOnce() throws Exception {
    String session = console.signedIn();
    assertEquals(200, console.get("/console", session).status());

    backend.revoke(ADMIN_TOKEN);

    FakeResponse page = console.get("/console", session);
    assertEquals(401, page.status());
    assertEquals(
        "The access token this console session was opened with was revoked; sign in again.",
        message(page));
    assertTrue(page.header("Set-Cookie").orElseThrow().contains("Max-Age=0"));
  }

  @Test
  void aSessionOfATokenThatIsNoLongerAnAdministrators_isSignedOut() throws Exception {
    String session = console.signedIn();
    backend.token(ADMIN_TOKEN, false);

    FakeResponse page = console.get("/console/export", session);

    assertEquals(403, page.status());
    assertTrue(message(page).startsWith("This token is not an administrator&#39;s"));
    assertTrue(page.header("Set-Cookie").orElseThrow().contains("Max-Age=0"));
    assertFalse(page.body().contains("export-state"));
  }
}
