package dev.tally.ratelimit;

/** A request over a caller's rate limit; nothing of it was done. */
public final class RateLimitedException extends RuntimeException {
  private final long retryAfterSeconds;

  public RateLimitedException(String message, long retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When the caller may try again, for a {@code Retry-After} header. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
