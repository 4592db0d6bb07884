package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ExportRunsTest {
  private final TestDatabase db;
  private final ExportRuns runs;

  ExportRunsTest(TestDatabase db) {
    this.db = db;
    this.runs = new ExportRuns(db.dataSource());
  }

  @BeforeEach
  void empty() {
    db.execute("TRUNCATE telemetry_export_runs");
  }

  private static ExportRuns.Run run(int i) {
    return new ExportRuns.Run(
        Instant.parse("2024-05-01T10:00:00Z").plusSeconds(i), 10 + i, i, 1, 0, 5L, null);
  }

  @Test
  void recent_listsTheNewestRunsFirstWithEveryField() {
    runs.record(run(1));
    runs.record(
        new ExportRuns.Run(
            Instant.parse("2024-05-01T11:00:00Z"), 250, 0, 3, 2, null, "gateway unavailable"));

    assertEquals(
        List.of(
            new ExportRuns.Run(
                Instant.parse("2024-05-01T11:00:00Z"), 250, 0, 3, 2, null, "gateway unavailable"),
            run(1)),
        runs.recent(10));
  }

  @Test
  void record_keepsOnlyTheNewestThousandRuns() {
    for (int i = 0; i < ExportRuns.KEPT + 5; i++) {
      runs.record(run(i));
    }

    assertEquals(ExportRuns.KEPT, db.queryLong("SELECT count(*) FROM telemetry_export_runs"));
    List<ExportRuns.Run> newest = runs.recent(2);
    assertEquals(List.of(run(ExportRuns.KEPT + 4), run(ExportRuns.KEPT + 3)), newest);
  }
}
