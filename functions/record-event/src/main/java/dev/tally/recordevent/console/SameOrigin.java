package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether a form was sent from the console's own pages: its {@code Origin} header names the host
 * the request was sent to. Browsers send {@code Origin} with every form {@code POST}, and a page of
 * another site cannot set it; together with the {@code SameSite=Strict} cookie this keeps other
 * sites from making an administrator's browser change anything.
 */
final class SameOrigin {
  private SameOrigin() {}

  static boolean check(HttpRequest request) {
    Optional<String> origin = request.getFirstHeader("Origin");
    Optional<String> host = request.getFirstHeader("Host");
    if (origin.isEmpty() || host.isEmpty()) {
      return false;
    }
    URI uri;
    try {
      uri = new URI(origin.get().trim());
    } catch (URISyntaxException e) {
      return false;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
      return false;
    }
    int defaultPort = scheme.equals("https") ? 443 : 80;
    String originAuthority =
        uri.getHost().toLowerCase(Locale.ROOT)
            + (uri.getPort() == -1 || uri.getPort() == defaultPort ? "" : ":" + uri.getPort());
    String hostAuthority = host.get().trim().toLowerCase(Locale.ROOT);
    if (hostAuthority.endsWith(":" + defaultPort)) {
      hostAuthority =
          hostAuthority.substring(0, hostAuthority.length() - (":" + defaultPort).length());
    }
    return originAuthority.equals(hostAuthority);
  }
}
