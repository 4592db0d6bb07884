package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import java.util.List;
import java.util.Map;

/**
 * The instance's GraphQL API as the console calls it, in process: signed in with an access token
 * once, then as the holder of a console session. {@link GraphQlBackend} asks it the console's
 * queries.
 */
public interface GraphQlApi {
  /**
   * Signs in: runs {@code query} as if it were sent with {@code Authorization: token <token>} (the
   * same token check and rate limits), and when it answers without an error, opens a console
   * session for the token.
   *
   * @param request the console's HTTP request, for its tracing headers
   */
  SignIn signIn(HttpRequest request, String token, String query);

  /**
   * Runs a GraphQL request in a console session: the session and its access token are checked on
   * every request, then the request goes through the same rate limits and checks as one with the
   * token in an {@code Authorization} header.
   *
   * @param request the console's HTTP request, for its tracing headers
   */
  Answer execute(
      HttpRequest request, String sessionId, String query, Map<String, Object> variables);

  /**
   * Ends a console session (sign-out).
   *
   * @return a 200 answer when done, otherwise the failure
   */
  Answer signOut(String sessionId);

  /**
   * The outcome of a sign-in.
   *
   * @param answer the answer to the sign-in query; a refused token is a 401
   * @param sessionId the new session's ID for the cookie, or {@code null} when refused
   */
  record SignIn(Answer answer, String sessionId) {
    @Override
    public String toString() {
      return "SignIn[answer=" + answer + ", signedIn=" + (sessionId != null) + "]";
    }
  }

  /**
   * A GraphQL answer.
   *
   * @param status the HTTP status GraphQL over HTTP would answer with: 401 for a refused token or
   *     session, 429 over a rate limit, 503 when the database is unavailable
   * @param body the GraphQL response: {@code data} and {@code errors}
   * @param retryAfterSeconds for a 429, when to try again
   */
  record Answer(int status, Map<String, Object> body, long retryAfterSeconds) {
    /** An answer without errors or data: something done. */
    public static final Answer DONE = new Answer(200, Map.of(), 0);

    /** The {@code extensions.code} of the first error, or {@code null} when there is none. */
    public String errorCode() {
      return firstError() instanceof Map<?, ?> error
              && error.get("extensions") instanceof Map<?, ?> extensions
              && extensions.get("code") instanceof String code
          ? code
          : null;
    }

    /** The message of the first error, or {@code null}. */
    public String errorMessage() {
      return firstError() instanceof Map<?, ?> error ? String.valueOf(error.get("message")) : null;
    }

    private Object firstError() {
      return body.get("errors") instanceof List<?> errors && !errors.isEmpty()
          ? errors.get(0)
          : null;
    }

    /** The value at {@code data.telemetry.<field>}, or {@code null}. */
    public Object telemetry(String field) {
      return body.get("data") instanceof Map<?, ?> data
              && data.get("telemetry") instanceof Map<?, ?> telemetry
          ? telemetry.get(field)
          : null;
    }
  }
}
