package dev.tally.store;

import dev.tally.config.Env;
import java.time.Duration;
import java.util.Map;

/**
 * How to reach the instance's PostgreSQL database.
 *
 * @param url JDBC URL ({@value #URL}); for Cloud SQL, a postgres-socket-factory URL such as {@code
 *     jdbc:postgresql:///tally?cloudSqlInstance=project:region:instance&socketFactory=com.google.cloud.sql.postgres.SocketFactory}
 * @param user database user ({@value #USER}), or {@code null} when the URL carries it
 * @param password database password ({@value #PASSWORD}), or {@code null}
 * @param poolSize connections per function instance ({@value #POOL_SIZE})
 * @param migrateOnStart apply pending migrations when the pool is created, before the instance
 *     serves ({@value #MIGRATE_ON_START}); see {@link Migrations#applyIfBehind}
 * @param connectTimeout how long a request waits for a connection before it fails ({@value
 *     #CONNECT_TIMEOUT})
 */
public record DatabaseConfig(
    String url,
    String user,
    String password,
    int poolSize,
    boolean migrateOnStart,
    Duration connectTimeout) {

  public static final String URL = "DATABASE_URL";
  public static final String USER = "DATABASE_USER";
  public static final String PASSWORD = "DATABASE_PASSWORD";
  public static final String POOL_SIZE = "DATABASE_POOL_SIZE";
  public static final String MIGRATE_ON_START = "DATABASE_MIGRATE_ON_START";
  public static final String CONNECT_TIMEOUT = "DATABASE_CONNECT_TIMEOUT";

  /** Ten seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Settings with the default connect timeout. */
  public DatabaseConfig(
      String url, String user, String password, int poolSize, boolean migrateOnStart) {
    this(url, user, password, poolSize, migrateOnStart, DEFAULT_CONNECT_TIMEOUT);
  }

  /** Reads the settings; {@value #URL} is required. */
  public static DatabaseConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    String url = env.required(URL);
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new dev.tally.config.ConfigException(
          URL + " must be a PostgreSQL JDBC URL starting with jdbc:postgresql:, got '" + url + "'");
    }
    return new DatabaseConfig(
        url,
        env.string(USER, null),
        env.string(PASSWORD, null),
        env.integer(POOL_SIZE, 2, 1, 50),
        env.bool(MIGRATE_ON_START, false),
        env.duration(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(250)));
  }

  @Override
  public String toString() {
    // Never print the password.
    return "DatabaseConfig[url=" + url + ", user=" + user + ", poolSize=" + poolSize + "]";
  }
}
