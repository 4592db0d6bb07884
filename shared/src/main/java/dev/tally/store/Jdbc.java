package dev.tally.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import javax.sql.DataSource;

/** Connection and transaction handling shared by the stores. */
public final class Jdbc {
  private Jdbc() {}

  /** Work done with a connection. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
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

  static Timestamp timestamp(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  static Instant instant(Timestamp timestamp) {
    return timestamp == null ? null : timestamp.toInstant();
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
