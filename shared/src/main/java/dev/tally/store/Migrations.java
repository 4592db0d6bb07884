package dev.tally.store;

import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned schema migrations under {@code db/tally}.
 *
 * <p>Safe to run from several processes at once: Flyway holds a PostgreSQL advisory lock while it
 * migrates, so one applies and the others find nothing left to do.
 */
public final class Migrations {
  static final String LOCATION = "classpath:db/tally";
  static final String HISTORY_TABLE = "tally_schema_history";

  private Migrations() {}

  /**
   * Applies pending migrations.
   *
   * @return how many were applied
   */
  public static int apply(DataSource dataSource) {
    MigrateResult result =
        Flyway.configure()
            .dataSource(dataSource)
            .locations(LOCATION)
            .table(HISTORY_TABLE)
            .loggers("slf4j")
            .load()
            .migrate();
    return result.migrationsExecuted;
  }

  /**
   * The explicit migration step of a deploy: reads {@code DATABASE_URL} (and {@code DATABASE_USER},
   * {@code DATABASE_PASSWORD}) and applies pending migrations.
   */
  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    DatabaseConfig config = DatabaseConfig.fromEnv(env);
    try (var dataSource =
        DataSources.pooled(
            new DatabaseConfig(config.url(), config.user(), config.password(), 1, false),
            "tally-migrate")) {
      int applied = apply(dataSource);
      System.out.println("applied " + applied + " migration(s)");
    }
  }
}
