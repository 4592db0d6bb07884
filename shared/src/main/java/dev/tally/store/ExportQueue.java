package dev.tally.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tally.log.JsonLog;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.FieldPaths;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * The queue of redacted events waiting for export.
 *
 * <p>Events leave in arrival order: an event's ID is a UUIDv7 the server generated when the event
 * arrived, so the queue is ordered by ID, never by the timestamp a client claimed.
 *
 * <p>Exporters {@linkplain #claim claim} the oldest available events under a lease: a claimed event
 * is invisible to other exporters until the lease ends, so two exporters running at once never send
 * the same event, and the events of an exporter that crashed come back when its lease runs out. An
 * event is {@linkplain #markExported(UUID, Collection) marked exported} only with the events the
 * gateway acknowledged (and counted in the egress ledger in the same transaction); the rest are
 * {@linkplain #release released} to be retried later. A lease carries its owner, a token of the
 * export run: marking and releasing touch only rows that run still holds, so a run whose lease ran
 * out cannot undo the claim of the run that took the rows over.
 *
 * <p>An event the gateway refuses when sent alone is {@linkplain #recordFailure counted}; after a
 * configured number of failures it is set aside with the reason, as is a row whose payload cannot
 * be read (claiming reads of a payload only what the egress ledger counts: a payload damaged
 * elsewhere is sent, refused by the gateway, and set aside as a refused event). Set-aside rows are
 * never deleted by retention: an admin {@linkplain #listSetAside lists} them, {@linkplain
 * #retrySetAside retries} or {@linkplain #discardSetAside discards} them.
 */
public final class ExportQueue {
  /**
   * Most payload bytes one page of a listing reads: however many events it asks for, an
   * administrator's page never holds more than this in memory (one event always fits).
   */
  public static final int PAGE_PAYLOAD_BYTES = 4 * 1024 * 1024;

  private static final String CLAIM =
      """
      WITH claimable AS (
          SELECT id FROM telemetry_events_export_queue
          WHERE exported_at IS NULL AND set_aside_at IS NULL
            AND (available_at IS NULL OR available_at <= ?)
          ORDER BY id
          LIMIT ?
          FOR UPDATE SKIP LOCKED)
      UPDATE telemetry_events_export_queue q
      SET available_at = ?, attempts = q.attempts + 1, lease_owner = ?
      FROM claimable
      WHERE q.id = claimable.id
      RETURNING q.id, q.timestamp, q.payload_pb, q.attempts
      """;

  private final DataSource dataSource;
  private final Clock clock;

  public ExportQueue(DataSource dataSource, Clock clock) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Claims up to {@code limit} of the oldest events that are neither exported, claimed by another
   * exporter, waiting for a retry nor set aside, for {@code owner}. Each payload is kept as stored,
   * to be sent as it is; only what the egress ledger counts is read from it ({@link
   * FieldPaths#egress(byte[])}). Rows whose payload cannot be read so are set aside with the reason
   * and not returned.
   *
   * @param owner the claiming run's token; pass it to {@link #markExported(UUID, Collection)},
   *     {@link #release} and {@link #recordFailure}
   * @param lease how long the claim holds; release or mark the events before it ends
   * @return the claimed events, oldest first, and how many rows were set aside
   */
  public Claim claim(UUID owner, int limit, Duration lease) {
    Objects.requireNonNull(owner, "owner");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    Instant now = clock.instant();
    List<QueuedEvent> claimed = new ArrayList<>();
    List<Undecodable> undecodable = new ArrayList<>();
    Jdbc.withConnection(
        dataSource,
        "claim a batch of " + limit + " queued event(s)",
        connection -> {
          for (ClaimedRow row :
              Jdbc.query(connection, CLAIM, CLAIMED_ROW, now, limit, now.plus(lease), owner)) {
            try {
              // Sent as stored: only what the egress ledger counts is read from the payload.
              FieldPaths.Egress egress = FieldPaths.egress(row.payload());
              claimed.add(
                  new QueuedEvent(
                      row.id(), row.timestamp(), row.payload(), egress, row.attempts()));
            } catch (InvalidProtocolBufferException e) {
              undecodable.add(
                  new Undecodable(row.id(), "payload is not a valid Event: " + e.getMessage()));
            }
          }
          if (!undecodable.isEmpty()) {
            Jdbc.batch(
                connection,
                "UPDATE telemetry_events_export_queue"
                    + " SET set_aside_at = ?, set_aside_reason = ?, available_at = NULL,"
                    + " lease_owner = NULL WHERE id = ?",
                undecodable,
                row -> new Object[] {now, row.reason(), row.id()});
          }
          return null;
        });
    claimed.sort(Comparator.comparing(QueuedEvent::id, ExportQueue::byArrival));
    return new Claim(claimed, undecodable.size());
  }

  /** A row {@link #CLAIM} took, its payload not decoded yet. */
  private record ClaimedRow(UUID id, Instant timestamp, byte[] payload, int attempts) {}

  private static final Jdbc.RowMapper<ClaimedRow> CLAIMED_ROW =
      row ->
          new ClaimedRow(
              row.getObject(1, UUID.class),
              Jdbc.instant(row.getTimestamp(2)),
              row.getBytes(3),
              row.getInt(4));

  /** A claimed row whose payload cannot be decoded, and why: it is set aside. */
  private record Undecodable(UUID id, String reason) {}

  /**
   * Marks events exported that {@code owner} still holds, and adds them to the egress ledger in the
   * same transaction: per UTC day of export, {@code feature.action} and catalog version, the events
   * and their payloads' bytes; per field path, the events that carried it out ({@link
   * FieldPaths#leaving}) and those it was withheld from (the row's {@code withheld}). Only the rows
   * newly marked are counted, so marking an event again (an acknowledgement sent twice) counts
   * nothing twice; when the marking fails, the ledger is left as it was.
   *
   * @param events exactly the claimed events the gateway acknowledged, as {@link #claim} returned
   *     them (what they carry of their payloads names what left)
   * @return how many events were newly marked; fewer when another run took some over
   */
  public int markExported(UUID owner, Collection<QueuedEvent> events) {
    Objects.requireNonNull(owner, "owner");
    if (events.isEmpty()) {
      return 0;
    }
    Map<UUID, FieldPaths.Egress> sent = new HashMap<>(events.size() * 2);
    for (QueuedEvent event : events) {
      sent.put(event.id(), event.egress());
    }
    Instant now = clock.instant();
    return Jdbc.inTransaction(
        dataSource,
        "mark " + sent.size() + " event(s) exported",
        connection -> {
          EgressCounts counts = new EgressCounts(LocalDate.ofInstant(now, ZoneOffset.UTC));
          int marked = 0;
          try (PreparedStatement mark = connection.prepareStatement(MARK)) {
            mark.setTimestamp(1, Timestamp.from(now));
            mark.setArray(2, connection.createArrayOf("uuid", sent.keySet().toArray()));
            mark.setObject(3, owner);
            try (ResultSet row = mark.executeQuery()) {
              while (row.next()) {
                Array withheld = row.getArray(3);
                int version = row.getInt(4);
                counts.add(
                    sent.get(row.getObject(1, UUID.class)),
                    row.getLong(2),
                    withheld == null ? null : (String[]) withheld.getArray(),
                    row.wasNull() ? null : version);
                marked++;
              }
            }
          }
          counts.write(connection);
          return marked;
        });
  }

  /**
   * Marks the rows a run still holds and returns exactly those newly marked, with what the egress
   * ledger counts of each.
   */
  private static final String MARK =
      """
      UPDATE telemetry_events_export_queue
      SET exported_at = ?, available_at = NULL, lease_owner = NULL
      WHERE id = ANY (?) AND exported_at IS NULL AND lease_owner = ?
      RETURNING id, octet_length(payload_pb), withheld, catalog_version
      """;

  /**
   * Gives events {@code owner} still holds back to the queue, to be claimed again from {@code
   * retryAfter} from now.
   *
   * @return how many events were released
   */
  public int release(UUID owner, Collection<UUID> ids, Duration retryAfter) {
    Objects.requireNonNull(owner, "owner");
    if (ids.isEmpty()) {
      return 0;
    }
    return Jdbc.update(
        dataSource,
        "release " + ids.size() + " event(s)",
        "UPDATE telemetry_events_export_queue SET available_at = ?, lease_owner = NULL"
            + " WHERE id = ANY (?) AND lease_owner = ? AND exported_at IS NULL",
        clock.instant().plus(retryAfter),
        Jdbc.uuidArray(ids),
        owner);
  }

  /**
   * Counts one failure of an event the gateway refused when it was sent alone, and gives it back to
   * the queue: to be retried after {@code retryAfter}, or, at its {@code maxFailures}th failure,
   * set aside with the reason. Only an event {@code owner} still holds is touched.
   *
   * @param error why the gateway refused it; kept as the event's last error
   * @return the event's failures now, this one included (set aside when at least {@code
   *     maxFailures}); 0 when {@code owner} no longer holds it and nothing was counted
   */
  public int recordFailure(
      UUID owner, UUID id, String error, int maxFailures, Duration retryAfter) {
    Objects.requireNonNull(owner, "owner");
    if (maxFailures < 1) {
      throw new IllegalArgumentException("maxFailures must be at least 1, got " + maxFailures);
    }
    Instant now = clock.instant();
    String lastError = error == null ? "unknown error" : error;
    return Jdbc.queryOne(
            dataSource,
            "count a failure of event " + id,
            """
            UPDATE telemetry_events_export_queue
            SET failures = failures + 1,
                last_error = ?,
                set_aside_at = CASE WHEN failures + 1 >= ? THEN ?::timestamptz END,
                set_aside_reason = CASE WHEN failures + 1 >= ?
                    THEN 'the gateway refused it when sent alone ' || (failures + 1)
                         || ' time(s); last error: ' || ? END,
                available_at = CASE WHEN failures + 1 >= ? THEN NULL ELSE ?::timestamptz END,
                lease_owner = NULL
            WHERE id = ? AND lease_owner = ? AND exported_at IS NULL
              AND set_aside_at IS NULL
            RETURNING failures
            """,
            row -> row.getInt(1),
            lastError,
            maxFailures,
            now,
            maxFailures,
            lastError,
            maxFailures,
            now.plus(retryAfter),
            id,
            owner)
        .orElse(0);
  }

  /**
   * Deletes events exported before {@code cutoff}. Set-aside rows are never deleted here: only an
   * admin {@linkplain #discardSetAside discards} them.
   *
   * @return how many events were deleted
   */
  public int deleteExportedBefore(Instant cutoff) {
    return Jdbc.update(
        dataSource,
        "delete exported events before " + cutoff,
        "DELETE FROM telemetry_events_export_queue WHERE exported_at < ?",
        cutoff);
  }

  /**
   * Deletes at most {@code limit} of the events exported before {@code cutoff}, the oldest first:
   * one step of a cleanup that stops at its deadline and leaves the rest to the next one. Set-aside
   * rows are never deleted here.
   *
   * @return how many events were deleted; fewer than {@code limit} when none is left
   */
  public int deleteExportedBefore(Instant cutoff, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    return Jdbc.update(
        dataSource,
        "delete up to " + limit + " event(s) exported before " + cutoff,
        "DELETE FROM telemetry_events_export_queue WHERE id IN (SELECT id FROM"
            + " telemetry_events_export_queue WHERE exported_at < ? ORDER BY exported_at LIMIT ?)",
        cutoff,
        limit);
  }

  /**
   * One chunk of a cleanup: deletes at most {@code limit} of the events exported before {@code
   * cutoff} and not before {@code from}, the oldest first, and says the export time of the last one
   * deleted. The next chunk starts there: every event exported before it is gone, so its scan of
   * the {@code exported_at} index starts past their entries instead of stepping over all of them
   * again (they stay in the index, dead, until the table is vacuumed: a cleanup of millions of rows
   * that started at the first entry each time read ever more of them).
   */
  static final String DELETE_CHUNK =
      """
      WITH gone AS (
          DELETE FROM telemetry_events_export_queue
          WHERE id IN (SELECT id FROM telemetry_events_export_queue
                       WHERE exported_at < ? AND exported_at >= ?
                       ORDER BY exported_at LIMIT ?)
          RETURNING exported_at)
      SELECT count(*), max(exported_at) FROM gone
      """;

  /**
   * How a cleanup {@linkplain #pruneExported paces} itself.
   *
   * @param chunk most events deleted in one transaction
   * @param rest how long it rests after each chunk, as a multiple of the time the chunk took (0:
   *     never): a cleanup of millions of rows then leaves the database's WAL and CPU to recording
   *     for that share of its time instead of holding them throughout
   */
  public record Pacing(int chunk, double rest) {
    public Pacing {
      if (chunk < 1) {
        throw new IllegalArgumentException("chunk must be at least 1, got " + chunk);
      }
      if (!(rest >= 0) || Double.isInfinite(rest)) {
        throw new IllegalArgumentException("rest must be a finite number >= 0, got " + rest);
      }
    }
  }

  /** Waits between the chunks of a cleanup. */
  @FunctionalInterface
  public interface Rest {
    void rest(Duration time) throws InterruptedException;

    /** Sleeps. */
    Rest SLEEP = time -> Thread.sleep(time.toMillis(), time.toNanosPart() % 1_000_000);
  }

  /**
   * What one cleanup pass did.
   *
   * @param deleted events deleted
   * @param finished whether none exported before the cutoff is left; {@code false} when the
   *     deadline came first or the pass was stopped: the next pass goes on from there
   */
  public record Pruned(long deleted, boolean finished) {}

  /** What one chunk deleted, and the export time of its last event ({@code null}: none). */
  private record Chunk(int deleted, Instant last) {}

  /**
   * Deletes the events exported before {@code cutoff}, oldest first, chunk after chunk as {@code
   * pacing} says, until none is left, {@code deadline} (read on the queue's clock) has come or
   * {@code stop} says so. After each chunk it rests {@code pacing.rest()} times as long as the
   * chunk took, never past the deadline. Set-aside rows are never deleted here. Every chunk is its
   * own transaction: a pass cut short leaves nothing half done, and the next one takes up what is
   * left.
   *
   * @throws StoreException when the database fails; chunks deleted before stay deleted
   */
  public Pruned pruneExported(
      Instant cutoff, Instant deadline, Pacing pacing, BooleanSupplier stop, Rest rest) {
    Objects.requireNonNull(cutoff, "cutoff");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(pacing, "pacing");
    Instant from = Instant.EPOCH;
    long deleted = 0;
    while (clock.instant().isBefore(deadline) && !stop.getAsBoolean()) {
      Instant start = clock.instant();
      Chunk chunk =
          Jdbc.queryOne(
                  dataSource,
                  "delete up to " + pacing.chunk() + " event(s) exported before " + cutoff,
                  DELETE_CHUNK,
                  row -> new Chunk(row.getInt(1), Jdbc.instant(row.getTimestamp(2))),
                  cutoff,
                  from,
                  pacing.chunk())
              .orElseThrow();
      deleted += chunk.deleted();
      if (chunk.deleted() < pacing.chunk()) {
        return new Pruned(deleted, true);
      }
      from = chunk.last();
      Instant end = clock.instant();
      Duration resting =
          Duration.ofNanos((long) (Duration.between(start, end).toNanos() * pacing.rest()));
      Duration left = Duration.between(end, deadline);
      if (resting.compareTo(left) >= 0) {
        return new Pruned(deleted, false);
      }
      if (!resting.isZero() && !resting.isNegative()) {
        try {
          rest.rest(resting);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Pruned(deleted, false);
        }
      }
    }
    return new Pruned(deleted, false);
  }

  /**
   * Makes the queue's cleanup due again at once: a cleanup cut short by its run's deadline is taken
   * up by the next run rather than a cleanup interval later.
   */
  public void reopenCleanup() {
    Jdbc.update(
        dataSource,
        "reopen the queue cleanup",
        "UPDATE telemetry_export_state SET last_cleanup_at = NULL");
  }

  /**
   * Claims the queue's cleanup if none ran within {@code interval}: returns {@code true} for at
   * most one caller per interval, however many exporters run at once.
   */
  public boolean claimCleanup(Duration interval) {
    Instant now = clock.instant();
    return Jdbc.update(
            dataSource,
            "claim the queue cleanup",
            "UPDATE telemetry_export_state SET last_cleanup_at = ?"
                + " WHERE last_cleanup_at IS NULL OR last_cleanup_at <= ?",
            now,
            now.minus(interval))
        == 1;
  }

  /**
   * What waits in the queue, counted from its partial indexes (unexported, set aside) so that the
   * exported rows it keeps, millions of them, are never read: an export run reports this at its
   * end, where counting every row of the table took longer than exporting 100,000 events (the scale
   * run of 6 Dec).
   */
  static final String WAITING =
      """
      SELECT
          (SELECT count(*) FROM telemetry_events_export_queue
           WHERE exported_at IS NULL AND set_aside_at IS NULL),
          (SELECT id FROM telemetry_events_export_queue
           WHERE exported_at IS NULL AND set_aside_at IS NULL
           ORDER BY id LIMIT 1),
          (SELECT count(*) FROM telemetry_events_export_queue WHERE set_aside_at IS NOT NULL)
      """;

  /**
   * What waits for export: the events not exported, how long the oldest has waited and the rows set
   * aside. Reads none of the exported rows the queue keeps.
   */
  public Waiting waiting() {
    return Jdbc.queryOne(
            dataSource, "measure what waits in the export queue", WAITING, this::waiting)
        .orElseThrow();
  }

  /** A row of {@link #WAITING}'s columns. */
  private Waiting waiting(ResultSet row) throws SQLException {
    UUID oldest = row.getObject(2, UUID.class);
    return new Waiting(
        row.getLong(1),
        Optional.ofNullable(oldest)
            .flatMap(ExportQueue::arrival)
            .map(arrived -> Duration.between(arrived, clock.instant()))
            .map(age -> age.isNegative() ? Duration.ZERO : age),
        row.getLong(3));
  }

  /**
   * The state of the queue, one snapshot: {@link #WAITING}'s columns and the exported rows kept,
   * each from its own partial index. Counting them with one pass over the table read every row,
   * payloads included: 1.2 to 3.1 s at 10 million kept rows.
   */
  static final String BACKLOG =
      "SELECT w.*, (SELECT count(*) FROM telemetry_events_export_queue"
          + " WHERE exported_at IS NOT NULL) FROM ("
          + WAITING
          + ") AS w";

  /**
   * The size and age of the queue; the age is that of the event that arrived first. Counts the
   * exported events kept too (from their index, but one entry each: seconds at tens of millions
   * kept), which {@link #waiting} leaves out.
   */
  public Backlog backlog() {
    return Jdbc.queryOne(
            dataSource,
            "measure the export queue",
            BACKLOG,
            row -> {
              Waiting waiting = waiting(row);
              return new Backlog(
                  waiting.unexported(),
                  waiting.oldestUnexportedAge(),
                  row.getLong(4),
                  waiting.setAside());
            })
        .orElseThrow();
  }

  /**
   * How many exported events the queue keeps, counted from their partial index: one entry each, so
   * it takes seconds at tens of millions kept (10 s at 50 million from memory, minutes from disk,
   * in the scale run of 6 Dec); {@link #waiting} is what a frequent caller wants.
   */
  public long exportedKept() {
    return Jdbc.queryOne(
            dataSource,
            "count the exported events kept",
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL",
            row -> row.getLong(1))
        .orElseThrow();
  }

  /** When an event arrived: the time part of its UUIDv7 ID; empty for any other kind of ID. */
  static Optional<Instant> arrival(UUID id) {
    return id.version() == 7
        ? Optional.of(Instant.ofEpochMilli(id.getMostSignificantBits() >>> 16))
        : Optional.empty();
  }

  /** Arrival order of UUIDv7 IDs, which is PostgreSQL's order of {@code uuid} values. */
  private static int byArrival(UUID a, UUID b) {
    int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return high != 0
        ? high
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  /**
   * Set-aside events, newest first, a page at a time, with why they were set aside. A page holds at
   * most {@code first} events and ends early rather than read more than {@value
   * #PAGE_PAYLOAD_BYTES} bytes of payloads (it always holds one event when there is one).
   *
   * @param first how many events to return at most
   * @param after the {@link SetAsidePage#endCursor()} of the previous page, or {@code null}
   * @throws IllegalArgumentException when {@code after} is not a cursor of a listing
   */
  public SetAsidePage listSetAside(int first, String after) {
    NewestFirstListing.Page<SetAsideEvent> page = SET_ASIDE.page(dataSource, first, after);
    return new SetAsidePage(page.nodes(), page.total(), page.hasNext(), page.endCursor());
  }

  private static final NewestFirstListing<SetAsideEvent> SET_ASIDE =
      new NewestFirstListing<>(
          "list set-aside events",
          "telemetry_events_export_queue",
          "set_aside_at",
          "payload_pb",
          PAGE_PAYLOAD_BYTES,
          "id, set_aside_at, set_aside_reason, attempts, failures, last_error, payload_pb",
          row ->
              new SetAsideEvent(
                  row.getObject(1, UUID.class),
                  Jdbc.instant(row.getTimestamp(2)),
                  row.getString(3),
                  row.getInt(4),
                  row.getInt(5),
                  row.getString(6),
                  decodable(row.getBytes(7))),
          event -> new NewestFirstListing.Cursor(event.setAsideAt(), event.id()));

  /**
   * Makes set-aside events exportable again, at once: clears their set-aside mark and failure
   * count. IDs that are not set aside are left alone.
   *
   * @return how many events will be exported again
   */
  public int retrySetAside(Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return 0;
    }
    return retrySetAside(ids, "retry " + ids.size() + " set-aside event(s)");
  }

  /** Makes every set-aside event exportable again; see {@link #retrySetAside(Collection)}. */
  public int retryAllSetAside() {
    return retrySetAside(null, "retry all set-aside events");
  }

  private int retrySetAside(Collection<UUID> ids, String what) {
    String sql =
        "UPDATE telemetry_events_export_queue SET set_aside_at = NULL,"
            + " set_aside_reason = NULL, failures = 0, last_error = NULL,"
            + " available_at = NULL, lease_owner = NULL"
            + " WHERE set_aside_at IS NOT NULL";
    int retried =
        ids == null
            ? Jdbc.update(dataSource, what, sql)
            : Jdbc.update(dataSource, what, sql + " AND id = ANY (?)", Jdbc.uuidArray(ids));
    JsonLog.info("set-aside events retried", Map.of("count", retried));
    return retried;
  }

  /**
   * Deletes set-aside events for good; they are never exported. IDs that are not set aside are left
   * alone. Logs how many were deleted, never what.
   *
   * @return how many events were deleted
   */
  public int discardSetAside(Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return 0;
    }
    int discarded =
        Jdbc.update(
            dataSource,
            "discard " + ids.size() + " set-aside event(s)",
            "DELETE FROM telemetry_events_export_queue"
                + " WHERE set_aside_at IS NOT NULL AND id = ANY (?)",
            Jdbc.uuidArray(ids));
    JsonLog.info("set-aside events discarded", Map.of("count", discarded));
    return discarded;
  }

  private static Optional<Event> decodable(byte[] payload) {
    try {
      return Optional.of(Event.parseFrom(payload));
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  /**
   * Exported events, newest first, a page at a time. A page holds at most {@code first} events and
   * ends early rather than read more than {@value #PAGE_PAYLOAD_BYTES} bytes of payloads (it always
   * holds one event when there is one).
   *
   * @param first how many events to return at most
   * @param after the {@link ExportedPage#endCursor()} of the previous page, or {@code null}
   * @throws IllegalArgumentException when {@code after} is not a cursor of this listing
   */
  public ExportedPage listExported(int first, String after) {
    return listExported(first, after, null);
  }

  /**
   * Exported events named {@code name} ({@code feature.action}), as {@link #listExported(int,
   * String)} lists them all; {@code null}: every name. A name is read from the event's recorded row
   * (event_logs): an exported event whose recorded row is gone is listed under no name.
   */
  public ExportedPage listExported(int first, String after, String name) {
    NewestFirstListing.Page<ExportedEvent> page =
        name == null
            ? EXPORTED.page(dataSource, first, after)
            : EXPORTED.page(
                dataSource,
                first,
                after,
                "id IN (SELECT event_id FROM event_logs WHERE name = ?)",
                name);
    return new ExportedPage(page.nodes(), page.total(), page.hasNext(), page.endCursor());
  }

  private static final NewestFirstListing<ExportedEvent> EXPORTED =
      new NewestFirstListing<>(
          "list exported events",
          "telemetry_events_export_queue",
          "exported_at",
          "payload_pb",
          PAGE_PAYLOAD_BYTES,
          "id, exported_at, payload_pb",
          row -> {
            UUID id = row.getObject(1, UUID.class);
            return new ExportedEvent(
                id, Jdbc.instant(row.getTimestamp(2)), decodeExported(id, row.getBytes(3)));
          },
          event -> new NewestFirstListing.Cursor(event.exportedAt(), event.id()));

  /**
   * One event's place in the queue, whatever its state, or empty when it is not there: export was
   * off for its user when it was recorded, it was exported longer ago than the retention, or it was
   * discarded.
   */
  public Optional<QueueEntry> find(UUID id) {
    return Jdbc.queryOne(
        dataSource,
        "read queued event " + id,
        "SELECT exported_at, set_aside_at, set_aside_reason, payload_pb"
            + " FROM telemetry_events_export_queue WHERE id = ?",
        row ->
            new QueueEntry(
                id,
                Jdbc.instant(row.getTimestamp(1)),
                Jdbc.instant(row.getTimestamp(2)),
                row.getString(3),
                decodable(row.getBytes(4))),
        id);
  }

  private static Event decodeExported(UUID id, byte[] payload) {
    try {
      return Event.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      // Only decodable rows are ever exported.
      throw new IllegalStateException("exported event " + id + " cannot be decoded", e);
    }
  }

  /**
   * A claimed event: its payload as stored (the encoded, redacted {@link Event} export sends as it
   * is) and what the egress ledger counts of it. {@code attempts} counts claims, this one included.
   */
  public record QueuedEvent(
      UUID id, Instant timestamp, byte[] payload, FieldPaths.Egress egress, int attempts) {
    /** A claimed event holding {@code event}, encoded. */
    public QueuedEvent(UUID id, Instant timestamp, Event event, int attempts) {
      this(id, timestamp, event.toByteArray(), FieldPaths.egress(event), attempts);
    }

    /**
     * The event, decoded from its payload (again at every call).
     *
     * @throws IllegalStateException when the payload cannot be decoded in full ({@link #claim} read
     *     only what the ledger counts)
     */
    public Event event() {
      try {
        return Event.parseFrom(payload);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("queued event " + id + " cannot be decoded", e);
      }
    }
  }

  /**
   * What {@link #claim} took.
   *
   * @param events the claimed events, oldest first
   * @param setAside rows found undecodable and set aside instead
   */
  public record Claim(List<QueuedEvent> events, int setAside) {}

  /**
   * An event set aside instead of exported: it waits for an admin to retry or discard it.
   *
   * @param setAsideAt when it was set aside
   * @param reason why
   * @param attempts how many times it was claimed
   * @param failures how many times the gateway refused it alone (0 for an undecodable payload)
   * @param lastError the gateway's last answer to it, or {@code null}
   * @param event the event, empty when its payload cannot be decoded
   */
  public record SetAsideEvent(
      UUID id,
      Instant setAsideAt,
      String reason,
      int attempts,
      int failures,
      String lastError,
      Optional<Event> event) {}

  /** One page of {@link #listSetAside}. */
  public record SetAsidePage(
      List<SetAsideEvent> nodes, long totalCount, boolean hasNextPage, String endCursor) {}

  /**
   * What waits for export.
   *
   * @param unexported events waiting for export (claimed or not)
   * @param oldestUnexportedAge how long the oldest of them has waited, empty when none waits
   * @param setAside rows set aside, waiting for an admin
   */
  public record Waiting(long unexported, Optional<Duration> oldestUnexportedAge, long setAside) {}

  /**
   * The state of the queue.
   *
   * @param unexported events waiting for export (claimed or not)
   * @param oldestUnexportedAge how long the oldest of them has waited, empty when none waits
   * @param exported exported events not yet pruned
   * @param setAside rows set aside, waiting for an admin
   */
  public record Backlog(
      long unexported, Optional<Duration> oldestUnexportedAge, long exported, long setAside) {}

  /** An event that left the instance, as it was sent. */
  public record ExportedEvent(UUID id, Instant exportedAt, Event event) {}

  /**
   * An event in the queue.
   *
   * @param exportedAt when the gateway acknowledged it, or {@code null} while it waits
   * @param setAsideAt when it was set aside, or {@code null}
   * @param event the redacted event as export sends it; empty when its payload cannot be decoded
   */
  public record QueueEntry(
      UUID id,
      Instant exportedAt,
      Instant setAsideAt,
      String setAsideReason,
      Optional<Event> event) {}

  /** One page of {@link #listExported}. */
  public record ExportedPage(
      List<ExportedEvent> nodes, long totalCount, boolean hasNextPage, String endCursor) {}
}
