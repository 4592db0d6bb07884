package dev.tally.store;

import dev.tally.json.Json;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Reads single events back from {@code event_logs}, as they are stored on the instance: private
 * metadata and marketing columns included. For administrators only; it never leaves the instance.
 */
public final class EventLogs {
  private static final String COLUMNS =
      "event_id, name, feature, action, timestamp, user_id, anonymous_user_id, source, client,"
          + " version, public_argument::text, argument::text, feature_flags::text,"
          + " billing_product_category, interaction_id, url, first_source_url, last_source_url,"
          + " referrer, cohort_id, device_session_id, session_referrer, session_first_url,"
          + " kept_local_reason, catalog_outcome::text";

  private static final Set<String> JSON_COLUMNS =
      Set.of("public_argument", "argument", "feature_flags", "catalog_outcome");

  private final DataSource dataSource;

  public EventLogs(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /**
   * A stored event.
   *
   * @param columns every column of its row by name, in table order, {@code null} where empty; the
   *     {@code jsonb} columns as JSON values, times as ISO-8601 text
   */
  public record StoredEvent(UUID id, String name, Instant timestamp, Map<String, Object> columns) {}

  /** The event with this ID, or empty. */
  public Optional<StoredEvent> find(UUID id) {
    return Jdbc.queryOne(
        dataSource,
        "read event " + id,
        "SELECT " + COLUMNS + " FROM event_logs WHERE event_id = ?",
        EventLogs::storedEvent,
        id);
  }

  private static StoredEvent storedEvent(ResultSet row) throws SQLException {
    ResultSetMetaData meta = row.getMetaData();
    Map<String, Object> columns = new LinkedHashMap<>();
    for (int i = 1; i <= meta.getColumnCount(); i++) {
      Object value = row.getObject(i);
      if (value instanceof Timestamp timestamp) {
        value = timestamp.toInstant().toString();
      } else if (value instanceof UUID uuid) {
        value = uuid.toString();
      } else if (value != null && JSON_COLUMNS.contains(meta.getColumnLabel(i))) {
        value = json((String) value);
      }
      // A cast keeps the column's name: public_argument::text is public_argument.
      columns.put(meta.getColumnLabel(i), value);
    }
    return new StoredEvent(
        row.getObject("event_id", UUID.class),
        row.getString("name"),
        Jdbc.instant(row.getTimestamp("timestamp")),
        columns);
  }

  /** A recorded event in a listing. */
  public record Recorded(long position, UUID id, String name, Instant timestamp, String client) {}

  /**
   * The most recently recorded events first (in the order they were stored), a page at a time.
   *
   * @param first how many to return
   * @param before the {@link Recorded#position()} of the last event of the previous page, or {@code
   *     null} for the newest
   */
  public List<Recorded> listRecent(int first, Long before) {
    String select =
        "SELECT id, event_id, name, timestamp, coalesce(client, source) FROM event_logs";
    return before == null
        ? Jdbc.query(
            dataSource,
            "list recorded events",
            select + " ORDER BY id DESC LIMIT ?",
            RECORDED,
            first)
        : Jdbc.query(
            dataSource,
            "list recorded events",
            select + " WHERE id < ? ORDER BY id DESC LIMIT ?",
            RECORDED,
            before,
            first);
  }

  private static final Jdbc.RowMapper<Recorded> RECORDED =
      row ->
          new Recorded(
              row.getLong(1),
              row.getObject(2, UUID.class),
              row.getString(3),
              Jdbc.instant(row.getTimestamp(4)),
              row.getString(5));

  private static Object json(String text) {
    try {
      return Json.read(text);
    } catch (IOException e) {
      throw new IllegalStateException("a jsonb column holds JSON", e);
    }
  }
}
