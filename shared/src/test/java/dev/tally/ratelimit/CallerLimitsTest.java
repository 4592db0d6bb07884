package dev.tally.ratelimit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallerLimitsTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T12:00:00Z"));

  private final Caller office = Caller.anonymous("198.51.100.7", 0);
  private final Caller elsewhere = Caller.anonymous("203.0.113.9", 0);
  private final Caller alice = Caller.user(1);
  private final Caller bob = Caller.user(2);

  private CallerLimits limits(Map<String, String> settings) {
    return new CallerLimits(RateLimitConfig.fromEnv(settings), clock);
  }

  @Test
  void anAddress_isRefusedAfterItsBudgetWhoeverSendsAndNamesTheSetting() {
    CallerLimits limits = limits(Map.of(RateLimitConfig.ADDRESS_REQUESTS_PER_MINUTE, "3"));
    for (int i = 0; i < 3; i++) {
      limits.addressRequest(office);
    }

    RateLimitedException refused =
        assertThrows(RateLimitedException.class, () -> limits.addressRequest(office));

    assertEquals(RateLimitConfig.ADDRESS_REQUESTS_PER_MINUTE, refused.setting());
    assertTrue(
        refused
            .getMessage()
            .startsWith(
                "too many requests from this address: at most 3 a minute per address and function"
                    + " instance (limit set by TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE)"),
        refused.getMessage());
    assertEquals(20, refused.retryAfterSeconds(), "one request comes back every 20 s");
    assertDoesNotThrow(() -> limits.addressRequest(elsewhere));
    assertDoesNotThrow(() -> limits.request(alice), "the callers' own budgets are apart");
    clock.advance(Duration.ofSeconds(20));
    assertDoesNotThrow(() -> limits.addressRequest(office));
  }

  @Test
  void refusedTokens_closeTheAddressToTokenLookupsUntilTheyRefill() {
    CallerLimits limits = limits(Map.of(RateLimitConfig.FAILED_AUTHENTICATIONS_PER_MINUTE, "2"));

    limits.tokenLookup(office);
    limits.failedAuthentication(office);
    limits.tokenLookup(office);
    limits.failedAuthentication(office);
    RateLimitedException refused =
        assertThrows(RateLimitedException.class, () -> limits.tokenLookup(office));

    assertEquals(RateLimitConfig.FAILED_AUTHENTICATIONS_PER_MINUTE, refused.setting());
    assertTrue(
        refused.getMessage().startsWith("too many refused access tokens from this address"),
        refused.getMessage());
    assertEquals(30, refused.retryAfterSeconds());
    assertDoesNotThrow(() -> limits.tokenLookup(elsewhere));
    for (int i = 0; i < 100; i++) {
      assertThrows(
          RateLimitedException.class,
          () -> limits.tokenLookup(office),
          "refused lookups do not count, and do not open the address either");
    }
    clock.advance(Duration.ofSeconds(30));
    assertDoesNotThrow(() -> limits.tokenLookup(office));
  }

  @Test
  void tokenLookups_thatSucceed_costNothing() {
    CallerLimits limits = limits(Map.of(RateLimitConfig.FAILED_AUTHENTICATIONS_PER_MINUTE, "1"));

    for (int i = 0; i < 1000; i++) {
      limits.tokenLookup(office);
    }
  }

  @Test
  void declaredBytes_overTheBudgetAreRefusedAndTakeNothing() {
    CallerLimits limits = limits(Map.of(RateLimitConfig.BYTES_PER_MINUTE, "6000"));
    limits.declaredBytes(alice, 4000);

    RateLimitedException refused =
        assertThrows(RateLimitedException.class, () -> limits.declaredBytes(alice, 3000));

    assertEquals(RateLimitConfig.BYTES_PER_MINUTE, refused.setting());
    assertTrue(
        refused
            .getMessage()
            .startsWith(
                "too many bytes: at most 6000 bytes of request bodies a minute per signed-in user"),
        refused.getMessage());
    assertEquals(10, refused.retryAfterSeconds(), "1000 missing at 100 a second");
    assertDoesNotThrow(() -> limits.declaredBytes(alice, 2000), "the refused one took nothing");
    assertDoesNotThrow(() -> limits.declaredBytes(bob, 6000), "a budget per user");
  }

  @Test
  void anonymousCallers_haveABudgetOfTheirOwn() {
    CallerLimits limits =
        limits(
            Map.of(
                RateLimitConfig.BYTES_PER_MINUTE, "6000",
                RateLimitConfig.ANONYMOUS_BYTES_PER_MINUTE, "2000"));

    limits.declaredBytes(office, 2000);
    RateLimitedException refused =
        assertThrows(RateLimitedException.class, () -> limits.declaredBytes(office, 1));

    assertEquals(RateLimitConfig.ANONYMOUS_BYTES_PER_MINUTE, refused.setting());
    assertTrue(refused.getMessage().contains("per anonymous caller"), refused.getMessage());
    assertDoesNotThrow(() -> limits.declaredBytes(alice, 6000));
  }

  @Test
  void bodiesOfUnknownLength_areCountedAsReadAndRefusedUnreadWhileInDebt() {
    CallerLimits limits = limits(Map.of(RateLimitConfig.BYTES_PER_MINUTE, "6000"));

    limits.undeclaredBytes(alice);
    limits.readBytes(alice, 5000);
    limits.undeclaredBytes(alice);
    RateLimitedException over =
        assertThrows(RateLimitedException.class, () -> limits.readBytes(alice, 3000));
    RateLimitedException unread =
        assertThrows(RateLimitedException.class, () -> limits.undeclaredBytes(alice));

    assertEquals(RateLimitConfig.BYTES_PER_MINUTE, over.setting());
    assertEquals(RateLimitConfig.BYTES_PER_MINUTE, unread.setting());
    clock.advance(Duration.ofSeconds(20));
    assertThrows(
        RateLimitedException.class,
        () -> limits.undeclaredBytes(alice),
        "2000 bytes read beyond the budget are owed, 20 s at 100 a second");
    clock.advance(Duration.ofMillis(10));
    assertDoesNotThrow(() -> limits.undeclaredBytes(alice));
  }

  @Test
  void defaults_areOnAndZeroTurnsEachOff() {
    RateLimitConfig defaults = RateLimitConfig.fromEnv(Map.of());
    assertEquals(RateLimitConfig.DEFAULTS, defaults);
    assertTrue(defaults.addressRequestsPerMinute() > defaults.requestsPerMinute());
    assertTrue(defaults.anonymousBytesPerMinute() < defaults.bytesPerMinute());

    CallerLimits off =
        limits(
            Map.of(
                RateLimitConfig.ADDRESS_REQUESTS_PER_MINUTE, "0",
                RateLimitConfig.FAILED_AUTHENTICATIONS_PER_MINUTE, "0",
                RateLimitConfig.BYTES_PER_MINUTE, "0",
                RateLimitConfig.ANONYMOUS_BYTES_PER_MINUTE, "0"));
    for (int i = 0; i < 100_000; i++) {
      off.addressRequest(office);
      off.tokenLookup(office);
      off.failedAuthentication(office);
      off.declaredBytes(alice, Integer.MAX_VALUE);
      off.readBytes(office, Long.MAX_VALUE);
      off.undeclaredBytes(office);
    }
  }
}
