package dev.tally.ratelimit;

import java.time.Clock;

/**
 * The rate limits of one function instance: requests per address, refused access tokens per
 * address, and per caller requests, bytes of request bodies, events and administrator requests.
 */
public final class CallerLimits {
  private final RateLimitConfig config;
  private final RateLimiter requests;
  private final RateLimiter events;
  private final RateLimiter adminRequests;
  private final RateLimiter addressRequests;
  private final RateLimiter failedAuthentications;
  private final RateLimiter bytes;
  private final RateLimiter anonymousBytes;

  public CallerLimits(RateLimitConfig config, Clock clock) {
    this.config = config;
    this.requests = new RateLimiter(config.requestsPerMinute(), clock);
    this.events = new RateLimiter(config.eventsPerMinute(), clock);
    this.adminRequests = new RateLimiter(config.adminRequestsPerMinute(), clock);
    this.addressRequests = new RateLimiter(config.addressRequestsPerMinute(), clock);
    this.failedAuthentications = new RateLimiter(config.failedAuthenticationsPerMinute(), clock);
    this.bytes = new RateLimiter(config.bytesPerMinute(), clock);
    this.anonymousBytes = new RateLimiter(config.anonymousBytesPerMinute(), clock);
  }

  /**
   * The caller of a request without credentials, from its {@code X-Forwarded-For} header: also the
   * address every request is counted by before anything else.
   */
  public Caller anonymousCaller(String forwardedFor) {
    return Caller.anonymous(forwardedFor, config.trustedProxies());
  }

  /**
   * Counts one request from {@code address}, whoever sends it: the first check of a request, before
   * its credentials are looked at or its body read.
   *
   * @throws RateLimitedException when the address sent too many
   */
  public void addressRequest(Caller address) {
    check(
        addressRequests.tryAcquire(address.key(), 1),
        "requests from this address",
        config.addressRequestsPerMinute(),
        "address",
        RateLimitConfig.ADDRESS_REQUESTS_PER_MINUTE);
  }

  /**
   * Whether {@code address} may still present an access token: refused, before the token is looked
   * up, once its refused tokens have spent its budget. Takes nothing.
   *
   * @throws RateLimitedException when too many of the address's tokens were refused
   */
  public void tokenLookup(Caller address) {
    check(
        failedAuthentications.check(address.key()),
        "refused access tokens from this address",
        config.failedAuthenticationsPerMinute(),
        "address",
        RateLimitConfig.FAILED_AUTHENTICATIONS_PER_MINUTE);
  }

  /** Counts an access token from {@code address} that was refused. */
  public void failedAuthentication(Caller address) {
    failedAuthentications.charge(address.key(), 1);
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
        "caller",
        RateLimitConfig.REQUESTS_PER_MINUTE);
  }

  /**
   * Counts a request body of a declared length before it is read; takes nothing when refused.
   *
   * @throws RateLimitedException when the caller sent too many bytes
   */
  public void declaredBytes(Caller caller, long length) {
    checkBytes(caller, bytesOf(caller).tryAcquire(caller.key(), length));
  }

  /**
   * Whether {@code caller} may send a body of unknown length: refused, before it is read, while the
   * caller's bytes are spent. Takes nothing; {@link #readBytes} counts the body once read.
   *
   * @throws RateLimitedException when the caller sent too many bytes
   */
  public void undeclaredBytes(Caller caller) {
    checkBytes(caller, bytesOf(caller).check(caller.key()));
  }

  /**
   * Counts a body of unknown length once read, whether or not the caller had the bytes left: they
   * were read.
   *
   * @throws RateLimitedException when the caller did not have them
   */
  public void readBytes(Caller caller, long length) {
    checkBytes(caller, bytesOf(caller).charge(caller.key(), length));
  }

  private RateLimiter bytesOf(Caller caller) {
    return caller.signedIn() ? bytes : anonymousBytes;
  }

  private void checkBytes(Caller caller, RateLimiter.Decision decision) {
    if (caller.signedIn()) {
      check(
          decision,
          "bytes",
          config.bytesPerMinute() + " bytes of request bodies",
          "signed-in user",
          RateLimitConfig.BYTES_PER_MINUTE);
    } else {
      check(
          decision,
          "bytes",
          config.anonymousBytesPerMinute() + " bytes of request bodies",
          "anonymous caller",
          RateLimitConfig.ANONYMOUS_BYTES_PER_MINUTE);
    }
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
        "caller",
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
        "caller",
        RateLimitConfig.ADMIN_REQUESTS_PER_MINUTE);
  }

  private static void check(
      RateLimiter.Decision decision, String what, int perMinute, String per, String setting) {
    check(decision, what, String.valueOf(perMinute), per, setting);
  }

  private static void check(
      RateLimiter.Decision decision, String what, String limit, String per, String setting) {
    if (!decision.allowed()) {
      throw new RateLimitedException(
          "too many "
              + what
              + ": at most "
              + limit
              + " a minute per "
              + per
              + " and function instance (limit set by "
              + setting
              + "); retry in "
              + decision.retryAfterSeconds()
              + " s",
          decision.retryAfterSeconds(),
          setting);
    }
  }
}
