package dev.tally.ratelimit;

import java.time.Clock;

/** The rate limits of one function instance: requests, events and administrator requests. */
public final class CallerLimits {
  private final RateLimitConfig config;
  private final RateLimiter requests;
  private final RateLimiter events;
  private final RateLimiter adminRequests;

  public CallerLimits(RateLimitConfig config, Clock clock) {
    this.config = config;
    this.requests = new RateLimiter(config.requestsPerMinute(), clock);
    this.events = new RateLimiter(config.eventsPerMinute(), clock);
    this.adminRequests = new RateLimiter(config.adminRequestsPerMinute(), clock);
  }

  /** The caller of a request without credentials, from its {@code X-Forwarded-For} header. */
  public Caller anonymousCaller(String forwardedFor) {
    return Caller.anonymous(forwardedFor, config.trustedProxies());
  }

  /**
   * Counts one request of {@code caller}.
   *
   * @throws RateLimitedException when the caller sent too many
   */
  public void request(Caller caller) {
    check(
        requests.tryAcquire(caller.key(), 1),
        "requests",
        config.requestsPerMinute(),
        RateLimitConfig.REQUESTS_PER_MINUTE);
  }

  /**
   * Counts {@code count} events that {@code caller} is about to record.
   *
   * @throws RateLimitedException when the caller recorded too many
   */
  public void events(Caller caller, int count) {
    check(
        events.tryAcquire(caller.key(), count),
        "events",
        config.eventsPerMinute(),
        RateLimitConfig.EVENTS_PER_MINUTE);
  }

  /**
   * Counts one request with an administrator's query.
   *
   * @throws RateLimitedException when the caller sent too many
   */
  public void adminRequest(Caller caller) {
    check(
        adminRequests.tryAcquire(caller.key(), 1),
        "administrator requests",
        config.adminRequestsPerMinute(),
        RateLimitConfig.ADMIN_REQUESTS_PER_MINUTE);
  }

  private static void check(
      RateLimiter.Decision decision, String what, int perMinute, String setting) {
    if (!decision.allowed()) {
      throw new RateLimitedException(
          "too many "
              + what
              + ": at most "
              + perMinute
              + " a minute per caller and function instance (limit set by "
              + setting
              + "); retry in "
              + decision.retryAfterSeconds()
              + " s",
          decision.retryAfterSeconds());
    }
  }
}
