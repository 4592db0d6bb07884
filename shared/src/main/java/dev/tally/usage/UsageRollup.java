package dev.tally.usage;

import dev.tally.event.TextBounds;
import dev.tally.log.JsonLog;
import dev.tally.store.Jdbc;
import dev.tally.store.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * Keeps the rollups of {@code event_logs} up to date, counting each row exactly once: events per
 * day, feature, action and client ({@code event_usage_daily}), and the last day each user recorded
 * each event ({@code event_usage_users}) and anything ({@code event_usage_last_seen}); and the
 * observed event catalog, in the same statement: the keys each V2 event name carried ({@code
 * event_catalog_keys}) and what the catalog did or would do to events and keys per day ({@code
 * event_catalog_outcomes}), read by {@code dev.tally.catalogstore.ObservedCatalog}.
 *
 * <p>Rows are counted in order of their {@code id}, and {@code rolled_up_to} says how far. An id is
 * handed out when a row is inserted, not when its transaction commits, so a row with a lower id can
 * become visible after one with a higher id. Before counting, a refresh therefore reads the highest
 * visible id and then waits for the transactions writing {@code event_logs} at that moment to end
 * (they hold a {@code ROW EXCLUSIVE} lock on it from before their first id until they end): a row
 * at or below that id which was not visible can only be theirs, since any later id is higher. It
 * takes no lock itself, so recording never waits for a refresh. The rows up to that watermark are
 * counted in transactions of at most {@value #CHUNK} ids, which recording does not wait for either.
 */
public final class UsageRollup {
  /** Most ids counted in one transaction. */
  static final long CHUNK = 500_000;

  private final long chunk;

  private final Duration writersWait;

  /**
   * How long a refresh waits for the transactions writing {@code event_logs} to end before it gives
   * up and leaves the rows for later.
   */
  static final Duration WRITERS_WAIT = Duration.ofSeconds(2);

  /**
   * The transactions other than this one holding the lock that writing {@code event_logs} takes.
   */
  private static final String WRITERS =
      """
      SELECT coalesce(array_agg(virtualtransaction), '{}')
      FROM pg_locks
      WHERE locktype = 'relation'
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND relation = 'event_logs'::regclass
        AND mode = 'RowExclusiveLock'
        AND granted
        AND pid <> pg_backend_pid()
      """;

  /** Of the given transactions, those still holding that lock. */
  private static final String STILL_WRITING = WRITERS + "  AND virtualtransaction = ANY (?)\n";

  /** The longest pause between two looks at the writers a refresh waits for. */
  private static final long MAX_PAUSE_MILLIS = 50;

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

  /**
   * The longest key the observed catalog keeps ({@code event_catalog_keys}, {@code
   * event_catalog_outcomes}), in characters: a billing {@code product:category} of two values of
   * {@link dev.tally.event.TextBounds#BILLING_BYTES} and the colon, which is longer than any
   * metadata key the door accepts ({@link dev.tally.event.EventLimits#KEY_BYTES_CEILING}). With the
   * feature and action cut to {@link #MAX_KEY_CHARS}, a key of the catalog's tables takes at most
   * about 2.1 KB. A longer key, written into {@code event_logs} directly, is cut as the usage
   * rollups cut their values.
   */
  static final int MAX_CATALOG_KEY_CHARS = 2 * TextBounds.BILLING_BYTES + 1;

  /**
   * Counts one chunk of rows into every rollup. The usage rollups count every row; the observed
   * catalog only V2 events (legacy rows have no feature, and their arguments are any JSON): each
   * numeric metadata key, private-metadata key and billing {@code product:category} per event name
   * ({@code event_catalog_keys}), and what the catalog did or would do to each event and key per
   * day ({@code event_catalog_outcomes}, from {@code event_logs.catalog_outcome}). A key counts
   * once per event, even when two keys of an event are cut to the same.
   */
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
                 ARRAY(SELECT DISTINCT CASE WHEN length(k) > %5$d THEN left(k, %6$d) || '%3$s'
                                            ELSE k END
                       FROM jsonb_object_keys(metadata) AS k) AS metadata_keys,
                 ARRAY(SELECT DISTINCT CASE WHEN length(k) > %5$d THEN left(k, %6$d) || '%3$s'
                                            ELSE k END
                       FROM jsonb_object_keys(private) AS k) AS private_keys,
                 CASE WHEN length(billing) > %5$d THEN left(billing, %6$d) || '%3$s'
                      ELSE billing END AS billing,
                 catalog_outcome,
                 greatest(length(feature), length(action), length(client),
                          length(client_version)) > %1$d
                     OR length(billing) > %5$d
                     OR EXISTS (SELECT FROM jsonb_object_keys(metadata) AS k
                                WHERE length(k) > %5$d)
                     OR EXISTS (SELECT FROM jsonb_object_keys(private) AS k
                                WHERE length(k) > %5$d)
                     OR EXISTS (SELECT FROM jsonb_object_keys(outcome_metadata) AS k
                                WHERE length(k) > %5$d)
                     OR EXISTS (SELECT FROM jsonb_object_keys(outcome_private) AS k
                                WHERE length(k) > %5$d) AS cut,
                 user_id IS NULL AND octet_length(anonymous_user_id) > %4$d AS unnamed
          FROM (
              SELECT (timestamp AT TIME ZONE 'UTC')::date AS day,
                     coalesce(feature, name) AS feature,
                     coalesce(action, '') AS action,
                     source AS client,
                     CASE WHEN client IS NOT NULL AND length(client) > length(source) + 1
                          THEN substr(client, length(source) + 2) ELSE '' END AS client_version,
                     user_id,
                     anonymous_user_id,
                     -- The observed catalog's: V2 events only.
                     CASE WHEN feature IS NOT NULL AND jsonb_typeof(public_argument) = 'object'
                          THEN public_argument END AS metadata,
                     CASE WHEN feature IS NOT NULL AND jsonb_typeof(argument) = 'object'
                          THEN argument END AS private,
                     CASE WHEN feature IS NOT NULL THEN billing_product_category END AS billing,
                     CASE WHEN feature IS NOT NULL AND jsonb_typeof(catalog_outcome) = 'object'
                          THEN catalog_outcome END AS catalog_outcome,
                     CASE WHEN feature IS NOT NULL
                               AND jsonb_typeof(catalog_outcome -> 'metadata') = 'object'
                          THEN catalog_outcome -> 'metadata' END AS outcome_metadata,
                     CASE WHEN feature IS NOT NULL
                               AND jsonb_typeof(catalog_outcome -> 'private') = 'object'
                          THEN catalog_outcome -> 'private' END AS outcome_private
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
          DO UPDATE SET last_day = excluded.last_day WHERE excluded.last_day > s.last_day),
      catalog_keys AS (
          INSERT INTO event_catalog_keys AS k (feature, action, kind, key, events, first_day,
                                               last_day)
          SELECT feature, action, kind, key, count(*), min(day), max(day)
          FROM (
              SELECT day, feature, action, 'metadata' AS kind, key
              FROM chunk, unnest(metadata_keys) AS key
              UNION ALL
              SELECT day, feature, action, 'private', key
              FROM chunk, unnest(private_keys) AS key
              UNION ALL
              SELECT day, feature, action, 'billing', billing
              FROM chunk WHERE billing IS NOT NULL) AS carried
          GROUP BY feature, action, kind, key
          ON CONFLICT (feature, action, kind, key)
          DO UPDATE SET events = k.events + excluded.events,
                        first_day = least(k.first_day, excluded.first_day),
                        last_day = greatest(k.last_day, excluded.last_day)),
      catalog_outcomes AS (
          INSERT INTO event_catalog_outcomes AS o (day, feature, action, kind, key, outcome, events)
          SELECT day, feature, action, kind, key, outcome, count(*)
          FROM (
              SELECT day, feature, action, 'event' AS kind, '' AS key,
                     catalog_outcome ->> 'event' AS outcome
              FROM chunk WHERE catalog_outcome ->> 'event' IN ('held', 'would_hold')
              UNION ALL
              SELECT day, feature, action, kind, key, outcome
              FROM chunk, LATERAL (
                  SELECT DISTINCT kind,
                         CASE WHEN length(key) > %5$d THEN left(key, %6$d) || '%3$s'
                              ELSE key END AS key,
                         value AS outcome
                  FROM (SELECT 'metadata' AS kind, key, value
                        FROM jsonb_each_text(CASE WHEN jsonb_typeof(catalog_outcome -> 'metadata')
                                                       = 'object'
                                                  THEN catalog_outcome -> 'metadata' END)
                        UNION ALL
                        SELECT 'private', key, value
                        FROM jsonb_each_text(CASE WHEN jsonb_typeof(catalog_outcome -> 'private')
                                                       = 'object'
                                                  THEN catalog_outcome -> 'private' END))
                       AS keys
                  WHERE value IN ('dropped', 'would_drop')) AS outcomes) AS counted
          GROUP BY day, feature, action, kind, key, outcome
          ON CONFLICT (day, feature, action, kind, key, outcome)
          DO UPDATE SET events = o.events + excluded.events)
      SELECT count(*), count(*) FILTER (WHERE cut), count(*) FILTER (WHERE unnamed) FROM chunk
      """
          .formatted(
              MAX_KEY_CHARS,
              MAX_KEY_CHARS - 1,
              CUT,
              MAX_ANONYMOUS_ID_BYTES,
              MAX_CATALOG_KEY_CHARS,
              MAX_CATALOG_KEY_CHARS - 1);

  private final DataSource dataSource;
  private final Clock clock;

  public UsageRollup(DataSource dataSource, Clock clock) {
    this(dataSource, clock, CHUNK, WRITERS_WAIT);
  }

  UsageRollup(DataSource dataSource, Clock clock, long chunk, Duration writersWait) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.chunk = chunk;
    this.writersWait = Objects.requireNonNull(writersWait, "writersWait");
  }

  /**
   * What a refresh did.
   *
   * @param counted rows of {@code event_logs} it added to the rollups
   * @param pending rows recorded before it ended that the rollups do not count yet: rows still to
   *     count when its time ran out, or all new rows when a transaction writing {@code event_logs}
   *     outlasted the wait for them ({@link #WRITERS_WAIT}); -1 when {@link #refreshUntil} left
   *     some without counting them
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
    OptionalLong settled = watermark(writersWait);
    if (settled.isEmpty()) {
      // A transaction writing the table outlasted the wait: count next time, and say how much is
      // left out.
      return new Refresh(0, rowsAbove(rolledUpTo));
    }
    long watermark = settled.getAsLong();
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
   * Counts the rows recorded since the last refresh until {@code deadline}, read on this rollup's
   * clock: no step starts at or after it (a chunk under way is finished), so what is left is
   * counted by a later refresh. For a caller that shares one deadline between several steps.
   *
   * @return what it did; {@link Refresh#pending()} is -1 when the deadline left rows uncounted
   *     (they are not counted either, to spend no time after the deadline)
   * @throws StoreException when the database fails
   */
  public Refresh refreshUntil(Instant deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (!clock.instant().isBefore(deadline)) {
      return new Refresh(0, -1);
    }
    long rolledUpTo = rolledUpTo();
    if (maxVisibleId() <= rolledUpTo) {
      return new Refresh(0, 0);
    }
    OptionalLong settled = watermark(Duration.between(clock.instant(), deadline));
    if (settled.isEmpty()) {
      return new Refresh(0, -1);
    }
    long watermark = settled.getAsLong();
    long counted = 0;
    while (clock.instant().isBefore(deadline)) {
      Chunk step = countChunk(watermark);
      counted += step.rows();
      if (step.to() >= watermark) {
        return new Refresh(counted, 0);
      }
    }
    return new Refresh(counted, -1);
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

  /**
   * The highest id at or below which no row can still appear: the highest visible id, once the
   * transactions writing {@code event_logs} when it was read have ended. Empty when one of them is
   * still open after {@code wait} or this rollup's wait for writers, whichever is shorter.
   */
  private OptionalLong watermark(Duration wait) {
    long giveUp = System.nanoTime() + Math.min(wait.toNanos(), writersWait.toNanos());
    return Jdbc.withConnection(
        dataSource,
        "wait for the events being recorded to find the rows to count",
        connection -> {
          // In this order: a writer that took its id before the highest visible one still holds
          // its lock when the writers are read, unless it has ended.
          long highest = queryLong(connection, "SELECT coalesce(max(id), 0) FROM event_logs");
          List<String> writers = writers(connection, WRITERS);
          long pause = 1;
          while (!writers.isEmpty()) {
            if (System.nanoTime() - giveUp >= 0 || !pause(pause)) {
              return OptionalLong.empty();
            }
            pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
            writers = writers(connection, STILL_WRITING, Jdbc.textArray(writers));
          }
          return OptionalLong.of(highest);
        });
  }

  private static List<String> writers(Connection connection, String sql, Object... params)
      throws SQLException {
    String[] writers =
        Jdbc.queryOne(connection, sql, row -> (String[]) row.getArray(1).getArray(), params)
            .orElseThrow();
    return List.of(writers);
  }

  /** Sleeps for {@code millis}; false when interrupted (the interrupt is kept). */
  private static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
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
