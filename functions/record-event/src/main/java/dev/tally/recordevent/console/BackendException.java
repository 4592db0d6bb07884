package dev.tally.recordevent.console;

/**
 * The API refused or failed a console request ({@link ConsoleBackend}): the status and the first
 * error's code and message, as GraphQL over HTTP answered.
 */
final class BackendException extends RuntimeException {
  static final String FORBIDDEN = "FORBIDDEN";

  private final int status;
  private final String code;
  private final long retryAfterSeconds;

  /**
   * @param status the HTTP status: 401 for a refused token or session, 429 over a rate limit, 503
   *     when the database is unavailable; 200 for an error in a GraphQL answer
   * @param code the error's {@code extensions.code}, or {@code null}
   * @param message the error's message, or {@code null}
   * @param retryAfterSeconds for a 429, when to try again
   */
  BackendException(int status, String code, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The session or the token no longer works, or the token is not valid: sign in again. */
  boolean unauthenticated() {
    return status == 401;
  }

  /** The token is not an administrator's. */
  boolean forbidden() {
    return FORBIDDEN.equals(code);
  }
}
