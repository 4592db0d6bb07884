package dev.tally.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;

/**
 * One PostgreSQL server for a whole test run: the server at {@code TEST_DATABASE_URL} when that is
 * set (a role that may create databases), otherwise embedded PostgreSQL binaries from Maven Central
 * started on a free loopback port. Each test class gets a copy of a template database that was
 * migrated once.
 */
final class PostgresServer implements AutoCloseable {
  static final String TEST_DATABASE_URL = "TEST_DATABASE_URL";

  private static final Pattern URL =
      Pattern.compile("jdbc:postgresql://([^/?]+)/([^?]*)(?:\\?(.*))?");

  private final EmbeddedPostgres embedded;
  private final String hostAndPort;
  private final String user;
  private final String password;
  private final String adminDatabase;
  private final String template;
  private final String runId = UUID.randomUUID().toString().substring(0, 8);
  private final AtomicInteger databases = new AtomicInteger();

  private PostgresServer(
      EmbeddedPostgres embedded,
      String hostAndPort,
      String user,
      String password,
      String adminDatabase) {
    this.embedded = embedded;
    this.hostAndPort = hostAndPort;
    this.user = user;
    this.password = password;
    this.adminDatabase = adminDatabase;
    this.template = "tally_template_" + runId;
  }

  static PostgresServer start() {
    String external = System.getenv(TEST_DATABASE_URL);
    PostgresServer server =
        external == null || external.isBlank() ? embedded() : external(external);
    server.createTemplate();
    return server;
  }

  private static PostgresServer embedded() {
    try {
      // Fast settings: no test crashes this shared server (DatabaseCrashIT, which crashes one,
      // starts a durable server of its own), and durable commits would slow every test class.
      EmbeddedPostgres postgres =
          PostgresDurability.FAST.applyTo(EmbeddedPostgres.builder()).start();
      return new PostgresServer(
          postgres, "127.0.0.1:" + postgres.getPort(), "postgres", null, "postgres");
    } catch (IOException e) {
      throw new IllegalStateException(
          "could not start embedded PostgreSQL; set "
              + TEST_DATABASE_URL
              + " to use a running server instead",
          e);
    }
  }

  private static PostgresServer external(String url) {
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      throw new IllegalStateException(
          TEST_DATABASE_URL
              + " must look like jdbc:postgresql://host:port/database?user=u&password=p, got '"
              + url
              + "'");
    }
    String user = null;
    String password = null;
    if (m.group(3) != null) {
      for (String parameter : m.group(3).split("&")) {
        String[] kv = parameter.split("=", 2);
        if (kv[0].equals("user")) {
          user = kv[1];
        } else if (kv[0].equals("password")) {
          password = kv[1];
        }
      }
    }
    String database = m.group(2).isEmpty() ? "postgres" : m.group(2);
    return new PostgresServer(null, m.group(1), user, password, database);
  }

  String user() {
    return user;
  }

  String password() {
    return password;
  }

  String urlOf(String database) {
    return "jdbc:postgresql://" + hostAndPort + "/" + database;
  }

  private void createTemplate() {
    admin("CREATE DATABASE " + template);
    TestDatabase migrated = new TestDatabase(this, template);
    try {
      Flyway.configure()
          .dataSource(migrated.dataSource())
          .configuration(SchemaSettings.flyway())
          .load()
          .migrate();
    } finally {
      // Closing drops nothing here: a template must stay; only the pool is closed.
      migrated.closePoolOnly();
    }
  }

  /** A new database: a copy of the migrated template, or empty when {@code from} is null. */
  TestDatabase createDatabase(String from) {
    String name = "tally_test_" + runId + "_" + databases.incrementAndGet();
    admin("CREATE DATABASE " + name + (from == null ? "" : " TEMPLATE " + from));
    return new TestDatabase(this, name);
  }

  TestDatabase createMigratedDatabase() {
    return createDatabase(template);
  }

  void dropDatabase(String name) {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private void admin(String sql) {
    Properties properties = new Properties();
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
    try (Connection connection = DriverManager.getConnection(urlOf(adminDatabase), properties);
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("could not run on the test server: " + sql, e);
    }
  }

  @Override
  public void close() throws IOException {
    if (embedded != null) {
      embedded.close();
    } else {
      dropDatabase(template);
    }
  }
}
