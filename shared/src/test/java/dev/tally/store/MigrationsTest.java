package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
          .locations(Migrations.LOCATION)
          .table(Migrations.HISTORY_TABLE)
          .target("2")
          .load()
          .migrate();
      DatabaseConfig config =
          new DatabaseConfig(empty.url(), empty.user(), empty.password(), 1, true);
      long bundled = db.queryLong("SELECT max(version::int) FROM tally_schema_history");

      assertEquals(bundled - 2, Migrations.applyIfBehind(empty.dataSource(), config));
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
}
