package dev.tally.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Token buckets per caller: each caller may take {@code perMinute} tokens a minute, refilled
 * continuously, and a full minute's worth at once. Buckets are kept for the {@value #MAX_CALLERS}
 * most recently seen callers; a caller seen again after being forgotten starts with a full bucket.
 *
 * <p>Thread-safe.
 */
public final class RateLimiter {
  /** How many callers' buckets one instance keeps. */
  static final int MAX_CALLERS = 10_000;

  private final int perMinute;
  private final Clock clock;
  private final Map<String, Bucket> buckets =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
          return size() > MAX_CALLERS;
        }
      };

  /**
   * @param perMinute tokens per caller and minute; {@code 0} turns the limit off
   */
  public RateLimiter(int perMinute, Clock clock) {
    if (perMinute < 0) {
      throw new IllegalArgumentException("perMinute must not be negative, got " + perMinute);
    }
    this.perMinute = perMinute;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Whether this limiter limits anything. */
  public boolean isOn() {
    return perMinute > 0;
  }

  /**
   * Takes {@code cost} tokens from {@code caller}'s bucket if it holds them; takes nothing if not.
   * A cost above a minute's worth is charged as a minute's worth, so that it can pass once the
   * bucket is full.
   */
  public Decision tryAcquire(String caller, int cost) {
    if (perMinute == 0) {
      return Decision.ALLOWED;
    }
    double wanted = Math.min(Math.max(cost, 1), perMinute);
    long now = clock.millis();
    synchronized (buckets) {
      Bucket bucket = buckets.computeIfAbsent(caller, k -> new Bucket(perMinute, now));
      bucket.refill(now, perMinute);
      if (bucket.tokens >= wanted) {
        bucket.tokens -= wanted;
        return Decision.ALLOWED;
      }
      double missing = wanted - bucket.tokens;
      long waitMillis = (long) Math.ceil(missing * 60_000 / perMinute);
      return new Decision(false, Duration.ofMillis(waitMillis));
    }
  }

  /** How many callers have a bucket. */
  int callers() {
    synchronized (buckets) {
      return buckets.size();
    }
  }

  /**
   * The answer for one request.
   *
   * @param allowed whether the tokens were taken
   * @param retryAfter when refused, how long until the bucket holds them
   */
  public record Decision(boolean allowed, Duration retryAfter) {
    static final Decision ALLOWED = new Decision(true, Duration.ZERO);

    /** {@link #retryAfter} in whole seconds, at least 1: the value of a {@code Retry-After}. */
    public long retryAfterSeconds() {
      return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }
  }

  private static final class Bucket {
    double tokens;
    long refilledAt;

    Bucket(int capacity, long now) {
      this.tokens = capacity;
      this.refilledAt = now;
    }

    void refill(long now, int perMinute) {
      if (now > refilledAt) {
        tokens = Math.min(perMinute, tokens + (now - refilledAt) * perMinute / 60_000.0);
        refilledAt = now;
      }
    }
  }
}
