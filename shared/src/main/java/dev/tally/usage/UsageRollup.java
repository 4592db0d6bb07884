package dev.tally.usage;

import dev.tally.log.JsonLog;
import dev.tally.store.Jdbc;
import dev.tally.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Keeps the rollups of {@code event_logs} up to date, counting each row exactly once: events per
 * day, feature, action and client ({@code event_usage_daily}), and the last day each user recorded
 * each event ({@code event_usage_users}) and anything ({@code event_usage_last_seen}).
 *
 * <p>Rows are counted in order of their {@code id}, and {@code rolled_up_to} says how far. An id is
 * handed out when a row is inserted, not when its transaction commits, so a row with a lower id can
 * become visible after one with a higher id. Before counting, a refresh therefore takes a brief
 * {@code EXCLUSIVE} lock on {@code event_logs}, which waits for the transactions writing it to end
 * and holds new ones back for that moment; the highest id visible then is a watermark below which
 * no row can still appear. The lock is released at once, and the rows up to the watermark are
 * counted in transactions of at most {@value #CHUNK} ids, which recording does not wait for.
 */
public final class UsageRollup {
  /** Most ids counted in one transaction. */
  static final long CHUNK = 500_000;

  private final long chunk;

  /** How long a refresh waits for the lock before it gives up and leaves the rows for later. */
  static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);

  /**
   * The longest feature, action, client or version the rollups keep, in characters: a rollup key
   * holds four of them, and a btree entry at most about 2.7 KB. Every value the door accepts is
   * shorter ({@link dev.tally.event.TextBounds}); a longer one, recorded before those bounds or
   * written into {@code event_logs} directly, is cut to this length with a final {@value #CUT} and
   * counted under that name.
   */
  static final int MAX_KEY_CHARS = 128;

  /** What ends a value the rollups cut. */
  static final String CUT = "\u2026";

  /**
   * The longest anonymous user ID the rollups name a user by, in bytes ({@link
   * dev.tally.event.TextBounds#ANONYMOUS_USER_ID_BYTES}). The events of a longer one are counted
   * per day, but for no user, as events of unknown users are.
   */
  static final int MAX_ANONYMOUS_ID_BYTES = 256;

  private static final String ROLL_UP =
      """
      WITH chunk AS MATERIALIZED (
          SELECT day,
                 CASE WHEN length(feature) > %1$d THEN left(feature, %2$d) || '%3$s'
                      ELSE feature END AS feature,
                 CASE WHEN length(action) > %1$d THEN left(action, %2$d) || '%3$s'
                      ELSE action END AS action,
                 CASE WHEN length(client) > %1$d THEN left(client, %2$d) || '%3$s'
                      ELSE client END AS client,
                 CASE WHEN length(client_version) > %1$d THEN left(client_version, %2$d) || '%3$s'
                      ELSE client_version END AS client_version,
                 CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id
                      WHEN anonymous_user_id <> 'unknown'
                           AND octet_length(anonymous_user_id) <= %4$d
                      THEN 'a:' || anonymous_user_id
                 END AS user_key,
                 greatest(length(feature), length(action), length(client),
                          length(client_version)) > %1$d AS cut,
                 user_id IS NULL AND octet_length(anonymous_user_id) > %4$d AS unnamed
          FROM (
              SELECT (timestamp AT TIME ZONE 'UTC')::date AS day,
                     coalesce(feature, name) AS feature,
                     coalesce(action, '') AS action,
                     source AS client,
                     CASE WHEN client IS NOT NULL AND length(client) > length(source) + 1
                          THEN substr(client, length(source) + 2) ELSE '' END AS client_version,
                     user_id,
                     anonymous_user_id
              FROM event_logs
              WHERE id > ? AND id <= ?) AS recorded),
      counts AS (
          INSERT INTO event_usage_daily AS d (day, feature, action, client, client_version, events)
          SELECT day, feature, action, client, client_version, count(*)
          FROM chunk GROUP BY day, feature, action, client, client_version
          ON CONFLICT (day, feature, action, client, client_version)
          DO UPDATE SET events = d.events + excluded.events),
      users AS (
          INSERT INTO event_usage_users AS u (feature, action, user_key, last_day)
          SELECT feature, action, user_key, max(day) FROM chunk WHERE user_key IS NOT NULL
          GROUP BY feature, action, user_key
          ON CONFLICT (feature, action, user_key)
          DO UPDATE SET last_day = excluded.last_day WHERE excluded.last_day > u.last_day),
      seen AS (
          INSERT INTO event_usage_last_seen AS s (user_key, last_day)
          SELECT user_key, max(day) FROM chunk WHERE user_key IS NOT NULL GROUP BY user_key
          ON CONFLICT (user_key)
          DO UPDATE SET last_day = excluded.last_day WHERE excluded.last_day > s.last_day)
      SELECT count(*), count(*) FILTER (WHERE cut), count(*) FILTER (WHERE unnamed) FROM chunk
      """
          .formatted(MAX_KEY_CHARS, MAX_KEY_CHARS - 1, CUT, MAX_ANONYMOUS_ID_BYTES);

  private final DataSource dataSource;
  private final Clock clock;

  public UsageRollup(DataSource dataSource, Clock clock) {
    this(dataSource, clock, CHUNK);
  }

  UsageRollup(DataSource dataSource, Clock clock, long chunk) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.chunk = chunk;
  }

  /**
   * What a refresh did.
   *
   * @param counted rows of {@code event_logs} it added to the rollups
   * @param pending rows recorded before it ended that the rollups do not count yet: rows still to
   *     count when its time ran out, or all new rows when it could not take the lock
   */
  public record Refresh(long counted, long pending) {}

  /**
   * Counts the rows recorded since the last refresh, for at most about {@code budget} (a chunk
   * under way is finished).
   *
   * @throws StoreException when the database fails
   */
  public Refresh refresh(Duration budget) {
    long deadline = System.nanoTime() + budget.toNanos();
    long rolledUpTo = rolledUpTo();
    if (maxVisibleId() <= rolledUpTo) {
      // Every row at or below rolled_up_to was settled when it was counted: nothing new is visible.
      return new Refresh(0, 0);
    }
    long watermark;
    try {
      watermark = watermark();
    } catch (StoreException e) {
      if ("55P03".equals(e.sqlState())) {
        // Recording kept the table busy: count next time, and say how much is left out.
        return new Refresh(0, rowsAbove(rolledUpTo));
      }
      throw e;
    }
    long counted = 0;
    while (true) {
      Chunk step = countChunk(watermark);
      counted += step.rows();
      if (step.to() >= watermark) {
        return new Refresh(counted, 0);
      }
      if (System.nanoTime() >= deadline) {
        return new Refresh(counted, rowsAbove(step.to()));
      }
    }
  }

  /**
   * One chunk counted: how far the rollups count now, the rows it added, and of those the rows with
   * a value cut and the rows whose anonymous user ID was too long to name them by.
   */
  private record Chunk(long to, long rows, long cut, long unnamed) {}

  private long rolledUpTo() {
    return Jdbc.withConnection(
        dataSource,
        "read how far usage is counted",
        connection -> queryLong(connection, "SELECT rolled_up_to FROM event_usage_rollup_state"));
  }

  private long maxVisibleId() {
    return Jdbc.withConnection(
        dataSource,
        "read the newest recorded event",
        connection -> queryLong(connection, "SELECT coalesce(max(id), 0) FROM event_logs"));
  }

  /** The highest id below which no row can still appear: read under the brief exclusive lock. */
  private long watermark() {
    return Jdbc.inTransaction(
        dataSource,
        "lock event_logs for a moment to find the rows to count",
        connection -> {
          try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT.toMillis() + "ms'");
            statement.execute("LOCK TABLE event_logs IN EXCLUSIVE MODE");
          }
          return queryLong(connection, "SELECT coalesce(max(id), 0) FROM event_logs");
        });
  }

  /**
   * Counts the next chunk of rows up to {@code watermark}, one refresh at a time. Rows with values
   * too long for the rollups are counted all the same (see {@link #MAX_KEY_CHARS}) and logged as a
   * count, never with their values.
   */
  private Chunk countChunk(long watermark) {
    Chunk chunk =
        Jdbc.inTransaction(
            dataSource,
            "count recorded events into the usage rollups",
            connection -> {
              long from =
                  queryLong(
                      connection, "SELECT rolled_up_to FROM event_usage_rollup_state FOR UPDATE");
              if (from >= watermark) {
                // Another refresh counted them meanwhile.
                return new Chunk(from, 0, 0, 0);
              }
              long to = Math.min(watermark, from + this.chunk);
              // The inserts run in full whether or not the final count reads them.
              Chunk counted =
                  Jdbc.queryOne(
                          connection,
                          ROLL_UP,
                          row -> new Chunk(to, row.getLong(1), row.getLong(2), row.getLong(3)),
                          from,
                          to)
                      .orElseThrow();
              Jdbc.update(
                  connection,
                  "UPDATE event_usage_rollup_state SET rolled_up_to = ?, refreshed_at = ?",
                  to,
                  clock.instant());
              return counted;
            });
    if (chunk.cut() > 0 || chunk.unnamed() > 0) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("toId", chunk.to());
      fields.put("cut", chunk.cut());
      fields.put("unnamed", chunk.unnamed());
      JsonLog.warning(
          "usage rollup: events with values longer than the rollups keep were counted with"
              + " those values cut, or for no user",
          fields);
    }
    return chunk;
  }

  private long rowsAbove(long id) {
    return Jdbc.queryOne(
            dataSource,
            "count events not yet in the usage rollups",
            "SELECT count(*) FROM event_logs WHERE id > ?",
            row -> row.getLong(1),
            id)
        .orElseThrow();
  }

  private static long queryLong(Connection connection, String sql) throws SQLException {
    return Jdbc.queryOne(connection, sql, row -> row.getLong(1)).orElseThrow();
  }
}
