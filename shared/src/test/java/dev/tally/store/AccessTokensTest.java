package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class AccessTokensTest {
  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final AccessTokens tokens;

  AccessTokensTest(TestDatabase db) {
    this.db = db;
    this.tokens = new AccessTokens(db.dataSource(), clock);
  }

  @Test
  void authenticate_acceptsAValidTokenAndReturnsItsUserAndScopes() {
    AccessTokens.CreatedToken created =
        tokens.create(7, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin");

    AccessTokens.Check check = tokens.authenticate(created.token());

    AccessTokens.Check.Valid valid = (AccessTokens.Check.Valid) check;
    assertEquals(7, valid.userId());
    assertTrue(valid.isSiteAdmin());
    AccessTokens.Check.Valid plain =
        (AccessTokens.Check.Valid)
            tokens.authenticate(tokens.create(8, Set.of(AccessTokens.USER_ALL), null, "").token());
    assertFalse(plain.isSiteAdmin());
  }

  @Test
  void authenticate_rejectsAnUnknownToken() {
    tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "");

    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.UNKNOWN),
        tokens.authenticate(
            "tly_0000000000000000000000000000000000000000000000000000000000000000"));
    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.UNKNOWN),
        tokens.authenticate(""));
  }

  @Test
  void authenticate_rejectsAnExpiredToken() {
    AccessTokens.CreatedToken created =
        tokens.create(
            7, Set.of(AccessTokens.USER_ALL), clock.instant().plus(Duration.ofHours(1)), "");
    assertTrue(tokens.authenticate(created.token()) instanceof AccessTokens.Check.Valid);

    clock.advance(Duration.ofHours(1));

    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.EXPIRED),
        tokens.authenticate(created.token()));
  }

  @Test
  void authenticate_rejectsARevokedToken() {
    AccessTokens.CreatedToken created = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "");

    tokens.revoke(created.id());

    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.REVOKED),
        tokens.authenticate(created.token()));
  }

  @Test
  void authenticateWithFlags_givesTheUsersFlagsAsTheirOwnEvaluationDoes() {
    FeatureFlags flags = new FeatureFlags(db.dataSource());
    AccessTokens.CreatedToken created = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "");
    AccessTokens.Check.Valid noFlagsYet =
        (AccessTokens.Check.Valid) tokens.authenticateWithFlags(created.token());
    assertEquals(new FeatureFlags.Evaluation(Map.of(), Map.of()), noFlagsYet.flags());
    assertEquals(7, noFlagsYet.userId());
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    flags.set("other-flag", true);
    flags.setOverride("other-flag", 7, false);
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 8, false);

    AccessTokens.Check.Valid valid =
        (AccessTokens.Check.Valid) tokens.authenticateWithFlags(created.token());

    assertEquals(flags.evaluateWithOverrides(Actor.user(7)), valid.flags());
    assertEquals(
        Map.of(FeatureFlags.TELEMETRY_EXPORT, true, "other-flag", false), valid.flags().values());
    assertEquals(Map.of("other-flag", false), valid.flags().overrides());
    assertEquals(Set.of(AccessTokens.USER_ALL), valid.scopes());
    assertNull(((AccessTokens.Check.Valid) tokens.authenticate(created.token())).flags());
  }

  @Test
  void authenticateWithFlags_readsTheUsersOwnOptOutApartFromTheirOverride() {
    db.execute("TRUNCATE feature_flags CASCADE; TRUNCATE export_opt_outs");
    AccessTokens.CreatedToken optedOut = tokens.create(17, Set.of(AccessTokens.USER_ALL), null, "");
    AccessTokens.CreatedToken other = tokens.create(18, Set.of(AccessTokens.USER_ALL), null, "");
    db.execute("INSERT INTO export_opt_outs (user_id) VALUES (17)");

    AccessTokens.Check.Valid beforeAnyFlag =
        (AccessTokens.Check.Valid) tokens.authenticateWithFlags(optedOut.token());
    assertTrue(beforeAnyFlag.flags().exportOptOut(), "read even when no flag exists");

    FeatureFlags flags = new FeatureFlags(db.dataSource());
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    flags.set("other-flag", false);
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 18, false);
    AccessTokens.Check.Valid optedOutUser =
        (AccessTokens.Check.Valid) tokens.authenticateWithFlags(optedOut.token());
    AccessTokens.Check.Valid otherUser =
        (AccessTokens.Check.Valid) tokens.authenticateWithFlags(other.token());

    assertTrue(optedOutUser.flags().exportOptOut());
    assertEquals(Map.of(), optedOutUser.flags().overrides(), "the opt-out is no override");
    assertEquals(
        Map.of(FeatureFlags.TELEMETRY_EXPORT, true, "other-flag", false),
        optedOutUser.flags().values());
    assertEquals(flags.evaluateWithOverrides(Actor.user(17)), optedOutUser.flags());
    assertFalse(otherUser.flags().exportOptOut(), "an administrator's off is no opt-out");
    assertEquals(Map.of(FeatureFlags.TELEMETRY_EXPORT, false), otherUser.flags().overrides());
    assertEquals(flags.evaluateWithOverrides(Actor.user(18)), otherUser.flags());
    assertFalse(flags.evaluateWithOverrides(Actor.anonymous("visitor")).exportOptOut());
    db.execute("TRUNCATE feature_flags CASCADE; TRUNCATE export_opt_outs");
  }

  @Test
  void authenticateWithFlags_refusesTokensAsAuthenticateDoes() {
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
    AccessTokens.CreatedToken expiring =
        tokens.create(
            7, Set.of(AccessTokens.USER_ALL), clock.instant().plus(Duration.ofHours(1)), "");
    AccessTokens.CreatedToken revoked = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "");
    tokens.revoke(revoked.id());
    clock.advance(Duration.ofHours(1));

    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.EXPIRED),
        tokens.authenticateWithFlags(expiring.token()));
    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.REVOKED),
        tokens.authenticateWithFlags(revoked.token()));
    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.UNKNOWN),
        tokens.authenticateWithFlags(
            "tly_0000000000000000000000000000000000000000000000000000000000000000"));
    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.UNKNOWN),
        tokens.authenticateWithFlags(" "));
  }

  @Test
  void create_storesOnlyTheHashOfTheToken() {
    AccessTokens.CreatedToken a = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "");
    AccessTokens.CreatedToken b = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "");

    assertNotEquals(a.token(), b.token());
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM access_tokens WHERE position(convert_to('"
                + a.token()
                + "', 'UTF8') in token_sha256) > 0 OR note LIKE '%"
                + a.token()
                + "%'"),
        "the token itself is nowhere in the table");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM access_tokens WHERE token_sha256 = sha256(convert_to('"
                + a.token()
                + "', 'UTF8'))"));
    assertFalse(a.toString().contains(a.token()), "toString never prints the token");
  }
}
