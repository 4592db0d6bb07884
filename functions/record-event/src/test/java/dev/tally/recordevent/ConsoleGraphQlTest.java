package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.ratelimit.CallerLimits;
import dev.tally.recordevent.console.FakeRequest;
import dev.tally.recordevent.console.GraphQlApi;
import dev.tally.store.AccessTokens;
import dev.tally.store.ConsoleSessions;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The console's requests through its sessions, against a real PostgreSQL with a clock the tests
 * move: what a session lets through, when it stops, and that it is checked as strictly as a token.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleGraphQlTest {
  private static final String QUERY = "query { telemetry { exportStatus { enabled } } }";
  private static final Set<String> ADMIN = Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN);

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final AccessTokens tokens;

  ConsoleGraphQlTest(TestDatabase db) {
    this.db = db;
    this.tokens = new AccessTokens(db.dataSource(), clock);
  }

  private ConsoleGraphQl console(Map<String, String> settings) {
    Map<String, String> env = new HashMap<>(settings);
    env.put("DATABASE_URL", db.url());
    RecordEventConfig config = RecordEventConfig.fromEnv(env);
    RecordEventService service =
        new RecordEventService(
            config, db.dataSource(), clock, new CallerLimits(config.rateLimits(), clock));
    return new ConsoleGraphQl(() -> service);
  }

  private static FakeRequest request() {
    return new FakeRequest().header("Host", "127.0.0.1:8080");
  }

  private static String signIn(ConsoleGraphQl console, String token) {
    GraphQlApi.SignIn signIn = console.signIn(request(), token, QUERY);
    assertEquals(200, signIn.answer().status(), signIn.answer().body().toString());
    assertNotNull(signIn.sessionId());
    return signIn.sessionId();
  }

  private static GraphQlApi.Answer ask(ConsoleGraphQl console, String sessionId) {
    return console.execute(request(), sessionId, QUERY, Map.of());
  }

  private static void assertRefused(GraphQlApi.Answer answer, String message) {
    assertEquals(401, answer.status(), answer.body().toString());
    assertEquals("UNAUTHENTICATED", answer.errorCode());
    assertTrue(answer.errorMessage().contains(message), answer.errorMessage());
  }

  @Test
  void session_answersAsTheTokensAdministratorWhileUsed() {
    ConsoleGraphQl console = console(Map.of());
    String session = signIn(console, tokens.create(1, ADMIN, null, "admin").token());

    for (int i = 0; i < 24; i++) {
      GraphQlApi.Answer answer = ask(console, session);
      assertEquals(200, answer.status(), answer.body().toString());
      assertNull(answer.errorCode(), answer.body().toString());
      assertNotNull(answer.telemetry("exportStatus"));
      clock.advance(Duration.ofMinutes(20));
    }
    // 24 requests 20 minutes apart; the next comes 8 hours after sign-in.
    assertRefused(ask(console, session), "a sign-in lasts 8 hours");
  }

  @Test
  void session_endsAfterThirtyMinutesWithoutARequest() {
    ConsoleGraphQl console = console(Map.of());
    String session = signIn(console, tokens.create(1, ADMIN, null, "admin").token());
    clock.advance(Duration.ofMinutes(29));
    assertEquals(200, ask(console, session).status());

    clock.advance(Duration.ofMinutes(30));

    assertRefused(ask(console, session), "ended after 30 minutes without a request");
  }

  @Test
  void session_endsAtOnceWhenItsTokenIsRevoked() {
    ConsoleGraphQl console = console(Map.of());
    AccessTokens.CreatedToken token = tokens.create(1, ADMIN, null, "admin");
    String session = signIn(console, token.token());
    assertEquals(200, ask(console, session).status());

    assertEquals(1, tokens.revoke(token.id()).consoleSessionsEnded());

    assertRefused(ask(console, session), "was revoked");
  }

  @Test
  void session_endsWithItsToken() {
    ConsoleGraphQl console = console(Map.of());
    String session =
        signIn(console, tokens.create(1, ADMIN, clock.instant().plusSeconds(600), "").token());
    clock.advance(Duration.ofMinutes(10));

    assertRefused(ask(console, session), "has expired");
  }

  @Test
  void signOut_endsTheSession() {
    ConsoleGraphQl console = console(Map.of());
    String token = tokens.create(1, ADMIN, null, "admin").token();
    String session = signIn(console, token);
    String other = signIn(console, token);

    assertEquals(200, console.signOut(session).status());

    assertRefused(ask(console, session), "signed out");
    assertEquals(200, ask(console, other).status(), "another sign-in of the same token");
  }

  @Test
  void sessionsThatAreNotKnown_countAsRefusedTokensOfTheirAddress() {
    ConsoleGraphQl console =
        console(Map.of("TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE", "3"));
    String session = signIn(console, tokens.create(1, ADMIN, null, "admin").token());
    for (int i = 0; i < 3; i++) {
      assertRefused(ask(console, "x".repeat(43)), "not known here");
    }

    // The address spent its refused lookups: the next one is not looked up, even a good one.
    GraphQlApi.Answer flooded = ask(console, session);
    assertEquals(429, flooded.status(), flooded.body().toString());
    assertEquals("RATE_LIMITED", flooded.errorCode());
    assertTrue(
        flooded.errorMessage().contains("TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE"),
        flooded.errorMessage());
    GraphQlApi.SignIn signIn =
        console.signIn(request(), tokens.create(1, ADMIN, null, "").token(), QUERY);
    assertEquals(429, signIn.answer().status());

    clock.advance(Duration.ofMinutes(1));
    assertEquals(200, ask(console, session).status(), "a minute later");
  }

  @Test
  void aCookieValueThatIsNoSession_isRefused() {
    ConsoleGraphQl console = console(Map.of());
    String token = tokens.create(1, ADMIN, null, "admin").token();
    signIn(console, token);
    byte[] guess = new byte[32];
    new SecureRandom().nextBytes(guess);

    assertRefused(
        ask(console, Base64.getUrlEncoder().withoutPadding().encodeToString(guess)), "not known");
    assertRefused(ask(console, token), "not known");
  }

  @Test
  void signIn_withATokenThatIsNoAdministrators_opensNoSession() {
    ConsoleGraphQl console = console(Map.of());
    long before = db.queryLong("SELECT count(*) FROM console_sessions");

    GraphQlApi.SignIn user =
        console.signIn(
            request(), tokens.create(2, Set.of(AccessTokens.USER_ALL), null, "").token(), QUERY);
    GraphQlApi.SignIn unknown =
        console.signIn(
            request(),
            "tly_0000000000000000000000000000000000000000000000000000000000000000",
            QUERY);

    assertEquals("FORBIDDEN", user.answer().errorCode());
    assertNull(user.sessionId());
    assertEquals(401, unknown.answer().status());
    assertNull(unknown.sessionId());
    assertEquals(before, db.queryLong("SELECT count(*) FROM console_sessions"));
  }

  @Test
  void sessions_areCountedAgainstTheAdministratorRateLimitAsTokensAre() {
    ConsoleGraphQl console = console(Map.of("TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE", "3"));
    String session = signIn(console, tokens.create(3, ADMIN, null, "admin").token());
    assertEquals(200, ask(console, session).status());
    assertEquals(200, ask(console, session).status());

    GraphQlApi.Answer limited = ask(console, session);

    assertEquals("RATE_LIMITED", limited.errorCode(), limited.body().toString());
    assertTrue(limited.retryAfterSeconds() > 0);
  }

  @Test
  void signIn_deletesSessionsThatEndedMoreThanADayAgo() {
    ConsoleGraphQl console = console(Map.of());
    String token = tokens.create(4, ADMIN, null, "admin").token();
    String old = signIn(console, token);
    console.signOut(old);
    clock.advance(ConsoleSessions.LIFETIME.plus(Duration.ofDays(2)));
    assertTrue(db.queryLong("SELECT count(*) FROM console_sessions") > 0);

    signIn(console, token);

    // Every session opened two days and more ago ended more than a day ago.
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM console_sessions WHERE created_at < '"
                + clock.instant().minus(Duration.ofDays(1))
                + "'"));
  }
}
