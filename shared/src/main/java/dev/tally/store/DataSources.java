package dev.tally.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** Creates the connection pool of a function instance. */
public final class DataSources {
  private DataSources() {}

  /**
   * A pool of {@link DatabaseConfig#poolSize()} connections that opens them on first use, and
   * applies migrations first when so configured.
   */
  public static HikariDataSource pooled(DatabaseConfig config, String poolName) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName(poolName);
    hikari.setJdbcUrl(config.url());
    if (config.user() != null) {
      hikari.setUsername(config.user());
    }
    if (config.password() != null) {
      hikari.setPassword(config.password());
    }
    hikari.setMaximumPoolSize(config.poolSize());
    // A function instance may sit idle for long; do not hold connections it does not use.
    hikari.setMinimumIdle(0);
    hikari.setConnectionTimeout(config.connectTimeout().toMillis());
    hikari.setInitializationFailTimeout(-1);
    DatabaseSettings.driverProperties().forEach(hikari::addDataSourceProperty);
    HikariDataSource pool = new HikariDataSource(hikari);
    if (config.migrateOnStart()) {
      try {
        Migrations.applyIfBehind(pool, config);
      } catch (RuntimeException | Error e) {
        pool.close();
        throw e;
      }
    }
    return pool;
  }
}
