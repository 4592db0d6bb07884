package dev.tally.event;

/**
 * A request or an event larger than a configured bound allows; nothing of the request was stored.
 * The message names the bound, its setting and what was found.
 */
public final class LimitExceededException extends RuntimeException {
  private final String setting;

  public LimitExceededException(String message, String setting) {
    super(message);
    this.setting = setting;
  }

  /** The configuration variable that sets the exceeded bound. */
  public String setting() {
    return setting;
  }

  /** The same refusal, its message prefixed with where it happened, such as {@code events[3]: }. */
  public LimitExceededException at(String where) {
    return new LimitExceededException(where + getMessage(), setting);
  }
}
