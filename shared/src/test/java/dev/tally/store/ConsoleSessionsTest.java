package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The console's sessions against a real PostgreSQL, with a clock the tests move. */
@ExtendWith(PostgresExtension.class)
class ConsoleSessionsTest {
  private static final Set<String> ADMIN = Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN);

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final AccessTokens tokens;
  private final ConsoleSessions sessions;

  ConsoleSessionsTest(TestDatabase db) {
    this.db = db;
    this.tokens = new AccessTokens(db.dataSource(), clock);
    this.sessions = new ConsoleSessions(db.dataSource(), clock);
  }

  @BeforeEach
  void noSessions() {
    db.execute("DELETE FROM console_sessions");
  }

  private String adminToken() {
    return tokens.create(7, ADMIN, null, "admin").token();
  }

  private String open(String token) {
    return sessions.open(token).orElseThrow().sessionId();
  }

  private static ConsoleSessions.Check rejected(ConsoleSessions.Check.Reason reason) {
    return new ConsoleSessions.Check.Rejected(reason);
  }

  @Test
  void open_givesARandomIdThatIsNotTheTokenAndStoresOnlyItsHash() {
    AccessTokens.CreatedToken token = tokens.create(7, ADMIN, null, "admin");

    ConsoleSessions.Opened opened = sessions.open(token.token()).orElseThrow();

    String id = opened.sessionId();
    assertTrue(ConsoleSessions.isWellFormed(id), id);
    assertEquals(32, Base64.getUrlDecoder().decode(id).length, "32 random bytes");
    assertFalse(id.contains(token.token().substring(4, 20)));
    assertEquals(clock.instant().plus(Duration.ofHours(8)), opened.expiresAt());
    assertEquals(
        HexFormat.of().formatHex(AccessTokens.sha256(id)),
        db.queryString("SELECT encode(session_sha256, 'hex') FROM console_sessions"));
    assertEquals(
        token.id() + " 7",
        db.queryString("SELECT access_token_id || ' ' || user_id FROM console_sessions"));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM console_sessions WHERE row_to_json(console_sessions)::text"
                + " LIKE '%"
                + id
                + "%'"),
        "the ID itself is stored nowhere");
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      ids.add(open(token.token()));
    }
    assertEquals(20, ids.size(), "every sign-in gets an ID of its own");
  }

  @Test
  void open_refusesATokenThatIsNoAdministratorsOrNoLongerWorks() {
    String user = tokens.create(8, Set.of(AccessTokens.USER_ALL), null, "user").token();
    AccessTokens.CreatedToken revoked = tokens.create(7, ADMIN, null, "revoked");
    tokens.revoke(revoked.id());
    String expiring =
        tokens.create(7, ADMIN, clock.instant().plus(Duration.ofMinutes(5)), "expiring").token();
    clock.advance(Duration.ofMinutes(5));

    assertTrue(sessions.open(user).isEmpty(), "no site-admin scope");
    assertTrue(sessions.open(revoked.token()).isEmpty(), "revoked");
    assertTrue(sessions.open(expiring).isEmpty(), "expired");
    assertTrue(
        sessions
            .open("tly_0000000000000000000000000000000000000000000000000000000000000000")
            .isEmpty(),
        "unknown");
    assertEquals(0, db.queryLong("SELECT count(*) FROM console_sessions"));
  }

  @Test
  void check_keepsASessionWorkingWhileUsedUntilEightHoursAfterSignIn() {
    String id = open(adminToken());

    for (int minutes = 0; minutes < 8 * 60; minutes += 20) {
      ConsoleSessions.Check check = sessions.check(id);
      ConsoleSessions.Check.Valid valid =
          assertInstanceOf(ConsoleSessions.Check.Valid.class, check, "after " + minutes + " min");
      assertEquals(7, valid.userId());
      assertTrue(valid.isSiteAdmin());
      clock.advance(Duration.ofMinutes(20));
    }

    assertEquals(rejected(ConsoleSessions.Check.Reason.EXPIRED), sessions.check(id));
  }

  @Test
  void check_endsASessionAfterThirtyMinutesWithoutARequest() {
    String id = open(adminToken());
    clock.advance(Duration.ofMinutes(29));
    assertInstanceOf(ConsoleSessions.Check.Valid.class, sessions.check(id));

    clock.advance(Duration.ofMinutes(29));
    assertInstanceOf(
        ConsoleSessions.Check.Valid.class, sessions.check(id), "the last request counts");

    clock.advance(Duration.ofMinutes(30));
    assertEquals(rejected(ConsoleSessions.Check.Reason.IDLE), sessions.check(id));
    clock.advance(Duration.ofMinutes(1));
    assertEquals(
        rejected(ConsoleSessions.Check.Reason.IDLE), sessions.check(id), "a refused use is none");
  }

  @Test
  void check_writesTheLastUseAtMostOnceAMinute() {
    String id = open(adminToken());
    Instant signedIn = clock.instant();

    clock.advance(Duration.ofSeconds(59));
    sessions.check(id);
    assertEquals(signedIn, lastUsedAt(), "59 s later: not written");

    clock.advance(Duration.ofSeconds(1));
    sessions.check(id);
    assertEquals(signedIn.plusSeconds(60), lastUsedAt());
  }

  private Instant lastUsedAt() {
    return Instant.parse(
        db.queryString(
            "SELECT to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                + " FROM console_sessions"));
  }

  @Test
  void end_signsOutSoTheSessionNoLongerWorks() {
    String token = adminToken();
    String id = open(token);
    String other = open(token);

    assertTrue(sessions.end(id));

    assertEquals(rejected(ConsoleSessions.Check.Reason.SIGNED_OUT), sessions.check(id));
    assertFalse(sessions.end(id), "ended already");
    assertInstanceOf(
        ConsoleSessions.Check.Valid.class, sessions.check(other), "the same token's other one");
  }

  @Test
  void revokingTheToken_endsItsSessionsAtOnce() {
    AccessTokens.CreatedToken token = tokens.create(7, ADMIN, null, "admin");
    String first = open(token.token());
    String second = open(token.token());
    String idle = open(token.token());
    String otherTokens = open(adminToken());
    clock.advance(Duration.ofMinutes(20));
    sessions.check(first);
    sessions.check(second);
    sessions.check(otherTokens);
    clock.advance(Duration.ofMinutes(15));

    AccessTokens.Revocation revocation = tokens.revoke(token.id());

    assertEquals(new AccessTokens.Revocation(AccessTokens.Revocation.Before.VALID, 2), revocation);
    assertEquals(rejected(ConsoleSessions.Check.Reason.TOKEN_REVOKED), sessions.check(first));
    assertEquals(rejected(ConsoleSessions.Check.Reason.TOKEN_REVOKED), sessions.check(second));
    assertEquals(rejected(ConsoleSessions.Check.Reason.TOKEN_REVOKED), sessions.check(idle));
    assertInstanceOf(ConsoleSessions.Check.Valid.class, sessions.check(otherTokens));
    assertEquals(
        new AccessTokens.Revocation(AccessTokens.Revocation.Before.REVOKED, 0),
        tokens.revoke(token.id()));
    assertEquals(
        new AccessTokens.Revocation(AccessTokens.Revocation.Before.NO_SUCH_TOKEN, 0),
        tokens.revoke(999_999));
  }

  @Test
  void check_endsTheSessionOfATokenRevokedWithoutIt() {
    AccessTokens.CreatedToken token = tokens.create(7, ADMIN, null, "admin");
    String id = open(token.token());
    // As a revocation that does not know of sessions would leave it: the token alone.
    db.execute("UPDATE access_tokens SET revoked_at = now() WHERE id = " + token.id());

    assertEquals(rejected(ConsoleSessions.Check.Reason.TOKEN_REVOKED), sessions.check(id));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM console_sessions WHERE revoked_at IS NOT NULL"));
  }

  @Test
  void aSession_endsWhenItsTokenExpires() {
    String token =
        tokens.create(7, ADMIN, clock.instant().plus(Duration.ofMinutes(45)), "short").token();
    ConsoleSessions.Opened opened = sessions.open(token).orElseThrow();
    assertEquals(clock.instant().plus(Duration.ofMinutes(45)), opened.expiresAt());
    clock.advance(Duration.ofMinutes(25));
    assertInstanceOf(ConsoleSessions.Check.Valid.class, sessions.check(opened.sessionId()));

    clock.advance(Duration.ofMinutes(20));

    assertEquals(
        rejected(ConsoleSessions.Check.Reason.TOKEN_EXPIRED), sessions.check(opened.sessionId()));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM console_sessions WHERE revoked_at IS NOT NULL"));
  }

  @Test
  void check_refusesAValueThatIsNoKnownSession() {
    String token = adminToken();
    String id = open(token);
    byte[] guess = Base64.getUrlDecoder().decode(id);
    guess[0] ^= 1;

    assertEquals(
        rejected(ConsoleSessions.Check.Reason.UNKNOWN),
        sessions.check(Base64.getUrlEncoder().withoutPadding().encodeToString(guess)),
        "one bit off");
    assertEquals(rejected(ConsoleSessions.Check.Reason.UNKNOWN), sessions.check(token));
    assertEquals(
        rejected(ConsoleSessions.Check.Reason.UNKNOWN),
        sessions.check(HexFormat.of().formatHex(AccessTokens.sha256(id))),
        "the stored hash is no way in");
    assertEquals(rejected(ConsoleSessions.Check.Reason.UNKNOWN), sessions.check(id + "x"));
    assertEquals(rejected(ConsoleSessions.Check.Reason.UNKNOWN), sessions.check(null));
    assertFalse(sessions.end(token));
    assertInstanceOf(ConsoleSessions.Check.Valid.class, sessions.check(id));
  }

  @Test
  void deleteEnded_deletesSessionsADayAfterTheyEndedAndKeepsTheRest() {
    String token = adminToken();
    String signedOut = open(token);
    sessions.end(signedOut);
    open(token); // left idle
    String used = open(token);
    for (int i = 0; i < 16; i++) {
      clock.advance(Duration.ofMinutes(29));
      sessions.check(used); // works until it expires at 8 h
    }
    assertEquals(3, db.queryLong("SELECT count(*) FROM console_sessions"));

    clock.advance(Duration.ofHours(16).plusMinutes(20));
    assertEquals(1, sessions.deleteEnded(), "the signed-out one, ended 24 h 4 min ago");
    String live = open(token);
    clock.advance(Duration.ofHours(8));
    assertEquals(2, sessions.deleteEnded(), "the idle one and the expired one");

    assertEquals(1, db.queryLong("SELECT count(*) FROM console_sessions"));
    assertEquals(rejected(ConsoleSessions.Check.Reason.EXPIRED), sessions.check(live));
  }
}
