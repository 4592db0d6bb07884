package dev.tally.recordevent;

/** A request whose credentials are refused ({@link Authenticator}); the message says why. */
final class UnauthenticatedException extends RuntimeException {
  private final boolean lookedUp;

  /** Credentials refused without a lookup: none where they are needed, or a malformed header. */
  UnauthenticatedException(String message) {
    this(message, false);
  }

  /**
   * @param lookedUp whether credentials were looked up and matched nothing that is valid, which
   *     counts against the address's failed authentications
   */
  UnauthenticatedException(String message, boolean lookedUp) {
    super(message);
    this.lookedUp = lookedUp;
  }

  /**
   * Whether credentials were looked up and refused, rather than the request presenting none or a
   * header of the wrong form: such a refusal counts against the address's failed authentications.
   */
  boolean lookedUp() {
    return lookedUp;
  }
}
