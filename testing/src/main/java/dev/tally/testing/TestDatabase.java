package dev.tally.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** A database of its own for one test class, migrated to the current schema. */
public final class TestDatabase implements AutoCloseable {
  private final PostgresServer server;
  private final String name;
  private final HikariDataSource dataSource;
  private AutoCloseable ownServer;

  TestDatabase(PostgresServer server, String name) {
    this.server = server;
    this.name = name;
    HikariConfig pool = new HikariConfig();
    pool.setPoolName(name);
    pool.setJdbcUrl(url());
    if (server.user() != null) {
      pool.setUsername(server.user());
    }
    if (server.password() != null) {
      pool.setPassword(server.password());
    }
    pool.setMaximumPoolSize(8);
    pool.setMinimumIdle(0);
    // The driver properties of a function's pool, so that statements behave as they do there.
    SchemaSettings.driverProperties().forEach(pool::addDataSourceProperty);
    this.dataSource = new HikariDataSource(pool);
  }

  /**
   * A migrated database on a server of its own, stopped when the database is closed: for test
   * engines that cannot use {@link PostgresExtension}.
   */
  public static TestDatabase onOwnServer() {
    PostgresServer server = PostgresServer.start();
    TestDatabase database = server.createMigratedDatabase();
    database.ownServer = server;
    return database;
  }

  /** A pooled data source for this database. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** The JDBC URL of this database, without credentials. */
  public String url() {
    return server.urlOf(name);
  }

  public String user() {
    return server.user();
  }

  public String password() {
    return server.password();
  }

  /** A further empty database on the same server, with no schema at all. */
  public TestDatabase createEmpty() {
    return server.createDatabase(null);
  }

  /** Runs SQL statements, for arranging a test's state. */
  public void execute(String sql) {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("could not run: " + sql, e);
    }
  }

  /**
   * A row of the egress ledger ({@code egress_ledger}), as export counts it, for a test's state.
   */
  public void egressLedger(
      String day, String feature, String action, int catalogVersion, long events, long bytes) {
    update(
        "INSERT INTO egress_ledger VALUES (?::date, ?, ?, ?, ?, ?)",
        day,
        feature,
        action,
        catalogVersion,
        events,
        bytes);
  }

  /** A row of {@code egress_ledger_fields}: a field path's events left and withheld. */
  public void egressLedgerField(
      String day,
      String feature,
      String action,
      int catalogVersion,
      String field,
      long left,
      long withheld) {
    update(
        "INSERT INTO egress_ledger_fields VALUES (?::date, ?, ?, ?, ?, ?, ?)",
        day,
        feature,
        action,
        catalogVersion,
        field,
        left,
        withheld);
  }

  private void update(String sql, Object... parameters) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("could not run: " + sql, e);
    }
  }

  /**
   * Makes every count into the usage rollups fail, as when one of their indexes refuses a value
   * (SQLState 54000), until the returned handle is closed.
   */
  public AutoCloseable refuseUsageRollups() {
    execute(
        """
        CREATE FUNCTION refuse_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'index row size exceeds maximum' USING ERRCODE = '54000'; END $$;
        CREATE TRIGGER refuse_rollup BEFORE INSERT ON event_usage_daily
            FOR EACH ROW EXECUTE FUNCTION refuse_rollup();
        """);
    return () ->
        execute("DROP TRIGGER refuse_rollup ON event_usage_daily; DROP FUNCTION refuse_rollup()");
  }

  /** The single {@code long} a query returns, such as a count. */
  public long queryLong(String sql) {
    return queryOne(sql, rs -> rs.getLong(1));
  }

  /** The single string a query returns. */
  public String queryString(String sql) {
    return queryOne(sql, rs -> rs.getString(1));
  }

  private interface Column<T> {
    T read(ResultSet row) throws SQLException;
  }

  private <T> T queryOne(String sql, Column<T> column) {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      if (!rs.next()) {
        throw new IllegalStateException("no row from: " + sql);
      }
      return column.read(rs);
    } catch (SQLException e) {
      throw new IllegalStateException("could not run: " + sql, e);
    }
  }

  void closePoolOnly() {
    dataSource.close();
  }

  @Override
  public void close() {
    dataSource.close();
    server.dropDatabase(name);
    if (ownServer != null) {
      try {
        ownServer.close();
      } catch (Exception e) {
        throw new IllegalStateException("could not stop the test database server", e);
      }
    }
  }
}
