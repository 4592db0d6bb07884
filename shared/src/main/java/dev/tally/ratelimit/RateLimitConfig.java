package dev.tally.ratelimit;

import dev.tally.config.Env;
import java.util.Map;

/**
 * The rate limits of a function instance, read once at cold start. Each limit is per caller (or per
 * address) and per instance; {@code 0} turns it off.
 *
 * @param requestsPerMinute requests a caller may send a minute ({@value #REQUESTS_PER_MINUTE})
 * @param eventsPerMinute events a caller may record a minute ({@value #EVENTS_PER_MINUTE})
 * @param adminRequestsPerMinute requests with an administrator's query a site admin may send a
 *     minute ({@value #ADMIN_REQUESTS_PER_MINUTE})
 * @param trustedProxies proxies of yours in front of the function that append to {@code
 *     X-Forwarded-For} ({@value #TRUSTED_PROXIES}); see {@link Caller#anonymous}
 * @param addressRequestsPerMinute requests of any kind, signed-in or not, from one address a
 *     minute, counted before anything else is done ({@value #ADDRESS_REQUESTS_PER_MINUTE})
 * @param failedAuthenticationsPerMinute access tokens from one address that may be refused a
 *     minute; once spent, the address's tokens are refused unseen ({@value
 *     #FAILED_AUTHENTICATIONS_PER_MINUTE})
 * @param bytesPerMinute bytes of request bodies a signed-in user may send a minute ({@value
 *     #BYTES_PER_MINUTE})
 * @param anonymousBytesPerMinute bytes of request bodies an anonymous caller (an address) may send
 *     a minute ({@value #ANONYMOUS_BYTES_PER_MINUTE})
 */
public record RateLimitConfig(
    int requestsPerMinute,
    int eventsPerMinute,
    int adminRequestsPerMinute,
    int trustedProxies,
    int addressRequestsPerMinute,
    int failedAuthenticationsPerMinute,
    int bytesPerMinute,
    int anonymousBytesPerMinute) {

  public static final String REQUESTS_PER_MINUTE = "TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE";
  public static final String EVENTS_PER_MINUTE = "TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE";
  public static final String ADMIN_REQUESTS_PER_MINUTE =
      "TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE";
  public static final String TRUSTED_PROXIES = "TELEMETRY_TRUSTED_PROXIES";
  public static final String ADDRESS_REQUESTS_PER_MINUTE =
      "TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE";
  public static final String FAILED_AUTHENTICATIONS_PER_MINUTE =
      "TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE";
  public static final String BYTES_PER_MINUTE = "TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE";
  public static final String ANONYMOUS_BYTES_PER_MINUTE =
      "TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE";

  /** The largest count limit. */
  static final int MAX_COUNT = 100_000_000;

  /**
   * Far above what a telemetry client sends (a batch of a few KiB about once a second), and high
   * enough for an office of clients behind one address:
   *
   * <ul>
   *   <li>1,200 requests and 30,000 events a minute per caller (20 requests and 500 events a second
   *       on average, a minute's worth at once), 120 administrator requests a minute;
   *   <li>12,000 requests a minute per address, signed-in or not: 200 clients behind one NAT
   *       address each sending a batch a second;
   *   <li>600 refused access tokens a minute per address: ten clients behind one address still
   *       sending a revoked token once a second before the address's other tokens wait;
   *   <li>8 MiB of request bodies a minute per signed-in user (a user's few clients send well under
   *       1 MiB; four full 2 MiB requests at once), 4 MiB per anonymous address.
   * </ul>
   */
  public static final RateLimitConfig DEFAULTS =
      new RateLimitConfig(1200, 30_000, 120, 0, 12_000, 600, 8 * 1024 * 1024, 4 * 1024 * 1024);

  /** No limits at all. */
  public static final RateLimitConfig OFF = new RateLimitConfig(0, 0, 0, 0, 0, 0, 0, 0);

  public static RateLimitConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    return new RateLimitConfig(
        env.integer(REQUESTS_PER_MINUTE, DEFAULTS.requestsPerMinute(), 0, MAX_COUNT),
        env.integer(EVENTS_PER_MINUTE, DEFAULTS.eventsPerMinute(), 0, MAX_COUNT),
        env.integer(ADMIN_REQUESTS_PER_MINUTE, DEFAULTS.adminRequestsPerMinute(), 0, MAX_COUNT),
        env.integer(TRUSTED_PROXIES, DEFAULTS.trustedProxies(), 0, 10),
        env.integer(ADDRESS_REQUESTS_PER_MINUTE, DEFAULTS.addressRequestsPerMinute(), 0, MAX_COUNT),
        env.integer(
            FAILED_AUTHENTICATIONS_PER_MINUTE,
            DEFAULTS.failedAuthenticationsPerMinute(),
            0,
            MAX_COUNT),
        env.integer(BYTES_PER_MINUTE, DEFAULTS.bytesPerMinute(), 0, Integer.MAX_VALUE),
        env.integer(
            ANONYMOUS_BYTES_PER_MINUTE, DEFAULTS.anonymousBytesPerMinute(), 0, Integer.MAX_VALUE));
  }
}
