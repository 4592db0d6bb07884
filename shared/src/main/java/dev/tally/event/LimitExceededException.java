package dev.tally.event;

/**
 * A request or an event larger than a bound allows; nothing of the request was stored. The message
 * names the bound and what was found; {@link #setting()} the variable that sets it, unless the
 * bound is fixed ({@link TextBounds}).
 */
public final class LimitExceededException extends RuntimeException {
  private final String setting;

  public LimitExceededException(String message, String setting) {
    super(message);
    this.setting = setting;
  }

  /** Over a bound that no setting changes. */
  public LimitExceededException(String message) {
    this(message, null);
  }

  /** The configuration variable that sets the exceeded bound, or {@code null} for a fixed one. */
  public String setting() {
    return setting;
  }

  /** The same refusal, its message prefixed with where it happened, such as {@code events[3]: }. */
  public LimitExceededException at(String where) {
    return new LimitExceededException(where + getMessage(), setting);
  }
}
