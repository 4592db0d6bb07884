package dev.tally.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * A listing of a table's rows newest first, read a page at a time with an opaque cursor: the rows
 * whose {@code timeColumn} is set, ordered by it and then by their {@code uuid} key {@code id},
 * both descending.
 *
 * <p>A page holds at most the rows asked for, and ends early rather than read more than {@code
 * pageBytes} bytes of {@code payloadColumn} (it always holds one row when there is one): its rows
 * are chosen first by their IDs and payload sizes alone, and only then are their {@code columns}
 * read, all in one {@code REPEATABLE READ} snapshot.
 *
 * @param what names the listing in errors, such as "list exported events"
 * @param columns the columns {@code mapper} reads, {@code id} first
 * @param cursorOf the position of a mapped row, for the cursor of a page that ends with it
 */
record NewestFirstListing<T>(
    String what,
    String table,
    String timeColumn,
    String payloadColumn,
    long pageBytes,
    String columns,
    Jdbc.RowMapper<T> mapper,
    Function<T, Cursor> cursorOf) {

  NewestFirstListing {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(mapper, "mapper");
    Objects.requireNonNull(cursorOf, "cursorOf");
    if (pageBytes < 1) {
      throw new IllegalArgumentException("pageBytes must be at least 1, got " + pageBytes);
    }
  }

  /** One page, and how many rows the whole listing holds. */
  record Page<T>(List<T> nodes, long total, boolean hasNext, String endCursor) {}

  /**
   * The page after {@code after}.
   *
   * @param first how many rows to return at most
   * @param after the {@link Page#endCursor()} of the previous page, or {@code null} for the first
   * @throws IllegalArgumentException when {@code first} is negative or {@code after} is not a
   *     cursor of a listing
   */
  Page<T> page(DataSource dataSource, int first, String after) {
    return page(dataSource, first, after, null);
  }

  /**
   * The page after {@code after} of the rows that also meet {@code condition}.
   *
   * @param condition an SQL condition on the table's rows with one parameter, {@code value}; {@code
   *     null}: every row
   */
  Page<T> page(DataSource dataSource, int first, String after, String condition, Object value) {
    return page(dataSource, first, after, condition == null ? null : new Filter(condition, value));
  }

  private record Filter(String condition, Object value) {}

  private Page<T> page(DataSource dataSource, int first, String after, Filter filter) {
    if (first < 0) {
      throw new IllegalArgumentException("'first' must not be negative, got " + first);
    }
    Cursor cursor = after == null ? null : Cursor.decode(after);
    String where =
        " WHERE "
            + timeColumn
            + " IS NOT NULL"
            + (filter == null ? "" : " AND (" + filter.condition() + ")");
    return Jdbc.inTransaction(
        dataSource,
        what,
        connection -> {
          // One snapshot: the rows chosen first are read as they were then.
          try (Statement snapshot = connection.createStatement()) {
            snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
          }
          long total =
              Jdbc.queryOne(
                      connection,
                      "SELECT count(*) FROM " + table + where,
                      row -> row.getLong(1),
                      filter == null ? new Object[0] : new Object[] {filter.value()})
                  .orElseThrow();
          List<IdAndSize> candidates =
              Jdbc.query(
                  connection,
                  "SELECT id, octet_length("
                      + payloadColumn
                      + ") FROM "
                      + table
                      + where
                      + (cursor == null ? "" : " AND (" + timeColumn + ", id) < (?, ?)")
                      + " ORDER BY "
                      + timeColumn
                      + " DESC, id DESC LIMIT ?",
                  row -> new IdAndSize(row.getObject(1, UUID.class), row.getLong(2)),
                  parameters(
                      filter,
                      cursor == null
                          ? new Object[] {first + 1}
                          : new Object[] {cursor.at(), cursor.id(), first + 1}));
          List<UUID> ids = new ArrayList<>();
          boolean hasNext = false;
          long bytes = 0;
          for (IdAndSize candidate : candidates) {
            bytes += candidate.size();
            if (ids.size() == first || (!ids.isEmpty() && bytes > pageBytes)) {
              hasNext = true;
              break;
            }
            ids.add(candidate.id());
          }
          Map<UUID, T> rows = new HashMap<>();
          if (!ids.isEmpty()) {
            for (Keyed<T> keyed :
                Jdbc.query(
                    connection,
                    "SELECT " + columns + " FROM " + table + " WHERE id = ANY (?)",
                    row -> new Keyed<>(row.getObject(1, UUID.class), mapper.map(row)),
                    Jdbc.uuidArray(ids))) {
              rows.put(keyed.id(), keyed.row());
            }
          }
          List<T> nodes = new ArrayList<>(ids.size());
          for (UUID id : ids) {
            T row = rows.get(id);
            if (row != null) {
              nodes.add(row);
            }
          }
          String endCursor =
              nodes.isEmpty() ? null : cursorOf.apply(nodes.get(nodes.size() - 1)).encode();
          return new Page<>(nodes, total, hasNext, endCursor);
        });
  }

  /** The filter's value (its parameter comes first in the query), then {@code rest}. */
  private static Object[] parameters(Filter filter, Object[] rest) {
    if (filter == null) {
      return rest;
    }
    Object[] all = new Object[rest.length + 1];
    all[0] = filter.value();
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private record IdAndSize(UUID id, long size) {}

  private record Keyed<T>(UUID id, T row) {}

  /** Position in a newest-first listing: the time and ID of the last row of a page. */
  record Cursor(Instant at, UUID id) {
    String encode() {
      ByteBuffer buffer = ByteBuffer.allocate(8 + 4 + 16);
      buffer.putLong(at.getEpochSecond()).putInt(at.getNano());
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
      Instant at = Instant.ofEpochSecond(buffer.getLong(), buffer.getInt());
      return new Cursor(at, new UUID(buffer.getLong(), buffer.getLong()));
    }
  }
}
