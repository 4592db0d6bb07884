package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.ratelimit.RateLimiter;
import dev.tally.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SignInAttemptsTest {
  private static final String SETTING = "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE";

  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));

  private static FakeRequest from(String forwardedFor) {
    return new FakeRequest().header("X-Forwarded-For", forwardedFor);
  }

  @Test
  void count_refusesAnAddressItsEleventhAttemptInAMinute() {
    SignInAttempts attempts = new SignInAttempts(10, SETTING, 0, clock);
    for (int i = 0; i < 10; i++) {
      assertTrue(attempts.count(from("203.0.113.7")).allowed(), "attempt " + (i + 1));
    }

    RateLimiter.Decision refused = attempts.count(from("203.0.113.7"));

    assertFalse(refused.allowed());
    assertEquals(6, refused.retryAfterSeconds(), "one attempt comes back every 6 s");
    assertTrue(attempts.count(from("198.51.100.2")).allowed(), "another address is not affected");
    assertEquals(
        "Too many sign-in attempts from your address: at most 10 a minute (limit set by "
            + SETTING
            + "). Try again in 6 s.",
        attempts.refusal(refused));

    clock.advance(Duration.ofSeconds(6));
    assertTrue(attempts.count(from("203.0.113.7")).allowed());
    assertFalse(attempts.count(from("203.0.113.7")).allowed());
  }

  @Test
  void count_goesByTheAddressGooglesFrontEndAppended_notWhatTheClientWrote() {
    SignInAttempts attempts = new SignInAttempts(3, SETTING, 0, clock);
    for (int i = 0; i < 3; i++) {
      assertTrue(attempts.count(from("10.0.0." + i + ", 203.0.113.7")).allowed());
    }

    assertFalse(
        attempts.count(from("10.9.9.9, 203.0.113.7")).allowed(),
        "a new left-hand entry is no new address");
  }

  @Test
  void count_behindOneTrustedProxy_goesByTheEntryBeforeIt() {
    SignInAttempts attempts = new SignInAttempts(1, SETTING, 1, clock);

    assertTrue(attempts.count(from("203.0.113.7, 130.211.0.1")).allowed());
    assertFalse(attempts.count(from("203.0.113.7, 130.211.0.1")).allowed());
    assertTrue(attempts.count(from("198.51.100.2, 130.211.0.1")).allowed());
  }

  @Test
  void count_withZero_neverRefuses() {
    SignInAttempts attempts = new SignInAttempts(0, SETTING, 0, clock);

    for (int i = 0; i < 1000; i++) {
      assertTrue(attempts.count(new FakeRequest()).allowed());
    }
  }
}
