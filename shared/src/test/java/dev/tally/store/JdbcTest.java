package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class JdbcTest {
  private final TestDatabase db;

  JdbcTest(TestDatabase db) {
    this.db = db;
  }

  /**
   * A connection lost in a transaction (as every connection is when the server restarts after a
   * crash) fails the call as an outage, which record-event answers with 503: the pool's refusals to
   * roll back and reset the lost connection do not hide why it failed.
   */
  @Test
  void inTransaction_whoseConnectionIsLost_failsAsUnavailable() {
    try (HikariDataSource pool =
        DataSources.pooled(
            new DatabaseConfig(db.url(), db.user(), db.password(), 1, false), "jdbc-test")) {
      StoreException failure = loseTheConnection(pool);

      assertEquals(StoreException.Kind.UNAVAILABLE, failure.kind(), failure.getMessage());
      assertEquals("57P01", failure.sqlState(), "the server's reason: administrator command");
    }
  }

  @Test
  void inTransaction_afterALostConnection_runsOnANewOne() {
    try (HikariDataSource pool =
        DataSources.pooled(
            new DatabaseConfig(db.url(), db.user(), db.password(), 1, false), "jdbc-test")) {
      loseTheConnection(pool);

      String answer =
          Jdbc.inTransaction(
              pool,
              "answer",
              connection -> {
                try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT 'answered'")) {
                  rs.next();
                  return rs.getString(1);
                }
              });

      assertEquals("answered", answer);
    }
  }

  /** A transaction whose backend the server ends, and how it failed. */
  private static StoreException loseTheConnection(HikariDataSource pool) {
    return assertThrows(
        StoreException.class,
        () ->
            Jdbc.inTransaction(
                pool,
                "lose the connection",
                connection -> {
                  try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                  }
                  return null;
                }));
  }
}
