package dev.tally.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The history of export runs ({@code telemetry_export_runs}): each run adds one row as it ends, and
 * only the newest {@value #KEPT} are kept.
 */
public final class ExportRuns {
  /** Runs kept: three and a half days of runs every five minutes. */
  public static final int KEPT = 1000;

  private final DataSource dataSource;

  public ExportRuns(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /**
   * One export run.
   *
   * @param exported events the gateway acknowledged
   * @param failed events sent and not acknowledged, to be retried
   * @param setAside events the run set aside
   * @param backlog events waiting after the run, or {@code null} when it could not be measured
   * @param error the run's first error, or {@code null}
   */
  public record Run(
      Instant startedAt,
      long durationMs,
      int exported,
      int failed,
      int setAside,
      Long backlog,
      String error) {}

  /** Adds a run and drops the oldest beyond {@link #KEPT}, in one transaction. */
  public void record(Run run) {
    Jdbc.inTransaction(
        dataSource,
        "record an export run",
        connection -> {
          Jdbc.update(
              connection,
              "INSERT INTO telemetry_export_runs"
                  + " (started_at, duration_ms, exported, failed, set_aside, backlog, error)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)",
              run.startedAt(),
              run.durationMs(),
              run.exported(),
              run.failed(),
              run.setAside(),
              run.backlog(),
              run.error());
          return Jdbc.update(
              connection,
              "DELETE FROM telemetry_export_runs"
                  + " WHERE id <= (SELECT max(id) FROM telemetry_export_runs) - ?",
              KEPT);
        });
  }

  /** The newest {@code first} runs, newest first. */
  public List<Run> recent(int first) {
    return Jdbc.query(
        dataSource,
        "list export runs",
        "SELECT started_at, duration_ms, exported, failed, set_aside, backlog, error"
            + " FROM telemetry_export_runs ORDER BY id DESC LIMIT ?",
        RUN,
        first);
  }

  private static final Jdbc.RowMapper<Run> RUN =
      row ->
          new Run(
              Jdbc.instant(row.getTimestamp(1)),
              row.getLong(2),
              row.getInt(3),
              row.getInt(4),
              row.getInt(5),
              row.getObject(6, Long.class),
              row.getString(7));
}
