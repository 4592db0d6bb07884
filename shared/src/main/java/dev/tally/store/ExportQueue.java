package dev.tally.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tally.proto.telemetrygateway.v1.Event;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The queue of redacted events waiting for export.
 *
 * <p>Events leave in arrival order: an event's ID is a UUIDv7 the server generated when the event
 * arrived, so the queue is ordered by ID, never by the timestamp a client claimed.
 *
 * <p>Exporters {@linkplain #claimBatch claim} the oldest available events under a lease: a claimed
 * event is invisible to other exporters until the lease ends, so two exporters running at once
 * never send the same event, and the events of an exporter that crashed come back when its lease
 * runs out. An event is {@linkplain #markExported marked exported} only with the IDs the gateway
 * acknowledged; the rest are {@linkplain #release released} to be retried later.
 */
public final class ExportQueue {
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
      SET available_at = ?, attempts = q.attempts + 1
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
   * exporter, waiting for a retry nor set aside. Rows whose payload cannot be decoded are set aside
   * with the reason and not returned.
   *
   * @param lease how long the claim holds; release or mark the events before it ends
   * @return the claimed events, oldest first
   */
  public List<QueuedEvent> claimBatch(int limit, Duration lease) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    Instant now = clock.instant();
    List<QueuedEvent> claimed = new ArrayList<>();
    List<SetAside> undecodable = new ArrayList<>();
    Jdbc.withConnection(
        dataSource,
        "claim a batch of " + limit + " queued event(s)",
        connection -> {
          try (PreparedStatement claim = connection.prepareStatement(CLAIM)) {
            claim.setTimestamp(1, Jdbc.timestamp(now));
            claim.setInt(2, limit);
            claim.setTimestamp(3, Jdbc.timestamp(now.plus(lease)));
            try (ResultSet rows = claim.executeQuery()) {
              while (rows.next()) {
                UUID id = rows.getObject(1, UUID.class);
                Instant timestamp = Jdbc.instant(rows.getTimestamp(2));
                byte[] payload = rows.getBytes(3);
                int attempts = rows.getInt(4);
                try {
                  Event event = Event.parseFrom(payload);
                  claimed.add(new QueuedEvent(id, timestamp, event, attempts));
                } catch (InvalidProtocolBufferException e) {
                  undecodable.add(
                      new SetAside(id, "payload is not a valid Event: " + e.getMessage()));
                }
              }
            }
          }
          if (!undecodable.isEmpty()) {
            setAside(connection, undecodable, now);
          }
          return null;
        });
    claimed.sort(Comparator.comparing(QueuedEvent::id, ExportQueue::byArrival));
    return claimed;
  }

  private static void setAside(Connection connection, List<SetAside> rows, Instant now)
      throws SQLException {
    try (PreparedStatement update =
        connection.prepareStatement(
            "UPDATE telemetry_events_export_queue"
                + " SET set_aside_at = ?, set_aside_reason = ?, available_at = NULL WHERE id = ?")) {
      for (SetAside row : rows) {
        update.setTimestamp(1, Jdbc.timestamp(now));
        update.setString(2, row.reason());
        update.setObject(3, row.id());
        update.addBatch();
      }
      update.executeBatch();
    }
  }

  /**
   * Marks events exported. Pass exactly the IDs the gateway acknowledged.
   *
   * @return how many events were newly marked
   */
  public int markExported(Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return 0;
    }
    return Jdbc.withConnection(
        dataSource,
        "mark " + ids.size() + " event(s) exported",
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE telemetry_events_export_queue SET exported_at = ?, available_at = NULL"
                      + " WHERE id = ANY (?) AND exported_at IS NULL")) {
            update.setTimestamp(1, Jdbc.timestamp(clock.instant()));
            update.setArray(2, uuidArray(connection, ids));
            return update.executeUpdate();
          }
        });
  }

  /**
   * Gives claimed events back to the queue, to be claimed again from {@code retryAfter} from now.
   *
   * @return how many events were released
   */
  public int release(Collection<UUID> ids, Duration retryAfter) {
    if (ids.isEmpty()) {
      return 0;
    }
    return Jdbc.withConnection(
        dataSource,
        "release " + ids.size() + " event(s)",
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE telemetry_events_export_queue SET available_at = ?"
                      + " WHERE id = ANY (?) AND exported_at IS NULL")) {
            update.setTimestamp(1, Jdbc.timestamp(clock.instant().plus(retryAfter)));
            update.setArray(2, uuidArray(connection, ids));
            return update.executeUpdate();
          }
        });
  }

  /**
   * Deletes events exported before {@code cutoff} and rows set aside before it.
   *
   * @return how many rows were deleted
   */
  public Pruned deleteBefore(Instant cutoff) {
    return Jdbc.withConnection(
        dataSource,
        "delete exported events before " + cutoff,
        connection -> {
          int exported;
          int setAside;
          try (PreparedStatement delete =
              connection.prepareStatement(
                  "DELETE FROM telemetry_events_export_queue WHERE exported_at < ?")) {
            delete.setTimestamp(1, Jdbc.timestamp(cutoff));
            exported = delete.executeUpdate();
          }
          try (PreparedStatement delete =
              connection.prepareStatement(
                  "DELETE FROM telemetry_events_export_queue WHERE set_aside_at < ?")) {
            delete.setTimestamp(1, Jdbc.timestamp(cutoff));
            setAside = delete.executeUpdate();
          }
          return new Pruned(exported, setAside);
        });
  }

  /**
   * Claims the queue's cleanup if none ran within {@code interval}: returns {@code true} for at
   * most one caller per interval, however many exporters run at once.
   */
  public boolean claimCleanup(Duration interval) {
    Instant now = clock.instant();
    return Jdbc.withConnection(
        dataSource,
        "claim the queue cleanup",
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE telemetry_export_state SET last_cleanup_at = ?"
                      + " WHERE last_cleanup_at IS NULL OR last_cleanup_at <= ?")) {
            update.setTimestamp(1, Jdbc.timestamp(now));
            update.setTimestamp(2, Jdbc.timestamp(now.minus(interval)));
            return update.executeUpdate() == 1;
          }
        });
  }

  /** The size and age of the queue; the age is that of the event that arrived first. */
  public Backlog backlog() {
    return Jdbc.withConnection(
        dataSource,
        "measure the export queue",
        connection -> {
          try (PreparedStatement query =
                  connection.prepareStatement(
                      """
                      SELECT
                          count(*) FILTER (WHERE exported_at IS NULL AND set_aside_at IS NULL),
                          (SELECT id FROM telemetry_events_export_queue
                           WHERE exported_at IS NULL AND set_aside_at IS NULL
                           ORDER BY id LIMIT 1),
                          count(*) FILTER (WHERE exported_at IS NOT NULL),
                          count(*) FILTER (WHERE set_aside_at IS NOT NULL)
                      FROM telemetry_events_export_queue
                      """);
              ResultSet row = query.executeQuery()) {
            row.next();
            UUID oldest = row.getObject(2, UUID.class);
            return new Backlog(
                row.getLong(1),
                Optional.ofNullable(oldest)
                    .flatMap(ExportQueue::arrival)
                    .map(arrived -> Duration.between(arrived, clock.instant()))
                    .map(age -> age.isNegative() ? Duration.ZERO : age),
                row.getLong(3),
                row.getLong(4));
          }
        });
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

  /** Rows set aside because their payload could not be decoded, oldest first. */
  public List<SetAside> setAsideRows(int limit) {
    return Jdbc.withConnection(
        dataSource,
        "list set-aside events",
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT id, set_aside_reason FROM telemetry_events_export_queue"
                      + " WHERE set_aside_at IS NOT NULL ORDER BY set_aside_at, id LIMIT ?")) {
            query.setInt(1, limit);
            List<SetAside> rows = new ArrayList<>();
            try (ResultSet rs = query.executeQuery()) {
              while (rs.next()) {
                rows.add(new SetAside(rs.getObject(1, UUID.class), rs.getString(2)));
              }
            }
            return rows;
          }
        });
  }

  /**
   * Exported events, newest first, a page at a time.
   *
   * @param first how many events to return
   * @param after the {@link ExportedPage#endCursor()} of the previous page, or {@code null}
   * @throws IllegalArgumentException when {@code after} is not a cursor of this listing
   */
  public ExportedPage listExported(int first, String after) {
    if (first < 0) {
      throw new IllegalArgumentException("'first' must not be negative, got " + first);
    }
    Cursor cursor = after == null ? null : Cursor.decode(after);
    return Jdbc.withConnection(
        dataSource,
        "list exported events",
        connection -> {
          long total;
          try (PreparedStatement count =
                  connection.prepareStatement(
                      "SELECT count(*) FROM telemetry_events_export_queue"
                          + " WHERE exported_at IS NOT NULL");
              ResultSet rs = count.executeQuery()) {
            rs.next();
            total = rs.getLong(1);
          }
          String sql =
              "SELECT id, exported_at, payload_pb FROM telemetry_events_export_queue"
                  + " WHERE exported_at IS NOT NULL"
                  + (cursor == null ? "" : " AND (exported_at, id) < (?, ?)")
                  + " ORDER BY exported_at DESC, id DESC LIMIT ?";
          List<ExportedEvent> nodes = new ArrayList<>();
          boolean hasNext = false;
          try (PreparedStatement query = connection.prepareStatement(sql)) {
            int i = 0;
            if (cursor != null) {
              query.setTimestamp(++i, Jdbc.timestamp(cursor.exportedAt()));
              query.setObject(++i, cursor.id());
            }
            query.setInt(++i, first + 1);
            try (ResultSet rs = query.executeQuery()) {
              while (rs.next()) {
                if (nodes.size() == first) {
                  hasNext = true;
                  break;
                }
                UUID id = rs.getObject(1, UUID.class);
                Instant exportedAt = Jdbc.instant(rs.getTimestamp(2));
                nodes.add(new ExportedEvent(id, exportedAt, decodeExported(id, rs.getBytes(3))));
              }
            }
          }
          String endCursor =
              nodes.isEmpty()
                  ? null
                  : new Cursor(
                          nodes.get(nodes.size() - 1).exportedAt(),
                          nodes.get(nodes.size() - 1).id())
                      .encode();
          return new ExportedPage(nodes, total, hasNext, endCursor);
        });
  }

  private static Event decodeExported(UUID id, byte[] payload) {
    try {
      return Event.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      // Only decodable rows are ever exported.
      throw new IllegalStateException("exported event " + id + " cannot be decoded", e);
    }
  }

  private static Array uuidArray(Connection connection, Collection<UUID> ids) throws SQLException {
    return connection.createArrayOf("uuid", ids.toArray(new UUID[0]));
  }

  /** A claimed event. {@code attempts} counts claims, this one included. */
  public record QueuedEvent(UUID id, Instant timestamp, Event event, int attempts) {}

  /** A row set aside instead of exported, and why. */
  public record SetAside(UUID id, String reason) {}

  /** What a retention delete removed. */
  public record Pruned(int exported, int setAside) {}

  /**
   * The state of the queue.
   *
   * @param unexported events waiting for export (claimed or not)
   * @param oldestUnexportedAge how long the oldest of them has waited, empty when none waits
   * @param exported exported events not yet pruned
   * @param setAside rows set aside because they could not be decoded
   */
  public record Backlog(
      long unexported, Optional<Duration> oldestUnexportedAge, long exported, long setAside) {}

  /** An event that left the instance, as it was sent. */
  public record ExportedEvent(UUID id, Instant exportedAt, Event event) {}

  /** One page of {@link #listExported}. */
  public record ExportedPage(
      List<ExportedEvent> nodes, long totalCount, boolean hasNextPage, String endCursor) {}

  /** Position in the newest-first listing: the last event of a page. */
  record Cursor(Instant exportedAt, UUID id) {
    String encode() {
      ByteBuffer buffer = ByteBuffer.allocate(8 + 4 + 16);
      buffer.putLong(exportedAt.getEpochSecond()).putInt(exportedAt.getNano());
      buffer.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.array());
    }

    static Cursor decode(String text) {
      byte[] bytes;
      try {
        bytes = Base64.getUrlDecoder().decode(text.getBytes(StandardCharsets.US_ASCII));
      } catch (IllegalArgumentException e) {
        bytes = new byte[0];
      }
      if (bytes.length != 28) {
        throw new IllegalArgumentException(
            "'after' must be an endCursor returned by a previous page, got '" + text + "'");
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      Instant exportedAt = Instant.ofEpochSecond(buffer.getLong(), buffer.getInt());
      return new Cursor(exportedAt, new UUID(buffer.getLong(), buffer.getLong()));
    }
  }
}
