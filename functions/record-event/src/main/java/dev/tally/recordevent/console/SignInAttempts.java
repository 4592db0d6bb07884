package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.RateLimiter;
import java.time.Clock;
import java.util.List;

/**
 * How many times a client address may try to sign in a minute: a token bucket per address, by the
 * rule the API's rate limits use for anonymous callers ({@link Caller#anonymous}). Every attempt
 * counts, before its token is looked up, so that nobody can try tokens faster than that. Like the
 * API's limits it is per function instance.
 */
public final class SignInAttempts {
  private final int perMinute;
  private final String setting;
  private final int trustedProxies;
  private final RateLimiter limiter;

  /**
   * @param perMinute attempts per address and minute; {@code 0} turns the limit off
   * @param setting the name of the setting {@code perMinute} comes from, for the refusal
   * @param trustedProxies proxies of the operator's in front of the function that append to {@code
   *     X-Forwarded-For}
   */
  public SignInAttempts(int perMinute, String setting, int trustedProxies, Clock clock) {
    this.perMinute = perMinute;
    this.setting = setting;
    this.trustedProxies = trustedProxies;
    this.limiter = new RateLimiter(perMinute, clock);
  }

  /** Counts one attempt from the request's address; refused when the address made too many. */
  RateLimiter.Decision count(HttpRequest request) {
    List<String> forwardedFor = request.getHeaders().getOrDefault("X-Forwarded-For", List.of());
    Caller caller =
        Caller.anonymous(
            forwardedFor.isEmpty() ? null : String.join(",", forwardedFor), trustedProxies);
    return limiter.tryAcquire(caller.key(), 1);
  }

  /** What a refused attempt is told. */
  String refusal(RateLimiter.Decision refused) {
    return "Too many sign-in attempts from your address: at most "
        + perMinute
        + " a minute (limit set by "
        + setting
        + "). Try again in "
        + refused.retryAfterSeconds()
        + " s.";
  }
}
