package dev.tally.export;

import dev.tally.proto.telemetrygateway.v1.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/** Writes events straight into the export queue, as recording queues them, for export's tests. */
public final class QueuedEvents {
  private QueuedEvents() {}

  /** Queues {@code events} (each with a UUID as its ID) at {@code queuedAt}, in one batch. */
  public static void insert(DataSource dataSource, List<Event> events, Instant queuedAt) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert =
            connection.prepareStatement(
                "INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb)"
                    + " VALUES (?, ?, ?)")) {
      for (Event event : events) {
        insert.setObject(1, UUID.fromString(event.getId()));
        insert.setTimestamp(2, Timestamp.from(queuedAt));
        insert.setBytes(3, event.toByteArray());
        insert.addBatch();
      }
      insert.executeBatch();
    } catch (SQLException e) {
      throw new IllegalStateException("could not queue " + events.size() + " events", e);
    }
  }
}
