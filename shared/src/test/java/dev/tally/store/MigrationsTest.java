package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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
