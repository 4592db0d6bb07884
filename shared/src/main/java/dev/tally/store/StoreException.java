package dev.tally.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;

/**
 * A database operation failed; the message says which one and, as an SQLState, why. It never holds
 * the values of the operation: a refused value is reported by its SQLState only.
 */
public final class StoreException extends RuntimeException {
  /** What kind of failure it was, which decides who can do something about it. */
  public enum Kind {
    /**
     * The database cannot be reached or is overloaded (connection, resources, operator
     * intervention, a transaction conflict): nothing was done, and the same call may succeed later.
     */
    UNAVAILABLE,
    /**
     * The database refused a value (SQLState classes 22, 23 and 54): the same data will be refused
     * again, so it is the caller's to fix.
     */
    REFUSED_DATA,
    /** Anything else, such as a missing table: a fault of the deployment, not of the caller. */
    FAILED
  }

  private final Kind kind;
  private final String operation;
  private final String sqlState;

  private StoreException(
      String message, Throwable cause, Kind kind, String operation, String sqlState) {
    super(message, cause);
    this.kind = kind;
    this.operation = operation;
    this.sqlState = sqlState;
  }

  /**
   * The failure of {@code what} (such as "store 3 event(s)"). A refused value keeps neither the
   * driver's message nor the exception as its cause: both can quote the values.
   */
  static StoreException of(String what, SQLException e) {
    String state = sqlState(e);
    Kind kind = kind(e, state);
    String because = state == null ? "no SQLState" : "SQLState " + state;
    return switch (kind) {
      case REFUSED_DATA ->
          new StoreException(
              "could not " + what + ": the database refused a value (" + because + ")",
              null,
              kind,
              what,
              state);
      case UNAVAILABLE, FAILED ->
          new StoreException(
              "could not " + what + " (" + because + "): " + e.getMessage(), e, kind, what, state);
    };
  }

  /** What kind of failure it was. */
  public Kind kind() {
    return kind;
  }

  /** What failed, as the caller named it: {@code store 3 event(s)}, {@code read the top events}. */
  public String operation() {
    return operation;
  }

  /** The SQLState the database or the driver reported, or {@code null}. */
  public String sqlState() {
    return sqlState;
  }

  private static String sqlState(SQLException e) {
    // A failed batch reports the statement's own error as the next exception.
    for (SQLException next = e; next != null; next = next.getNextException()) {
      if (next.getSQLState() != null) {
        return next.getSQLState();
      }
      if (next.getNextException() == next) {
        break;
      }
    }
    return null;
  }

  private static Kind kind(SQLException e, String state) {
    if (e instanceof SQLTransientConnectionException
        || e instanceof SQLNonTransientConnectionException
        || e instanceof SQLRecoverableException) {
      return Kind.UNAVAILABLE;
    }
    if (state == null || state.length() < 2) {
      return Kind.FAILED;
    }
    return switch (state.substring(0, 2).toUpperCase(Locale.ROOT)) {
      // connection, transaction rollback (serialization, deadlock), insufficient resources,
      // operator intervention (shutdown, statement timeout), system error
      case "08", "40", "53", "57", "58" -> Kind.UNAVAILABLE;
      // data exception, integrity constraint violation, program limit exceeded
      case "22", "23", "54" -> Kind.REFUSED_DATA;
      default -> Kind.FAILED;
    };
  }
}
