package dev.tally.ratelimit;

import dev.tally.config.Env;
import java.util.Map;

/**
 * The rate limits of a function instance, read once at cold start. Each limit is per caller and per
 * instance; {@code 0} turns it off.
 *
 * @param requestsPerMinute requests a caller may send a minute ({@value #REQUESTS_PER_MINUTE})
 * @param eventsPerMinute events a caller may record a minute ({@value #EVENTS_PER_MINUTE})
 * @param adminRequestsPerMinute requests with an administrator's query a site admin may send a
 *     minute ({@value #ADMIN_REQUESTS_PER_MINUTE})
 * @param trustedProxies proxies of yours in front of the function that append to {@code
 *     X-Forwarded-For} ({@value #TRUSTED_PROXIES}); see {@link Caller#anonymous}
 */
public record RateLimitConfig(
    int requestsPerMinute, int eventsPerMinute, int adminRequestsPerMinute, int trustedProxies) {

  public static final String REQUESTS_PER_MINUTE = "TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE";
  public static final String EVENTS_PER_MINUTE = "TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE";
  public static final String ADMIN_REQUESTS_PER_MINUTE =
      "TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE";
  public static final String TRUSTED_PROXIES = "TELEMETRY_TRUSTED_PROXIES";

  /**
   * 1,200 requests and 30,000 events a minute per caller (20 requests and 500 events a second on
   * average, a minute's worth at once), 120 administrator requests a minute: far above what a
   * telemetry client sends, which batches its events about once a second, and high enough for an
   * office of browsers behind one address.
   */
  public static final RateLimitConfig DEFAULTS = new RateLimitConfig(1200, 30_000, 120, 0);

  /** No limits at all. */
  public static final RateLimitConfig OFF = new RateLimitConfig(0, 0, 0, 0);

  public static RateLimitConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    return new RateLimitConfig(
        env.integer(REQUESTS_PER_MINUTE, DEFAULTS.requestsPerMinute(), 0, 100_000_000),
        env.integer(EVENTS_PER_MINUTE, DEFAULTS.eventsPerMinute(), 0, 100_000_000),
        env.integer(ADMIN_REQUESTS_PER_MINUTE, DEFAULTS.adminRequestsPerMinute(), 0, 100_000_000),
        env.integer(TRUSTED_PROXIES, DEFAULTS.trustedProxies(), 0, 10));
  }
}
