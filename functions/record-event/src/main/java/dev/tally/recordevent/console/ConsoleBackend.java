package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import java.util.List;
import java.util.Map;

/** How the console asks the instance's GraphQL API, as the holder of a token. */
public interface ConsoleBackend {
  /**
   * Runs a GraphQL request as if it were sent with {@code Authorization: token <token>}.
   *
   * @param request the console's HTTP request, for its tracing headers
   */
  Answer execute(HttpRequest request, String token, String query, Map<String, Object> variables);

  /**
   * A GraphQL answer.
   *
   * @param status the HTTP status GraphQL over HTTP would answer with: 401 for a refused token, 429
   *     over a rate limit, 503 when the database is unavailable
   * @param body the GraphQL response: {@code data} and {@code errors}
   * @param retryAfterSeconds for a 429, when to try again
   */
  record Answer(int status, Map<String, Object> body, long retryAfterSeconds) {
    /** The {@code extensions.code} of the first error, or {@code null} when there is none. */
    public String errorCode() {
      Map<String, Object> error = firstError();
      return error != null && error.get("extensions") instanceof Map<?, ?> extensions
          ? (String) extensions.get("code")
          : null;
    }

    /** The message of the first error, or {@code null}. */
    public String errorMessage() {
      Map<String, Object> error = firstError();
      return error == null ? null : String.valueOf(error.get("message"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> firstError() {
      return body.get("errors") instanceof List<?> errors && !errors.isEmpty()
          ? (Map<String, Object>) errors.get(0)
          : null;
    }

    /** The value at {@code data.telemetry.<field>}. */
    @SuppressWarnings("unchecked")
    public <T> T telemetry(String field) {
      if (body.get("data") instanceof Map<?, ?> data
          && data.get("telemetry") instanceof Map<?, ?> telemetry) {
        return (T) telemetry.get(field);
      }
      return null;
    }
  }
}
