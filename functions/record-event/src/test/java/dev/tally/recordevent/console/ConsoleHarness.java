package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * A console over a {@link FakeBackend}, reached as a browser on the same machine reaches it: every
 * request to host {@value #HOST}, the forms with its {@code Origin}.
 */
final class ConsoleHarness {
  static final String HOST = "127.0.0.1:8080";
  static final String ORIGIN = "http://" + HOST;
  static final String ADMIN_TOKEN = "tly_admin_0000000000000000000000000000";
  static final String USER_TOKEN = "tly_user_00000000000000000000000000000";

  /** Sign-in attempts an address may make a minute. */
  static final int SIGN_IN_ATTEMPTS = 3;

  final FakeBackend backend = new FakeBackend().token(ADMIN_TOKEN, true).token(USER_TOKEN, false);

  /** The clock of the sign-in limit stands still: a spent budget stays spent. */
  final Console console =
      new Console(
          backend,
          new SignInAttempts(
              SIGN_IN_ATTEMPTS,
              "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE",
              0,
              Clock.fixed(Instant.parse("2024-05-01T10:00:00Z"), ZoneOffset.UTC)));

  /** Sends {@code request} to the console; the status it returns is the one it answered with. */
  FakeResponse send(FakeRequest request) throws IOException {
    if (request.getFirstHeader("Host").isEmpty()) {
      request.header("Host", HOST);
    }
    FakeResponse response = new FakeResponse();
    int status = console.handle(request, response);
    assertEquals(status, response.status(), "the status returned is the one answered");
    return response;
  }

  /** A {@code GET} of {@code path} with the session's cookie. */
  FakeResponse get(String path, String sessionId) throws IOException {
    return send(FakeRequest.get(path).header("Cookie", cookie(sessionId)));
  }

  /** A form sent from the console's own page with the session's cookie. */
  FakeResponse post(String path, String form, String sessionId) throws IOException {
    return send(
        FakeRequest.post(path, form).header("Cookie", cookie(sessionId)).header("Origin", ORIGIN));
  }

  /** A session of the administrator's token. */
  String signedIn() {
    return backend.session(ADMIN_TOKEN);
  }

  static String cookie(String sessionId) {
    return "theme=dark; " + SessionCookie.NAME + "=" + sessionId;
  }
}
