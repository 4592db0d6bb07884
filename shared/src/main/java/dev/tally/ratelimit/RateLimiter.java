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

  /** Tokens per caller and minute; {@code 0} when off. */
  public int perMinute() {
    return perMinute;
  }

  /**
   * Takes {@code cost} tokens from {@code caller}'s bucket if it holds them; takes nothing if not.
   * A cost above a minute's worth is charged as a minute's worth, so that it can pass once the
   * bucket is full.
   */
  public Decision tryAcquire(String caller, long cost) {
    if (perMinute == 0) {
      return Decision.ALLOWED;
    }
    double wanted = wanted(cost);
    long now = clock.millis();
    synchronized (buckets) {
      Bucket bucket = bucket(caller, now);
      if (bucket.tokens >= wanted) {
        bucket.tokens -= wanted;
        return Decision.ALLOWED;
      }
      return refused(wanted - bucket.tokens);
    }
  }

  /**
   * Whether {@code caller}'s bucket holds at least one token, taking nothing: a check before work
   * whose cost is known only afterwards ({@link #charge}). A caller without a bucket has a full one
   * and gets none here.
   */
  public Decision check(String caller) {
    if (perMinute == 0) {
      return Decision.ALLOWED;
    }
    long now = clock.millis();
    synchronized (buckets) {
      Bucket bucket = buckets.get(caller);
      if (bucket == null) {
        return Decision.ALLOWED;
      }
      bucket.refill(now, perMinute);
      return bucket.tokens >= 1 ? Decision.ALLOWED : refused(1 - bucket.tokens);
    }
  }

  /**
   * Charges {@code cost} tokens for work already done, whether or not the bucket holds them: the
   * bucket may go into debt, down to minus a minute's worth, and {@link #check} refuses the caller
   * until the debt is paid back. Refused when the bucket did not hold the cost, which is then
   * charged all the same. A cost above a minute's worth is charged as a minute's worth.
   */
  public Decision charge(String caller, long cost) {
    if (perMinute == 0) {
      return Decision.ALLOWED;
    }
    double wanted = wanted(cost);
    long now = clock.millis();
    synchronized (buckets) {
      Bucket bucket = bucket(caller, now);
      boolean held = bucket.tokens >= wanted;
      bucket.tokens = Math.max(-perMinute, bucket.tokens - wanted);
      // Refused: the same cost fits again once the debt is paid and the cost refilled.
      return held ? Decision.ALLOWED : refused(wanted - bucket.tokens);
    }
  }

  private double wanted(long cost) {
    return Math.min(Math.max(cost, 1), perMinute);
  }

  private Bucket bucket(String caller, long now) {
    Bucket bucket = buckets.computeIfAbsent(caller, k -> new Bucket(perMinute, now));
    bucket.refill(now, perMinute);
    return bucket;
  }

  private Decision refused(double missing) {
    long waitMillis = (long) Math.ceil(missing * 60_000 / perMinute);
    return new Decision(false, Duration.ofMillis(waitMillis));
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
