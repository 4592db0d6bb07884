package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The cookie that keeps an administrator's access token between the console's requests: {@code
 * HttpOnly} (no script reads it), {@code SameSite=Strict} (no other site's page sends it), {@code
 * Secure} except when the console is reached on a loopback address over plain HTTP, and only for
 * {@code /console}: the GraphQL endpoint never accepts it.
 */
final class SessionCookie {
  static final String NAME = "tally_console";

  /** How long a sign-in lasts. */
  static final Duration MAX_AGE = Duration.ofHours(8);

  /** What a token may hold to be kept in a cookie as it is: tokens are letters, digits and _. */
  private static final Pattern COOKIE_SAFE = Pattern.compile("[A-Za-z0-9_.~+/=-]{16,512}");

  private SessionCookie() {}

  /** Whether {@code token} can be kept in the cookie; other text is no token of this instance. */
  static boolean canHold(String token) {
    return token != null && COOKIE_SAFE.matcher(token).matches();
  }

  /** The token the request's cookie holds. */
  static Optional<String> read(HttpRequest request) {
    for (String header : request.getHeaders().getOrDefault("Cookie", List.of())) {
      for (String pair : header.split(";")) {
        int equals = pair.indexOf('=');
        if (equals > 0 && pair.substring(0, equals).trim().equals(NAME)) {
          String value = pair.substring(equals + 1).trim();
          return canHold(value) ? Optional.of(value) : Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The {@code Set-Cookie} value that keeps {@code token}. */
  static String keep(String token, HttpRequest request) {
    return NAME
        + "="
        + token
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
