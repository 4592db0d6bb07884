package dev.tally.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.privacy.ExportOptOut;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.AccessTokens;
import dev.tally.store.ConsoleSessions;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TallyAdminTest {
  private final TestDatabase db;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  TallyAdminTest(TestDatabase db) {
    this.db = db;
  }

  private int run(TestDatabase database, String... args) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", database.url());
    env.put("DATABASE_USER", database.user());
    return TallyAdmin.run(
        List.of(args),
        env,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void migrate_appliesTheSchemaToAnEmptyDatabase() {
    try (TestDatabase empty = db.createEmpty()) {
      assertEquals(0, run(empty, "migrate"), err.toString());
      assertTrue(
          out.toString().matches("applied [1-9][0-9]* migration\\(s\\)\\s*"), out.toString());
      assertEquals(0, empty.queryLong("SELECT count(*) FROM event_logs"));
    }
  }

  @Test
  void createToken_printsATokenThatAuthenticatesAsTheUser() {
    assertEquals(0, run(db, "create-token", "42", "site-admin"), err.toString());

    String token = out.toString().trim();
    assertEquals(1, out.toString().lines().count(), out.toString());
    // Quiet: the pool's and the migrations' INFO lines are not shown.
    assertEquals("", err.toString());
    AccessTokens.Check.Valid valid =
        (AccessTokens.Check.Valid)
            new AccessTokens(db.dataSource(), Clock.systemUTC()).authenticate(token);
    assertEquals(42, valid.userId());
    assertTrue(valid.isSiteAdmin());
  }

  @Test
  void listTokens_showsWhatEachTokenIsButNeverTheTokenOrItsHash() {
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    AccessTokens.CreatedToken admin =
        tokens.create(
            501, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "laptop\u001b[2J");
    AccessTokens.CreatedToken expiring =
        tokens.create(
            501, Set.of(AccessTokens.USER_ALL), Instant.parse("2031-02-03T04:05:06Z"), "ci job");
    AccessTokens.CreatedToken revoked =
        tokens.create(501, Set.of(AccessTokens.USER_ALL), null, "old");
    tokens.revoke(revoked.id());
    AccessTokens.CreatedToken otherUsers =
        tokens.create(502, Set.of(AccessTokens.USER_ALL), null, "someone else");

    assertEquals(0, run(db, "list-tokens", "501"), err.toString());

    List<String> lines = out.toString().lines().toList();
    assertEquals("3 access token(s) of user 501:", lines.get(0));
    assertTrue(
        lines.get(1).matches("ID +USER +SCOPES +CREATED +EXPIRES +REVOKED +NOTE"), lines.get(1));
    assertEquals(5, lines.size(), out.toString());
    assertTrue(
        lines
                .get(2)
                .matches(admin.id() + " +501 +user:all,site-admin +\\S+Z +never +- +laptop \\[2J")
            || lines
                .get(2)
                .matches(admin.id() + " +501 +site-admin,user:all +\\S+Z +never +- +laptop \\[2J"),
        lines.get(2));
    assertFalse(lines.get(2).contains("\u001b"), "no terminal escape from a note");
    assertTrue(
        lines
            .get(3)
            .matches(expiring.id() + " +501 +user:all +\\S+Z +2031-02-03T04:05:06Z +- +ci job"),
        lines.get(3));
    assertTrue(
        lines.get(4).matches(revoked.id() + " +501 +user:all +\\S+Z +never +\\S+Z +old"),
        lines.get(4));
    for (AccessTokens.CreatedToken token : List.of(admin, expiring, revoked)) {
      assertFalse(out.toString().contains(token.token()), "never the token");
      assertFalse(out.toString().contains(token.token().substring(4, 16)), "nor any part of it");
    }
    assertFalse(
        out.toString()
            .contains(
                db.queryString(
                    "SELECT encode(token_sha256, 'hex') FROM access_tokens WHERE id = "
                        + admin.id())),
        "nor its hash");

    out.reset();
    assertEquals(0, run(db, "list-tokens"), err.toString());
    assertTrue(out.toString().contains("someone else"), "every user's without a user ID");
    assertTrue(out.toString().lines().anyMatch(l -> l.startsWith(otherUsers.id() + " ")));
    assertEquals(2, run(db, "list-tokens", "five"));
  }

  @Test
  void revokeToken_revokesAndSaysHowManyConsoleSessionsEnded() {
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    ConsoleSessions sessions = new ConsoleSessions(db.dataSource(), Clock.systemUTC());
    AccessTokens.CreatedToken token =
        tokens.create(503, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "");
    AccessTokens.CreatedToken kept =
        tokens.create(503, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "");
    String first = sessions.open(token.token()).orElseThrow().sessionId();
    String second = sessions.open(token.token()).orElseThrow().sessionId();
    String other = sessions.open(kept.token()).orElseThrow().sessionId();

    assertEquals(0, run(db, "revoke-token", String.valueOf(token.id())), err.toString());

    assertEquals(
        "revoked token " + token.id() + "; 2 console session(s) ended", out.toString().trim());
    assertEquals(
        new AccessTokens.Check.Rejected(AccessTokens.Check.Reason.REVOKED),
        tokens.authenticate(token.token()));
    for (String session : List.of(first, second)) {
      assertEquals(
          new ConsoleSessions.Check.Rejected(ConsoleSessions.Check.Reason.TOKEN_REVOKED),
          sessions.check(session));
    }
    assertTrue(sessions.check(other) instanceof ConsoleSessions.Check.Valid);

    out.reset();
    assertEquals(
        1, run(db, "revoke-token", String.valueOf(token.id()), "987654321"), out.toString());
    assertEquals(
        "token " + token.id() + " was revoked already; 0 console session(s) ended",
        out.toString().trim());
    assertTrue(err.toString().contains("no access token with ID 987654321"), err.toString());

    err.reset();
    assertEquals(2, run(db, "revoke-token"));
    assertTrue(err.toString().contains("name the tokens by ID"), err.toString());
    assertEquals(2, run(db, "revoke-token", "7x"));
    assertTrue(err.toString().contains("a token ID must be a number, got '7x'"), err.toString());
    assertTrue(tokens.authenticate(kept.token()) instanceof AccessTokens.Check.Valid);
  }

  @Test
  void setFlag_setsTheInstanceValueAndAUsersOverride() {
    assertEquals(0, run(db, "set-flag", "telemetry-export", "false"), err.toString());
    assertEquals(0, run(db, "set-flag", "telemetry-export", "true", "7"), err.toString());

    FeatureFlags flags = new FeatureFlags(db.dataSource());
    assertEquals(false, flags.evaluate(Actor.user(1)).get("telemetry-export"));
    assertEquals(true, flags.evaluate(Actor.user(7)).get("telemetry-export"));
  }

  @Test
  void setFlag_forOneUser_createsAFlagThatDoesNotExistYetOffForEveryoneElse() {
    assertEquals(0, run(db, "set-flag", "new-search", "true", "7"), err.toString());

    FeatureFlags flags = new FeatureFlags(db.dataSource());
    assertEquals(false, flags.evaluate(Actor.user(1)).get("new-search"));
    assertEquals(true, flags.evaluate(Actor.user(7)).get("new-search"));
  }

  @Test
  void unsetFlag_givesAUserTheInstanceValueAgain_andLeavesTheirOwnOptOut() {
    FeatureFlags flags = new FeatureFlags(db.dataSource());
    flags.set("telemetry-export", true);
    flags.setOverride("telemetry-export", 31, false);
    new ExportOptOut(db.dataSource()).set(31, true);

    assertEquals(0, run(db, "unset-flag", "telemetry-export", "31"), err.toString());
    assertEquals(0, run(db, "unset-flag", "telemetry-export", "32"), err.toString());

    assertEquals(
        "telemetry-export unset for user 31: the instance's value applies\n"
            + "telemetry-export had no value of its own for user 32: the instance's value"
            + " applies\n",
        out.toString());
    FeatureFlags.Evaluation evaluation = flags.evaluateWithOverrides(Actor.user(31));
    assertEquals(Map.of(), evaluation.overrides());
    assertEquals(true, evaluation.values().get("telemetry-export"));
    assertTrue(evaluation.exportOptOut(), "the user's own opt-out is theirs to remove");
    assertEquals(2, run(db, "unset-flag", "telemetry-export"));
    assertEquals(2, run(db, "unset-flag", "telemetry-export", "x"));
  }

  /** Queues {@code count} events and sets them aside as the exporter would, oldest first. */
  private List<UUID> setAside(int count) {
    ExportQueue queue = new ExportQueue(db.dataSource(), Clock.systemUTC());
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      UUID id = UUID.randomUUID();
      Event event =
          Event.newBuilder()
              .setId(id.toString())
              .setFeature("poison.event")
              .setAction("refused")
              .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000))
              .build();
      db.execute(
          "INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb) VALUES ('"
              + id
              + "', now(), '\\x"
              + HexFormat.of().formatHex(event.toByteArray())
              + "'::bytea)");
      UUID run = UUID.randomUUID();
      assertEquals(id, queue.claim(run, 1, Duration.ofMinutes(5)).events().get(0).id());
      queue.recordFailure(run, id, "gRPC status 8 RESOURCE_EXHAUSTED", 1, Duration.ZERO);
      ids.add(id);
    }
    return ids;
  }

  @Test
  void setAside_listsRetriesAndDiscardsSetAsideEvents() {
    db.execute("TRUNCATE telemetry_events_export_queue");
    List<UUID> ids = setAside(3);

    assertEquals(0, run(db, "set-aside", "list", "2"), err.toString());
    String listed = out.toString();
    assertTrue(listed.startsWith("3 event(s) set aside, the newest 2:"), listed);
    assertTrue(listed.contains("poison.event/refused  attempts=1 failures=1"), listed);
    assertTrue(listed.contains("RESOURCE_EXHAUSTED"), listed);

    out.reset();
    assertEquals(0, run(db, "set-aside", "retry", ids.get(0).toString()), err.toString());
    assertEquals("retried 1 of 1 event(s)", out.toString().trim());
    out.reset();
    assertEquals(0, run(db, "set-aside", "discard", ids.get(1).toString()), err.toString());
    assertEquals("discarded 1 of 1 event(s)", out.toString().trim());
    out.reset();
    assertEquals(0, run(db, "set-aside", "retry", "--all"), err.toString());
    assertEquals("retried 1 set-aside event(s)", out.toString().trim());

    assertEquals(2, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE set_aside_at IS NOT NULL"));
    assertEquals(2, run(db, "set-aside", "discard", "not-an-id"));
    assertTrue(err.toString().contains("not an event ID: 'not-an-id'"));
  }

  @Test
  void badArguments_printUsageAndExit2() {
    assertEquals(2, run(db, "set-flag", "telemetry-export", "yes"));
    assertEquals(2, run(db, "frobnicate"));
    assertTrue(err.toString().contains("usage: tally-admin"));
    assertEquals(2, TallyAdmin.run(List.of("migrate"), Map.of(), System.out, new PrintStream(err)));
    assertTrue(err.toString().contains("DATABASE_URL must be set"));
  }

  @Test
  void verbose_showsTheLibrariesInfoLogsOnStandardError() {
    assertEquals(0, run(db, "--verbose", "create-token", "42"), err.toString());

    assertEquals(1, out.toString().lines().count(), out.toString());
    assertTrue(err.toString().contains("INFO com.zaxxer.hikari"), err.toString());
  }

  @Test
  void help_saysWhatEveryCommandDoes_withoutADatabase() {
    assertEquals(0, TallyAdmin.run(List.of("--help"), Map.of(), stream(out), stream(err)));
    for (String command :
        List.of(
            "migrate",
            "create-token",
            "list-tokens",
            "revoke-token",
            "set-flag",
            "unset-flag",
            "set-aside",
            "erase")) {
      assertTrue(out.toString().contains("  " + command), out.toString());
    }

    out.reset();
    assertEquals(0, TallyAdmin.run(List.of("help", "erase"), Map.of(), stream(out), stream(err)));
    String help = out.toString();
    out.reset();
    assertEquals(0, TallyAdmin.run(List.of("erase", "--help"), Map.of(), stream(out), stream(err)));
    assertEquals(help, out.toString());
    assertTrue(help.startsWith("usage: tally-admin [--verbose] erase --user ID | --anonymous ID"));
    assertTrue(help.contains("Deletes everything the instance holds about one person"), help);
    assertEquals("", err.toString());
  }

  @Test
  void wrongArguments_printThatCommandsUsage() {
    assertEquals(2, run(db, "erase", "--user", "seven"));

    assertTrue(err.toString().contains("a user ID must be a number, got 'seven'"), err.toString());
    assertTrue(
        err.toString().contains("usage: tally-admin [--verbose] erase --user ID | --anonymous ID"),
        err.toString());
    assertEquals("", out.toString());
  }

  @Test
  void erase_deletesOnePersonsEvents_andWritesOneAuditLineWithoutTheirId() {
    TeeStore store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
    EventBuilder builder = new EventBuilder(Clock.systemUTC(), "1.0.0");
    for (Actor actor : List.of(Actor.anonymous("visitor-to-erase"), Actor.anonymous("other"))) {
      store.store(
          List.of(
              builder.build(
                  EventInput.backend("myFeature", "saved", EventInput.Parameters.of(0, Map.of())),
                  EventContext.of(actor))),
          true);
    }

    assertEquals(0, run(db, "erase", "--anonymous", "visitor-to-erase"), err.toString());

    assertEquals(
        "erased 1 event_logs row(s), 1 queued event(s) not yet exported, 0 exported event(s)"
            + " still kept, 2 usage rollup row(s), 0 held event(s)",
        out.toString().trim());
    List<String> audit = err.toString().lines().toList();
    assertEquals(1, audit.size(), err.toString());
    assertTrue(audit.get(0).contains("\"message\":\"personal data erased\""), audit.get(0));
    assertTrue(audit.get(0).contains("\"eventLogs\":1"), audit.get(0));
    assertFalse(audit.get(0).contains("visitor-to-erase"), audit.get(0));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE anonymous_user_id = 'visitor-to-erase'"));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_logs WHERE anonymous_user_id = 'other'"));
  }

  private static PrintStream stream(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }
}
