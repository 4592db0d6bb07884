package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SessionCookieTest {
  private static final String TOKEN = "tly_0123456789abcdef0123456789abcdef";

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
    String cookie = SessionCookie.keep(TOKEN, new FakeRequest().header("Host", host));

    assertTrue(cookie.startsWith("tally_console=" + TOKEN + "; Path=/console;"), cookie);
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
  void read_findsTheConsolesCookieAmongOthersAndIgnoresWhatIsNoToken() {
    assertEquals(
        Optional.of(TOKEN),
        SessionCookie.read(
            new FakeRequest().header("Cookie", "theme=dark; tally_console=" + TOKEN + "; x=1")));
    assertEquals(
        Optional.empty(),
        SessionCookie.read(new FakeRequest().header("Cookie", "tally_console=a\"b<script>")));
    assertEquals(Optional.empty(), SessionCookie.read(new FakeRequest()));
    assertFalse(SessionCookie.canHold("short"));
  }
}
