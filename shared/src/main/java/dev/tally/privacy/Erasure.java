package dev.tally.privacy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tally.event.Actor;
import dev.tally.log.JsonLog;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import dev.tally.store.Jdbc;
import dev.tally.store.StoreException;
import dev.tally.store.TeeStore;
import dev.tally.usage.UsageRollup;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Deletes everything the instance holds about one person, named by their user ID or their anonymous
 * visitor ID: their rows of {@code event_logs}, the events of theirs the event catalog holds back
 * ({@code held_events}), their events in the export queue (waiting, set aside, and exported ones
 * still kept), and the usage rollups' rows that name them.
 *
 * <p>In bounded chunks: at most {@value #CHUNK} rows per transaction, so that erasing a person with
 * millions of events never holds long locks or a huge transaction, and recording goes on meanwhile.
 * Held and queued rows are found by their {@code user_key}; queue rows from before it existed
 * (schema V6) are decoded, a chunk at a time, to find the person's. Held events go before the
 * queue's rows, so that one released meanwhile is found in the queue.
 *
 * <p>Kept: the daily event counts of the rollups, which say how many events of a kind were recorded
 * on a day and not by whom (the rollups are brought up to date first, for at most 10 s, so that
 * they count the person's events before these go; an erasure never waits on that succeeding); and
 * the person's own {@code telemetry-export} choice, so that an opt-out survives erasure. Not
 * reachable from here: copies the gateway already published.
 *
 * <p>Each erasure logs one line, {@code "personal data erased"}, with who asked for it, when, and
 * the counts: never the person's ID, nor anything of the events.
 */
public final class Erasure {
  /** Most rows deleted (or, for the queue's oldest rows, read) in one transaction. */
  public static final int CHUNK = 10_000;

  /**
   * Longest time spent bringing the usage rollups up to date before deleting; events still not
   * counted then are left out of the daily counts.
   */
  private static final Duration ROLLUP_BUDGET = Duration.ofSeconds(10);

  private final DataSource dataSource;
  private final Clock clock;
  private final int chunk;

  public Erasure(DataSource dataSource, Clock clock) {
    this(dataSource, clock, CHUNK);
  }

  Erasure(DataSource dataSource, Clock clock, int chunk) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.chunk = chunk;
  }

  /**
   * What one erasure deleted.
   *
   * @param eventLogs rows of {@code event_logs}
   * @param unexported queued events that had not left the instance (waiting or set aside)
   * @param exported queued events that had already been exported, kept for the retention of
   *     exported events: copies of them are at the gateway
   * @param usageRows rows of the usage rollups that named the person (per event and last seen)
   * @param held events the event catalog held back on the instance ({@code held_events})
   */
  public record Result(long eventLogs, long unexported, long exported, long usageRows, long held) {}

  /**
   * Erases one person's data.
   *
   * @param person {@link Actor#user} or {@link Actor#anonymous}
   * @param erasedBy who asked, for the log line: {@code user:<id>} of an administrator, or {@code
   *     TallyAdmin}
   * @throws IllegalArgumentException when {@code person} names nobody, both kinds of ID, or the
   *     anonymous ID {@code unknown}, which stands for events of no known person
   * @throws dev.tally.store.StoreException when the database fails; what was deleted until then
   *     stays deleted, and erasing again finishes the work
   */
  public Result erase(Actor person, String erasedBy) {
    if (person.isUnknown() || (person.userId() != null && person.anonymousUserId() != null)) {
      throw new IllegalArgumentException("name exactly one person: a user ID or an anonymous ID");
    }
    if (TeeStore.UNKNOWN_USER.equals(person.anonymousUserId())) {
      throw new IllegalArgumentException(
          "the anonymous ID '"
              + TeeStore.UNKNOWN_USER
              + "' stands for events of no known person and cannot be erased as one");
    }
    Instant started = clock.instant();
    long start = System.nanoTime();
    String key = TeeStore.userKey(person.userId(), person.anonymousUserId());

    // The daily counts name nobody and stay: the person's events are counted into them first.
    // Erasure never depends on that: when counting fails, the person's uncounted events are left
    // out of the daily counts, and the erasure goes on.
    boolean counted = countFirst();
    long eventLogs = deleteEventLogs(person);
    long held = deleteHeld(key);
    long[] queued = deleteQueuedByKey(key);
    long[] older = deleteQueuedBeforeKeys(person);
    long usageRows = deleteUsageRows(key);
    Result result =
        new Result(eventLogs, queued[0] + older[0], queued[1] + older[1], usageRows, held);

    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("erasedBy", erasedBy);
    fields.put("erasedAt", started.toString());
    fields.put("subject", person.userId() != null ? "user" : "anonymous");
    fields.put("eventLogs", result.eventLogs());
    fields.put("unexported", result.unexported());
    fields.put("exported", result.exported());
    fields.put("usageRows", result.usageRows());
    fields.put("held", result.held());
    fields.put("countedFirst", counted);
    fields.put("durationMs", (System.nanoTime() - start) / 1_000_000);
    JsonLog.info("personal data erased", fields);
    return result;
  }

  /** Brings the usage rollups up to date; whether that succeeded (a failure is logged). */
  private boolean countFirst() {
    try {
      return new UsageRollup(dataSource, clock).refresh(ROLLUP_BUDGET).pending() == 0;
    } catch (StoreException e) {
      JsonLog.error(
          "erasure: could not bring the usage rollups up to date first; erasing all the same",
          e,
          Map.of("sqlState", String.valueOf(e.sqlState())));
      return false;
    }
  }

  private long deleteEventLogs(Actor person) {
    String where = person.userId() != null ? "user_id = ?" : "anonymous_user_id = ?";
    String sql =
        "DELETE FROM event_logs WHERE id IN (SELECT id FROM event_logs WHERE "
            + where
            + " LIMIT ?)";
    long deleted = 0;
    while (true) {
      int rows =
          Jdbc.update(
              dataSource,
              "erase a chunk of event_logs",
              sql,
              person.userId() != null ? person.userId() : person.anonymousUserId(),
              chunk);
      deleted += rows;
      if (rows < chunk) {
        return deleted;
      }
    }
  }

  /** Held events with the person's user_key. */
  private long deleteHeld(String key) {
    long deleted = 0;
    while (true) {
      int rows =
          Jdbc.update(
              dataSource,
              "erase a chunk of held_events",
              "DELETE FROM held_events WHERE event_id IN"
                  + " (SELECT event_id FROM held_events WHERE user_key = ? LIMIT ?)",
              key,
              chunk);
      deleted += rows;
      if (rows < chunk) {
        return deleted;
      }
    }
  }

  /** Queued rows with the person's user_key; {unexported, exported}. */
  private long[] deleteQueuedByKey(String key) {
    long[] deleted = new long[2];
    while (true) {
      long[] step =
          countExported(
              Jdbc.query(
                  dataSource,
                  "erase a chunk of the export queue",
                  "DELETE FROM telemetry_events_export_queue WHERE id IN"
                      + " (SELECT id FROM telemetry_events_export_queue"
                      + " WHERE user_key = ? LIMIT ?)"
                      + " RETURNING exported_at IS NOT NULL",
                  EXPORTED,
                  key,
                  chunk));
      deleted[0] += step[0];
      deleted[1] += step[1];
      if (step[0] + step[1] < chunk) {
        return deleted;
      }
    }
  }

  /**
   * Queued rows from before user_key existed: read a chunk at a time in ID order, decoded, and the
   * person's deleted; {unexported, exported}. A payload that cannot be decoded names nobody.
   */
  private long[] deleteQueuedBeforeKeys(Actor person) {
    long[] deleted = new long[2];
    UUID after = new UUID(0, 0);
    while (true) {
      UUID from = after;
      // Each row's payload is decoded as it is read; only whose it is stays.
      List<Scanned> scanned =
          Jdbc.query(
              dataSource,
              "read a chunk of the export queue's oldest rows",
              "SELECT id, payload_pb FROM telemetry_events_export_queue"
                  + " WHERE user_key IS NULL AND id > ? ORDER BY id LIMIT ?",
              row -> new Scanned(row.getObject(1, UUID.class), isTheirs(row.getBytes(2), person)),
              from,
              chunk);
      List<UUID> theirs = scanned.stream().filter(Scanned::theirs).map(Scanned::id).toList();
      UUID last = scanned.isEmpty() ? null : scanned.get(scanned.size() - 1).id();
      if (!theirs.isEmpty()) {
        long[] step =
            countExported(
                Jdbc.query(
                    dataSource,
                    "erase queued events from before user keys",
                    "DELETE FROM telemetry_events_export_queue WHERE id = ANY (?)"
                        + " RETURNING exported_at IS NOT NULL",
                    EXPORTED,
                    Jdbc.uuidArray(theirs)));
        deleted[0] += step[0];
        deleted[1] += step[1];
      }
      if (last == null) {
        return deleted;
      }
      after = last;
    }
  }

  private static boolean isTheirs(byte[] payload, Actor person) {
    EventUser user;
    try {
      user = Event.parseFrom(payload).getUser();
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
    if (person.userId() != null) {
      return user.hasUserId() && user.getUserId() == person.userId();
    }
    return user.hasAnonymousUserId() && user.getAnonymousUserId().equals(person.anonymousUserId());
  }

  /**
   * The rollups' rows that name the person. Under the rollup's own lock: a refresh that counted the
   * person's rows before they were deleted finishes first, so it cannot bring their keys back.
   */
  private long deleteUsageRows(String key) {
    return Jdbc.inTransaction(
        dataSource,
        "erase usage rollup rows",
        connection -> {
          try (Statement lock = connection.createStatement()) {
            lock.execute("SELECT 1 FROM event_usage_rollup_state FOR UPDATE");
          }
          long rows = 0;
          for (String table : List.of("event_usage_users", "event_usage_last_seen")) {
            rows += Jdbc.update(connection, "DELETE FROM " + table + " WHERE user_key = ?", key);
          }
          return rows;
        });
  }

  /** A queued row from before user keys, and whether it is the person's. */
  private record Scanned(UUID id, boolean theirs) {}

  /** Whether a row a {@code DELETE ... RETURNING exported_at IS NOT NULL} deleted was exported. */
  private static final Jdbc.RowMapper<Boolean> EXPORTED = row -> row.getBoolean(1);

  /** {unexported, exported} of the rows deleted. */
  private static long[] countExported(List<Boolean> exported) {
    long[] counts = new long[2];
    for (boolean wasExported : exported) {
      counts[wasExported ? 1 : 0]++;
    }
    return counts;
  }
}
