package dev.tally.privacy;

import dev.tally.log.JsonLog;
import dev.tally.store.Jdbc;
import dev.tally.store.StoreException;
import dev.tally.usage.UsageRollup;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Deletes {@code event_logs} rows older than a retention, run by the export function's cleanup
 * pass.
 *
 * <p>A row's age is its arrival on the instance, never the timestamp a client claimed: its {@code
 * event_id} is a UUIDv7 the server made from its own clock when the event arrived, so the rows that
 * arrived before a time are those whose ID is below the first UUIDv7 of that millisecond, a range
 * of the {@code event_id} index. They are deleted in chunks of at most {@value #CHUNK} rows, one
 * transaction each, until the pass's deadline; what is left is deleted by the next pass. Each chunk
 * starts at the last event ID the chunk before it deleted: starting at the index's first entry, a
 * chunk stepped over every entry the chunks before it had deleted (dead until a vacuum), a scan
 * that grew with each chunk of a pass over millions of rows.
 *
 * <p>The usage rollups' rows that name a user ({@code event_usage_users}, {@code
 * event_usage_last_seen}) go too once the user's last day lies before the retention; the daily
 * event counts, which name nobody, stay. So that they stay whole, the rollups are brought up to
 * date first and only rows they counted are deleted: a row the rollups have not counted yet waits
 * for a later pass.
 *
 * <p>The events the event catalog holds back ({@code held_events}) go by the same rule, their
 * arrival: a held event leaves with its {@code event_logs} row's retention, released or not. They
 * name nobody in the rollups, so they need not wait for them.
 */
public final class EventLogsRetention {
  /** Most rows deleted in one transaction. */
  public static final int CHUNK = 10_000;

  /**
   * One chunk of event_logs from {@code event_id} {@code >= ?} up to {@code < ?}, oldest first; how
   * many rows went and the last event ID among them.
   */
  static final String DELETE_CHUNK =
      """
      WITH gone AS (
          DELETE FROM event_logs
          WHERE id IN (SELECT id FROM event_logs
                       WHERE event_id >= ? AND event_id < ?
                         AND id <= (SELECT rolled_up_to FROM event_usage_rollup_state)
                       ORDER BY event_id LIMIT ?)
          RETURNING event_id)
      SELECT count(*), (SELECT event_id FROM gone ORDER BY event_id DESC LIMIT 1) FROM gone
      """;

  /** The same for held_events. */
  static final String DELETE_HELD_CHUNK =
      """
      WITH gone AS (
          DELETE FROM held_events
          WHERE event_id IN (SELECT event_id FROM held_events
                             WHERE event_id >= ? AND event_id < ?
                             ORDER BY event_id LIMIT ?)
          RETURNING event_id)
      SELECT count(*), (SELECT event_id FROM gone ORDER BY event_id DESC LIMIT 1) FROM gone
      """;

  /** Below every event ID: where a pass starts. */
  private static final UUID FIRST = new UUID(0, 0);

  private final DataSource dataSource;
  private final Clock clock;
  private final UsageRollup rollup;
  private final int chunk;

  /** Reads its deadlines on {@code clock}. */
  public EventLogsRetention(DataSource dataSource, Clock clock) {
    this(dataSource, clock, CHUNK);
  }

  EventLogsRetention(DataSource dataSource, Clock clock, int chunk) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rollup = new UsageRollup(dataSource, clock);
    this.chunk = chunk;
  }

  /**
   * What one pass did.
   *
   * @param deleted {@code event_logs} rows deleted
   * @param finished whether nothing past the retention was left; {@code false} when the deadline
   *     came first: the next pass goes on from there
   */
  public record Pass(long deleted, boolean finished) {}

  /**
   * Deletes the rows that arrived before {@code cutoff}, chunk after chunk, until none is left or
   * {@code deadline} (read on the retention's clock) has come: no step starts at or after it, and a
   * chunk under way is finished. The usage rollups count what was recorded since they were last
   * brought up to date first, by the same deadline. The held events that arrived before {@code
   * cutoff} go first, the same way. Every step is resumable: a pass cut short leaves nothing half
   * done, and the next one takes up what is left.
   *
   * @throws dev.tally.store.StoreException when the database fails; chunks deleted before stay
   *     deleted
   */
  public Pass prune(Instant cutoff, Instant deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (timeUp(deadline)) {
      return new Pass(0, false);
    }
    try {
      rollup.refreshUntil(deadline);
    } catch (StoreException e) {
      // The rows counted before stay deletable: retention goes on with them.
      JsonLog.error(
          "retention: could not bring the usage rollups up to date; deleting the rows they count",
          e,
          Map.of("sqlState", String.valueOf(e.sqlState())));
    }
    UUID below = firstIdOf(cutoff);
    UUID from = FIRST;
    while (true) {
      if (timeUp(deadline)) {
        return new Pass(0, false);
      }
      Chunk held =
          deleteChunk(
              "delete a chunk of held_events past the retention", DELETE_HELD_CHUNK, from, below);
      if (held.deleted() < chunk) {
        break;
      }
      from = held.last();
    }
    long deleted = 0;
    from = FIRST;
    while (true) {
      if (timeUp(deadline)) {
        return new Pass(deleted, false);
      }
      Chunk rows =
          deleteChunk("delete a chunk of event_logs past the retention", DELETE_CHUNK, from, below);
      deleted += rows.deleted();
      if (rows.deleted() < chunk) {
        break;
      }
      from = rows.last();
    }
    if (timeUp(deadline)) {
      return new Pass(deleted, false);
    }
    LocalDate day = cutoff.atOffset(ZoneOffset.UTC).toLocalDate();
    Jdbc.withConnection(
        dataSource,
        "delete usage rollup rows past the retention",
        connection -> {
          for (String table : new String[] {"event_usage_users", "event_usage_last_seen"}) {
            Jdbc.update(connection, "DELETE FROM " + table + " WHERE last_day < ?", day);
          }
          return null;
        });
    return new Pass(deleted, true);
  }

  /** What a chunk deleted: how many rows, and the last event ID among them. */
  private record Chunk(int deleted, UUID last) {}

  private Chunk deleteChunk(String what, String sql, UUID from, UUID below) {
    return Jdbc.queryOne(
            dataSource,
            what,
            sql,
            row -> new Chunk(row.getInt(1), row.getObject(2, UUID.class)),
            from,
            below,
            chunk)
        .orElseThrow();
  }

  private boolean timeUp(Instant deadline) {
    return !clock.instant().isBefore(deadline);
  }

  /**
   * The smallest UUIDv7 of the millisecond of {@code time}: every event ID made before it is
   * smaller in PostgreSQL's order of {@code uuid} values (byte by byte), every later one larger.
   */
  static UUID firstIdOf(Instant time) {
    return new UUID((time.toEpochMilli() << 16) | 0x7000L, 0x8000_0000_0000_0000L);
  }
}
