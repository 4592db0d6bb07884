package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import dev.tally.store.ConsoleSessions;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The cookie that keeps an administrator's console session between requests. It holds the session's
 * ID only, never an access token ({@link ConsoleSessions}): {@code HttpOnly} (no script reads it),
 * {@code SameSite=Strict} (no other site's page sends it), {@code Secure} except when the console
 * is reached on a loopback address over plain HTTP, and only for {@code /console}: the GraphQL
 * endpoint never accepts it.
 */
final class SessionCookie {
  static final String NAME = "tally_console";

  /**
   * How long the browser keeps it: the session's lifetime, which the server enforces whatever the
   * browser does.
   */
  static final Duration MAX_AGE = ConsoleSessions.LIFETIME;

  private SessionCookie() {}

  /** The session ID the request's cookie holds; a value of any other form is no session. */
  static Optional<String> read(HttpRequest request) {
    for (String header : request.getHeaders().getOrDefault("Cookie", List.of())) {
      for (String pair : header.split(";")) {
        int equals = pair.indexOf('=');
        if (equals > 0 && pair.substring(0, equals).trim().equals(NAME)) {
          String value = pair.substring(equals + 1).trim();
          return ConsoleSessions.isWellFormed(value) ? Optional.of(value) : Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The {@code Set-Cookie} value that keeps {@code sessionId}. */
  static String keep(String sessionId, HttpRequest request) {
    return NAME
        + "="
        + sessionId
        + "; Path=/console; Max-Age="
        + MAX_AGE.toSeconds()
        + "; HttpOnly; SameSite=Strict"
        + (isLoopback(request) ? "" : "; Secure");
  }

  /** The {@code Set-Cookie} value that removes it. */
  static String remove(HttpRequest request) {
    return NAME
        + "=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict"
        + (isLoopback(request) ? "" : "; Secure");
  }

  /**
   * Whether the request came to a loopback address ({@code localhost}, {@code 127.0.0.0/8}, {@code
   * [::1]}), the only place the console is reached over plain HTTP; a deployed function is always
   * behind HTTPS.
   */
  static boolean isLoopback(HttpRequest request) {
    String host = request.getFirstHeader("Host").orElse("").trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      return host.startsWith("[::1]");
    }
    int colon = host.indexOf(':');
    String name = colon >= 0 ? host.substring(0, colon) : host;
    return name.equals("localhost") || name.matches("127(\\.\\d{1,3}){3}");
  }
}
