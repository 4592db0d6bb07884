package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import java.util.Optional;

/** The CORS headers of record-event: which browser pages may call it, with credentials. */
final class Cors {
  private static final String ALLOWED_HEADERS =
      "Authorization, Content-Type, X-Requested-With, X-Sourcegraph-Client, "
          + Authenticator.ANONYMOUS_UID_HEADER
          + ", "
          + Authenticator.INTERACTION_ID_HEADER
          + ", traceparent";

  private final RecordEventConfig config;

  Cors(RecordEventConfig config) {
    this.config = config;
  }

  /** Allows the request's origin on the response, when it is allowed. */
  void allowOrigin(HttpRequest request, HttpResponse response) {
    Optional<String> origin = allowedOrigin(request);
    if (origin.isPresent()) {
      response.appendHeader("Access-Control-Allow-Origin", origin.get());
      response.appendHeader("Vary", "Origin");
      response.appendHeader("Access-Control-Allow-Credentials", "true");
    }
  }

  /** Answers a preflight: methods and headers for an allowed origin, nothing for another. */
  void preflight(HttpRequest request, HttpResponse response) {
    if (allowedOrigin(request).isPresent()) {
      response.appendHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
      response.appendHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
      response.appendHeader("Access-Control-Max-Age", "3600");
    }
    response.setStatusCode(204);
  }

  private Optional<String> allowedOrigin(HttpRequest request) {
    return request.getFirstHeader("Origin").filter(config::allowsOrigin);
  }
}
