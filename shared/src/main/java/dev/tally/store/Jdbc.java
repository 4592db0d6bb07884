package dev.tally.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The JDBC kit the stores share: connections and transactions, statements with {@code ?}
 * parameters, and rows read by a {@link RowMapper}. An {@link SQLException} is wrapped once, in a
 * {@link StoreException} naming the operation, by the call that took the connection ({@link
 * #inTransaction}, {@link #withConnection}, or a statement helper given a {@link DataSource}); the
 * helpers given a {@link Connection} run inside such a call and let it do the wrapping.
 *
 * <p>Parameters are bound by their Java type: {@link String}, {@link Integer}, {@link Long}, {@link
 * Boolean}, {@code byte[]}, {@link UUID}, {@link Instant} and {@link Timestamp} (as {@code
 * timestamp}), {@link LocalDate} (as {@code date}), an array made by {@link #uuidArray} or {@link
 * #textArray}, and {@code null}, whose type the database infers from where it stands (so a bare
 * {@code ? IS NULL} needs a cast, such as {@code CAST(? AS bigint)}).
 */
public final class Jdbc {
  private Jdbc() {}

  /** Work done with a connection. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  /** Maps the current row of a result to a value; it never moves the cursor. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction and returns only after it committed; rolls back on any
   * failure.
   *
   * @param what names the operation in the error, for example "store 100 events"
   */
  public static <T> T inTransaction(DataSource dataSource, String what, SqlWork<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      T result;
      try {
        result = work.run(connection);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        // A lost connection refuses the rollback and the reset too ("Connection is closed", no
        // SQLState): they must not hide the failure that says why.
        rollback(connection, e);
        restoreAutoCommit(connection, autoCommit, e);
        throw e;
      }
      connection.setAutoCommit(autoCommit);
      return result;
    } catch (SQLException e) {
      throw StoreException.of(what, e);
    }
  }

  /** Runs {@code work} on a connection in auto-commit mode. */
  public static <T> T withConnection(DataSource dataSource, String what, SqlWork<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      return work.run(connection);
    } catch (SQLException e) {
      throw StoreException.of(what, e);
    }
  }

  /** Every row {@code sql} returns, mapped, in the order of the result. */
  public static <T> List<T> query(
      Connection connection, String sql, RowMapper<T> mapper, Object... params)
      throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, params);
        ResultSet rows = statement.executeQuery()) {
      List<T> mapped = new ArrayList<>();
      while (rows.next()) {
        mapped.add(mapper.map(rows));
      }
      return mapped;
    }
  }

  /**
   * The first row {@code sql} returns, mapped, or empty when it returns none. For a query of one
   * row at most (by key, an aggregate, {@code RETURNING} of one row); further rows are not read.
   *
   * @throws NullPointerException when {@code mapper} maps the row to {@code null}
   */
  public static <T> Optional<T> queryOne(
      Connection connection, String sql, RowMapper<T> mapper, Object... params)
      throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, params);
        ResultSet rows = statement.executeQuery()) {
      if (!rows.next()) {
        return Optional.empty();
      }
      return Optional.of(Objects.requireNonNull(mapper.map(rows), "the row mapper returned null"));
    }
  }

  /**
   * Runs an {@code INSERT}, {@code UPDATE} or {@code DELETE} without {@code RETURNING}.
   *
   * @return how many rows it changed
   */
  public static int update(Connection connection, String sql, Object... params)
      throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, params)) {
      return statement.executeUpdate();
    }
  }

  /**
   * Runs {@code sql} once for each of {@code rows}, as one JDBC batch, with the parameters {@code
   * paramsOf} gives for the row.
   */
  public static <T> void batch(
      Connection connection, String sql, Collection<T> rows, Function<T, Object[]> paramsOf)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (T row : rows) {
        bind(connection, statement, paramsOf.apply(row));
        statement.addBatch();
      }
      statement.executeBatch();
    }
  }

  /** {@link #query(Connection, String, RowMapper, Object...)} on a connection of its own. */
  public static <T> List<T> query(
      DataSource dataSource, String what, String sql, RowMapper<T> mapper, Object... params) {
    return withConnection(dataSource, what, connection -> query(connection, sql, mapper, params));
  }

  /** {@link #queryOne(Connection, String, RowMapper, Object...)} on a connection of its own. */
  public static <T> Optional<T> queryOne(
      DataSource dataSource, String what, String sql, RowMapper<T> mapper, Object... params) {
    return withConnection(
        dataSource, what, connection -> queryOne(connection, sql, mapper, params));
  }

  /** {@link #update(Connection, String, Object...)} on a connection of its own, auto-committed. */
  public static int update(DataSource dataSource, String what, String sql, Object... params) {
    return withConnection(dataSource, what, connection -> update(connection, sql, params));
  }

  /** A parameter bound as a PostgreSQL {@code uuid[]}, for {@code id = ANY (?)}. */
  public static SqlArray uuidArray(Collection<UUID> ids) {
    return new SqlArray("uuid", ids.toArray(new UUID[0]));
  }

  /** A parameter bound as a PostgreSQL {@code text[]}. */
  public static SqlArray textArray(Collection<String> values) {
    return new SqlArray("text", values.toArray(new String[0]));
  }

  /** An array parameter: its elements and the name of their SQL type. */
  public record SqlArray(String elementType, Object[] elements) {
    public SqlArray {
      Objects.requireNonNull(elementType, "elementType");
      elements = elements.clone();
    }
  }

  /** The instant of a {@code timestamptz} value, or {@code null}. */
  static Instant instant(Timestamp timestamp) {
    return timestamp == null ? null : timestamp.toInstant();
  }

  private static PreparedStatement prepare(Connection connection, String sql, Object... params)
      throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    try {
      bind(connection, statement, params);
      return statement;
    } catch (SQLException | RuntimeException e) {
      try {
        statement.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  private static void bind(Connection connection, PreparedStatement statement, Object... params)
      throws SQLException {
    for (int i = 0; i < params.length; i++) {
      int index = i + 1;
      Object param = params[i];
      if (param == null) {
        statement.setNull(index, Types.NULL);
      } else if (param instanceof String text) {
        statement.setString(index, text);
      } else if (param instanceof Integer number) {
        statement.setInt(index, number);
      } else if (param instanceof Long number) {
        statement.setLong(index, number);
      } else if (param instanceof Boolean flag) {
        statement.setBoolean(index, flag);
      } else if (param instanceof byte[] bytes) {
        statement.setBytes(index, bytes);
      } else if (param instanceof UUID id) {
        statement.setObject(index, id);
      } else if (param instanceof Instant instant) {
        statement.setTimestamp(index, Timestamp.from(instant));
      } else if (param instanceof Timestamp timestamp) {
        statement.setTimestamp(index, timestamp);
      } else if (param instanceof LocalDate day) {
        statement.setObject(index, day);
      } else if (param instanceof SqlArray array) {
        Array sqlArray = connection.createArrayOf(array.elementType(), array.elements());
        statement.setArray(index, sqlArray);
      } else {
        throw new IllegalArgumentException(
            "cannot bind parameter "
                + index
                + " of type "
                + param.getClass().getName()
                + "; bind a String, Integer, Long, Boolean, byte[], UUID, Instant, Timestamp,"
                + " LocalDate or SqlArray");
      }
    }
  }

  private static void rollback(Connection connection, Exception cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static void restoreAutoCommit(
      Connection connection, boolean autoCommit, Exception cause) {
    try {
      connection.setAutoCommit(autoCommit);
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
