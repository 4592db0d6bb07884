package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SessionCookieTest {
  /** The form of a session ID: 32 random bytes, base64url without padding. */
  private static final String SESSION_ID = "q1Yd8-Zl0n_3xK2bQW9vE7rT4uI6oP5aS1dF0gH2jK4";

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:8080, false",
    "localhost:8080, false",
    "[::1]:8080, false",
    "127.10.0.3, false",
    "tally-abc.a.run.app, true",
    "localhost.example.com, true",
    "127.0.0.1.example.com, true"
  })
  void keep_isSecureExceptOnALoopbackAddress(String host, boolean secure) {
    String cookie = SessionCookie.keep(SESSION_ID, new FakeRequest().header("Host", host));

    assertTrue(cookie.startsWith("tally_console=" + SESSION_ID + "; Path=/console;"), cookie);
    assertTrue(cookie.contains("; HttpOnly"), cookie);
    assertTrue(cookie.contains("; SameSite=Strict"), cookie);
    assertEquals(secure, cookie.endsWith("; Secure"), cookie);
  }

  @Test
  void remove_expiresTheCookieAtOnce() {
    String cookie = SessionCookie.remove(new FakeRequest().header("Host", "tally.example.com"));

    assertTrue(cookie.startsWith("tally_console=; Path=/console; Max-Age=0;"), cookie);
    assertTrue(cookie.endsWith("; Secure"), cookie);
  }

  @Test
  void read_findsTheConsolesCookieAmongOthersAndIgnoresWhatIsNoSessionId() {
    assertEquals(
        Optional.of(SESSION_ID),
        SessionCookie.read(
            new FakeRequest()
                .header("Cookie", "theme=dark; tally_console=" + SESSION_ID + "; x=1")));
    assertEquals(
        Optional.empty(),
        SessionCookie.read(new FakeRequest().header("Cookie", "tally_console=a\"b<script>")));
    assertEquals(Optional.empty(), SessionCookie.read(new FakeRequest()));
    // What the cookie held before sessions: an access token is no session ID.
    assertEquals(
        Optional.empty(),
        SessionCookie.read(
            new FakeRequest()
                .header(
                    "Cookie",
                    "tally_console="
                        + "tly_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")));
  }
}
