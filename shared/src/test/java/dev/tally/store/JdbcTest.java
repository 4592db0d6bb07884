package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class JdbcTest {
  private final TestDatabase db;

  JdbcTest(TestDatabase db) {
    this.db = db;
  }

  /** A row of {@code jdbc_kit}, the scratch table of these tests. */
  private record Row(
      long id, String name, UUID key, Instant at, LocalDate day, byte[] payload, Long count) {}

  private static final Jdbc.RowMapper<Row> ROW =
      row ->
          new Row(
              row.getLong(1),
              row.getString(2),
              row.getObject(3, UUID.class),
              Jdbc.instant(row.getTimestamp(4)),
              row.getObject(5, LocalDate.class),
              row.getBytes(6),
              row.getObject(7, Long.class));

  private static final String SELECT =
      "SELECT id, name, key, at, day, payload, count FROM jdbc_kit";

  private static final String INSERT =
      "INSERT INTO jdbc_kit (name, key, at, day, payload, count, flag) VALUES (?, ?, ?, ?, ?, ?, ?)";

  @BeforeEach
  void scratchTable() {
    db.execute(
        "DROP TABLE IF EXISTS jdbc_kit;"
            + " CREATE TABLE jdbc_kit (id bigserial PRIMARY KEY, name text NOT NULL, key uuid,"
            + " at timestamptz, day date, payload bytea, count bigint, flag boolean,"
            + " small integer)");
  }

  @Test
  void update_bindsEachParameterByItsTypeAndQueryMapsTheRowsBack() {
    UUID key = UUID.randomUUID();
    Instant at = Instant.parse("2024-05-01T10:00:00.123456Z");
    LocalDate day = LocalDate.of(2024, 2, 29);

    int inserted =
        Jdbc.update(
            db.dataSource(),
            "insert a row",
            INSERT,
            "first",
            key,
            at,
            day,
            new byte[] {1, 2, 3},
            42L,
            true);
    Jdbc.update(
        db.dataSource(), "insert a row", INSERT, "second", null, null, null, null, null, null);

    assertEquals(1, inserted);
    List<Row> rows = Jdbc.query(db.dataSource(), "list rows", SELECT + " ORDER BY id", ROW);
    assertEquals(2, rows.size());
    Row first = rows.get(0);
    assertEquals("first", first.name());
    assertEquals(key, first.key());
    assertEquals(at, first.at());
    assertEquals(day, first.day());
    assertArrayEquals(new byte[] {1, 2, 3}, first.payload());
    assertEquals(42L, first.count());
    Row second = rows.get(1);
    assertEquals("second", second.name());
    assertNull(second.key(), "a null parameter takes the type of its column");
    assertNull(second.at());
    assertNull(second.count());
    assertEquals(1, db.queryLong("SELECT count(*) FROM jdbc_kit WHERE flag AND name = 'first'"));
  }

  @Test
  void query_bindsIntegersAndArraysOfIdsAndText() {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    for (UUID key : List.of(a, b, UUID.randomUUID())) {
      Jdbc.update(
          db.dataSource(),
          "insert a row",
          "INSERT INTO jdbc_kit (name, key, small) VALUES (?, ?, ?)",
          key == a ? "a" : key == b ? "b" : "other",
          key,
          7);
    }

    List<String> byKeys =
        Jdbc.query(
            db.dataSource(),
            "find rows",
            "SELECT name FROM jdbc_kit WHERE key = ANY (?) AND small = ? ORDER BY name",
            row -> row.getString(1),
            Jdbc.uuidArray(List.of(a, b)),
            7);
    List<String> byNames =
        Jdbc.query(
            db.dataSource(),
            "find rows",
            "SELECT name FROM jdbc_kit WHERE name = ANY (?) ORDER BY name",
            row -> row.getString(1),
            Jdbc.textArray(List.of("other", "b")));

    assertEquals(List.of("a", "b"), byKeys);
    assertEquals(List.of("b", "other"), byNames);
  }

  @Test
  void queryOne_readsTheFirstRowOrNothing() {
    Jdbc.update(db.dataSource(), "insert a row", "INSERT INTO jdbc_kit (name) VALUES ('x')");

    Optional<String> found =
        Jdbc.queryOne(
            db.dataSource(),
            "read a row",
            "SELECT name FROM jdbc_kit WHERE name = ?",
            row -> row.getString(1),
            "x");
    Optional<String> missing =
        Jdbc.queryOne(
            db.dataSource(),
            "read a row",
            "SELECT name FROM jdbc_kit WHERE name = ?",
            row -> row.getString(1),
            "y");

    assertEquals(Optional.of("x"), found);
    assertEquals(Optional.empty(), missing);
    NullPointerException nullRow =
        assertThrows(
            NullPointerException.class,
            () ->
                Jdbc.queryOne(
                    db.dataSource(), "read a row", "SELECT NULL::text", row -> row.getString(1)));
    assertEquals("the row mapper returned null", nullRow.getMessage());
  }

  @Test
  void batch_runsTheStatementOncePerRowInTheCallersTransaction() {
    List<String> names = List.of("a", "b", "c");

    Jdbc.inTransaction(
        db.dataSource(),
        "insert rows",
        connection -> {
          Jdbc.batch(
              connection,
              "INSERT INTO jdbc_kit (name, small) VALUES (?, ?)",
              names,
              name -> new Object[] {name, name.length()});
          return null;
        });

    assertEquals(3, db.queryLong("SELECT count(*) FROM jdbc_kit WHERE small = 1"));
  }

  @Test
  void helpersOnAConnection_failTheEnclosingTransactionOnceNamingItsOperation() {
    Jdbc.update(db.dataSource(), "insert a row", "INSERT INTO jdbc_kit (name) VALUES ('kept')");

    StoreException failure =
        assertThrows(
            StoreException.class,
            () ->
                Jdbc.inTransaction(
                    db.dataSource(),
                    "rename and break",
                    connection -> {
                      Jdbc.update(connection, "UPDATE jdbc_kit SET name = 'renamed'");
                      return Jdbc.update(connection, "INSERT INTO jdbc_kit (name) VALUES (NULL)");
                    }));

    assertEquals("rename and break", failure.operation());
    assertEquals(StoreException.Kind.REFUSED_DATA, failure.kind());
    assertEquals("23502", failure.sqlState(), "not null violation");
    assertTrue(
        failure.getMessage().startsWith("could not rename and break: the database refused"),
        failure.getMessage());
    assertEquals(
        "kept", db.queryString("SELECT name FROM jdbc_kit"), "the whole transaction rolled back");
  }

  @Test
  void helpersOnADataSource_wrapTheFailureNamingTheOperation() {
    StoreException failure =
        assertThrows(
            StoreException.class,
            () ->
                Jdbc.query(
                    db.dataSource(),
                    "read a missing table",
                    "SELECT * FROM no_such_table",
                    row -> row.getString(1)));

    assertEquals("read a missing table", failure.operation());
    assertEquals(StoreException.Kind.FAILED, failure.kind());
    assertEquals("42P01", failure.sqlState());
    assertTrue(failure.getCause() instanceof java.sql.SQLException, "once: the driver's error");
  }

  @Test
  void aParameterOfAnotherType_isRefusedNamingItsPlaceAndTheTypesThatBind() {
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Jdbc.update(
                    db.dataSource(),
                    "insert a row",
                    "INSERT INTO jdbc_kit (name, small) VALUES (?, ?)",
                    "x",
                    3.5f));

    assertEquals(
        "cannot bind parameter 2 of type java.lang.Float; bind a String, Integer, Long, Boolean,"
            + " byte[], UUID, Instant, Timestamp, LocalDate or SqlArray",
        refused.getMessage());
    assertEquals(0, db.queryLong("SELECT count(*) FROM jdbc_kit"));
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
