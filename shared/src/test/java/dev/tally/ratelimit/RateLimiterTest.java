package dev.tally.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T12:00:00Z"));

  @Test
  void aCaller_getsAMinutesWorthAtOnceThenTheRate() {
    RateLimiter limiter = new RateLimiter(60, clock);

    for (int i = 0; i < 60; i++) {
      assertTrue(limiter.tryAcquire("user:1", 1).allowed(), "request " + i);
    }
    RateLimiter.Decision refused = limiter.tryAcquire("user:1", 1);

    assertFalse(refused.allowed());
    assertEquals(Duration.ofSeconds(1), refused.retryAfter());
    assertEquals(1, refused.retryAfterSeconds());
    clock.advance(Duration.ofSeconds(1));
    assertTrue(limiter.tryAcquire("user:1", 1).allowed(), "one token a second comes back");
    assertFalse(limiter.tryAcquire("user:1", 1).allowed());
  }

  @Test
  void callers_haveBucketsOfTheirOwn() {
    RateLimiter limiter = new RateLimiter(10, clock);

    assertTrue(limiter.tryAcquire("user:1", 10).allowed());
    assertFalse(limiter.tryAcquire("user:1", 1).allowed());

    assertTrue(limiter.tryAcquire("user:2", 10).allowed());
    assertTrue(limiter.tryAcquire("address:203.0.113.9", 10).allowed());
  }

  @Test
  void aRefusedCost_takesNothingAndSaysHowLongUntilItFits() {
    RateLimiter limiter = new RateLimiter(600, clock);
    assertTrue(limiter.tryAcquire("c", 500).allowed());

    RateLimiter.Decision refused = limiter.tryAcquire("c", 300);

    assertFalse(refused.allowed());
    assertEquals(Duration.ofSeconds(20), refused.retryAfter(), "200 missing at 10 a second");
    assertTrue(limiter.tryAcquire("c", 100).allowed(), "the refused request took nothing");
  }

  @Test
  void aCostAboveAMinutesWorth_passesWithAFullBucket() {
    RateLimiter limiter = new RateLimiter(100, clock);

    assertTrue(limiter.tryAcquire("c", 500).allowed());
    assertFalse(limiter.tryAcquire("c", 1).allowed());
  }

  @Test
  void check_takesNothingAndRefusesOnlyAnEmptyBucket() {
    RateLimiter limiter = new RateLimiter(60, clock);

    assertTrue(limiter.check("unseen").allowed());
    assertEquals(0, limiter.callers(), "checking a caller keeps no bucket for it");
    assertTrue(limiter.tryAcquire("c", 59).allowed());
    for (int i = 0; i < 5; i++) {
      assertTrue(limiter.check("c").allowed(), "one token left, not taken");
    }
    assertTrue(limiter.tryAcquire("c", 1).allowed());

    RateLimiter.Decision refused = limiter.check("c");

    assertFalse(refused.allowed());
    assertEquals(Duration.ofSeconds(1), refused.retryAfter(), "one token a second");
    clock.advance(Duration.ofSeconds(1));
    assertTrue(limiter.check("c").allowed());
  }

  @Test
  void charge_takesWhatWasSpentEvenBeyondTheBucketAndRefusesUntilTheDebtIsPaid() {
    RateLimiter limiter = new RateLimiter(600, clock);
    assertTrue(limiter.charge("c", 500).allowed());

    RateLimiter.Decision over = limiter.charge("c", 300);

    assertFalse(over.allowed(), "only 100 were left");
    assertEquals(Duration.ofSeconds(50), over.retryAfter(), "200 owed and 300 to refill at 10/s");
    assertFalse(limiter.check("c").allowed(), "in debt");
    clock.advance(Duration.ofSeconds(20));
    assertFalse(limiter.check("c").allowed(), "the debt is paid only after 20 s");
    clock.advance(Duration.ofMillis(100));
    assertTrue(limiter.check("c").allowed());
  }

  @Test
  void charge_owesAtMostAMinutesWorth() {
    RateLimiter limiter = new RateLimiter(60, clock);

    assertTrue(limiter.charge("c", 1_000_000).allowed(), "a full bucket pays a minute's worth");
    assertFalse(limiter.charge("c", 1_000_000).allowed());
    assertFalse(limiter.charge("c", 1_000_000).allowed());

    clock.advance(Duration.ofSeconds(60));
    assertFalse(limiter.check("c").allowed(), "a minute's worth owed");
    clock.advance(Duration.ofSeconds(1));
    assertTrue(limiter.check("c").allowed(), "and no more");
  }

  @Test
  void zero_turnsTheLimitOff() {
    RateLimiter limiter = new RateLimiter(0, clock);

    assertFalse(limiter.isOn());
    for (int i = 0; i < 10_000; i++) {
      assertTrue(limiter.tryAcquire("c", 500).allowed());
      assertTrue(limiter.charge("c", 500).allowed());
      assertTrue(limiter.check("c").allowed());
    }
    assertEquals(0, limiter.callers());
  }

  @Test
  void buckets_areKeptForABoundedNumberOfCallers() {
    RateLimiter limiter = new RateLimiter(10, clock);

    for (int i = 0; i < RateLimiter.MAX_CALLERS + 500; i++) {
      limiter.tryAcquire("address:" + i, 1);
    }

    assertEquals(RateLimiter.MAX_CALLERS, limiter.callers());
  }
}
