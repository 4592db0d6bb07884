package dev.tally.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
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
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO telemetry_export_runs"
                      + " (started_at, duration_ms, exported, failed, set_aside, backlog, error)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            int i = 0;
            insert.setTimestamp(++i, Jdbc.timestamp(run.startedAt()));
            insert.setLong(++i, run.durationMs());
            insert.setInt(++i, run.exported());
            insert.setInt(++i, run.failed());
            insert.setInt(++i, run.setAside());
            if (run.backlog() == null) {
              insert.setNull(++i, Types.BIGINT);
            } else {
              insert.setLong(++i, run.backlog());
            }
            insert.setString(++i, run.error());
            insert.executeUpdate();
          }
          try (PreparedStatement prune =
              connection.prepareStatement(
                  "DELETE FROM telemetry_export_runs"
                      + " WHERE id <= (SELECT max(id) FROM telemetry_export_runs) - ?")) {
            prune.setInt(1, KEPT);
            prune.executeUpdate();
          }
          return null;
        });
  }

  /** The newest {@code first} runs, newest first. */
  public List<Run> recent(int first) {
    return Jdbc.withConnection(
        dataSource,
        "list export runs",
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT started_at, duration_ms, exported, failed, set_aside, backlog, error"
                      + " FROM telemetry_export_runs ORDER BY id DESC LIMIT ?")) {
            query.setInt(1, first);
            List<Run> runs = new ArrayList<>();
            try (ResultSet rs = query.executeQuery()) {
              while (rs.next()) {
                long backlog = rs.getLong(6);
                Long measured = rs.wasNull() ? null : backlog;
                runs.add(
                    new Run(
                        Jdbc.instant(rs.getTimestamp(1)),
                        rs.getLong(2),
                        rs.getInt(3),
                        rs.getInt(4),
                        rs.getInt(5),
                        measured,
                        rs.getString(7)));
              }
            }
            return runs;
          }
        });
  }
}
