package dev.tally.record;

/**
 * A request that is larger than a {@link RecordingLimits} bound allows; nothing of it was stored.
 * The message names the limit, its setting and the size found.
 */
public final class LimitExceededException extends RuntimeException {
  private final String setting;

  public LimitExceededException(String message, String setting) {
    super(message);
    this.setting = setting;
  }

  /** The configuration variable that sets the exceeded limit. */
  public String setting() {
    return setting;
  }
}
