package dev.tally.ratelimit;

/** A request over a rate limit; nothing of it was done. */
public final class RateLimitedException extends RuntimeException {
  private final long retryAfterSeconds;
  private final String setting;

  /**
   * @param setting the environment variable that sets the limit
   */
  public RateLimitedException(String message, long retryAfterSeconds, String setting) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
    this.setting = setting;
  }

  /** When the caller may try again, for a {@code Retry-After} header. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The environment variable that sets the limit. */
  public String setting() {
    return setting;
  }
}
