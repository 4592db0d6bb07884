package dev.tally.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.store.AccessTokens;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    AccessTokens.Check.Valid valid =
        (AccessTokens.Check.Valid)
            new AccessTokens(db.dataSource(), Clock.systemUTC()).authenticate(token);
    assertEquals(42, valid.userId());
    assertTrue(valid.isSiteAdmin());
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
  void badArguments_printUsageAndExit2() {
    assertEquals(2, run(db, "set-flag", "telemetry-export", "yes"));
    assertEquals(2, run(db, "frobnicate"));
    assertTrue(err.toString().contains("usage: TallyAdmin"));
    assertEquals(2, TallyAdmin.run(List.of("migrate"), Map.of(), System.out, new PrintStream(err)));
    assertTrue(err.toString().contains("DATABASE_URL must be set"));
  }
}
