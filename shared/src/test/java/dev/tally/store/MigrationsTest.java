package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class MigrationsTest {
  private final TestDatabase db;

  MigrationsTest(TestDatabase db) {
    this.db = db;
  }

  @Test
  void apply_fromTwoProcessesAtOnceAppliesEachMigrationOnce() throws Exception {
    try (TestDatabase empty = db.createEmpty()) {
      CyclicBarrier start = new CyclicBarrier(2);
      Callable<Integer> migrate =
          () -> {
            start.await();
            return Migrations.apply(empty.dataSource());
          };
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<Integer>> runs = new ArrayList<>();
      runs.add(pool.submit(migrate));
      runs.add(pool.submit(migrate));
      int applied = runs.get(0).get() + runs.get(1).get();
      pool.shutdown();

      long available = db.queryLong("SELECT count(*) FROM tally_schema_history WHERE success");
      assertEquals(available, applied, "every migration applied exactly once between the two");
      assertEquals(
          available, empty.queryLong("SELECT count(*) FROM tally_schema_history WHERE success"));
      assertEquals(0, Migrations.apply(empty.dataSource()), "nothing left to apply");
      assertEquals(
          1,
          empty.queryLong(
              "SELECT count(*) FROM information_schema.tables"
                  + " WHERE table_name = 'telemetry_events_export_queue'"));
    }
  }

  @Test
  void applyIfBehind_appliesWhatIsPendingAndNothingOnceCurrent() {
    try (TestDatabase empty = db.createEmpty()) {
      Flyway.configure()
          .dataSource(empty.dataSource())
          .configuration(DatabaseSettings.flyway())
          .target("2")
          .load()
          .migrate();
      DatabaseConfig config =
          new DatabaseConfig(empty.url(), empty.user(), empty.password(), 1, true);
      long bundled = db.queryLong("SELECT max(version::int) FROM tally_schema_history");
      // Counted, not computed from the highest version: versions need not be consecutive.
      long afterV2 =
          db.queryLong("SELECT count(*) FROM tally_schema_history WHERE version::int > 2");

      assertEquals(afterV2, Migrations.applyIfBehind(empty.dataSource(), config));
      assertEquals(0, Migrations.applyIfBehind(empty.dataSource(), config), "current: nothing");
      assertEquals(bundled, empty.queryLong("SELECT max(version::int) FROM tally_schema_history"));
    }
  }

  @Test
  void applyIfBehind_onAnEmptyDatabaseAppliesEverything() {
    try (TestDatabase empty = db.createEmpty()) {
      DatabaseConfig config =
          new DatabaseConfig(empty.url(), empty.user(), empty.password(), 1, true);

      int applied = Migrations.applyIfBehind(empty.dataSource(), config);

      assertEquals(
          db.queryLong("SELECT count(*) FROM tally_schema_history WHERE success"), applied);
    }
  }

  @Test
  void latestBundledVersion_readsTheMigrationsOfAJarAsOfADirectory(@TempDir Path dir)
      throws Exception {
    Path jar = dir.resolve("migrations.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (String name :
          List.of("db/tally/", "db/tally/V1__first.sql", "db/tally/V12__twelfth.sql", "x.txt")) {
        out.putNextEntry(new JarEntry(name));
        out.closeEntry();
      }
    }

    try (URLClassLoader fromJar = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      assertEquals(12, Migrations.latestBundledVersion(fromJar));
    }
    assertEquals(
        db.queryLong("SELECT max(version::int) FROM tally_schema_history"),
        Migrations.latestBundledVersion(Migrations.class.getClassLoader()),
        "the directory of the build");
  }

  @Test
  void migrateOnStart_worksWithAPoolOfOneConnection() {
    try (TestDatabase empty = db.createEmpty()) {
      DatabaseConfig config =
          new DatabaseConfig(empty.url(), empty.user(), empty.password(), 1, true);
      try (var pool = DataSources.pooled(config, "one-connection")) {
        new FeatureFlags(pool).set(FeatureFlags.TELEMETRY_EXPORT, true);
        assertEquals(1, empty.queryLong("SELECT count(*) FROM feature_flags"));
      }
    }
  }

  /**
   * V10 moves the users' opt-outs out of feature_flag_overrides. An "off" written before it may be
   * a user's opt-out or an administrator's per-user off: it is kept as both, so that no one's
   * events start being exported because of the migration.
   */
  @Test
  void v10_keepsEveryEarlierOffAsTheUsersOptOutAndAsTheAdministratorsOff() {
    try (TestDatabase empty = db.createEmpty()) {
      Flyway.configure()
          .dataSource(empty.dataSource())
          // As Migrations does: V7's CREATE INDEX CONCURRENTLY waits for a lock's transaction.
          .configuration(DatabaseSettings.flyway())
          .target("8")
          .load()
          .migrate();
      empty.execute(
          "INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true),"
              + " ('other-flag', true);"
              + " INSERT INTO feature_flag_overrides (flag_name, user_id, enabled) VALUES"
              + " ('telemetry-export', 1, false), ('telemetry-export', 2, true),"
              + " ('other-flag', 3, false)");

      Migrations.apply(empty.dataSource());

      FeatureFlags flags = new FeatureFlags(empty.dataSource());
      FeatureFlags.Evaluation offBefore = flags.evaluateWithOverrides(Actor.user(1));
      assertTrue(offBefore.exportOptOut(), "kept local as the user's opt-out, as before");
      assertEquals(false, offBefore.values().get(FeatureFlags.TELEMETRY_EXPORT));
      assertFalse(flags.evaluateWithOverrides(Actor.user(2)).exportOptOut(), "an on is no opt-out");
      assertFalse(flags.evaluateWithOverrides(Actor.user(3)).exportOptOut(), "another flag's off");
      assertEquals(1, empty.queryLong("SELECT count(*) FROM export_opt_outs"));
      assertEquals(3, empty.queryLong("SELECT count(*) FROM feature_flag_overrides"), "untouched");

      // The user opts back in: the administrator's copy of the off still keeps export off.
      empty.execute("DELETE FROM export_opt_outs WHERE user_id = 1");
      FeatureFlags.Evaluation optedBackIn = flags.evaluateWithOverrides(Actor.user(1));
      assertFalse(optedBackIn.exportOptOut());
      assertEquals(false, optedBackIn.values().get(FeatureFlags.TELEMETRY_EXPORT));
    }
  }
}
