package dev.tally.store;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned schema migrations under {@code db/tally}.
 *
 * <p>Run them as a deploy step with {@code dev.tally.admin.TallyAdmin migrate}, or at start-up
 * where {@code DATABASE_MIGRATE_ON_START} is set. Safe to run from several processes at once:
 * Flyway holds a PostgreSQL advisory lock while it migrates, so one applies and the others find
 * nothing left to do.
 */
public final class Migrations {
  static final String LOCATION = "classpath:db/tally";
  static final String HISTORY_TABLE = "tally_schema_history";

  private Migrations() {}

  /**
   * Applies pending migrations over connections of their own (two while migrating), so that a
   * function's small pool is never short of one.
   *
   * @return how many were applied
   */
  public static int apply(DatabaseConfig config) {
    return migrate(Flyway.configure().dataSource(config.url(), config.user(), config.password()));
  }

  /**
   * Applies pending migrations with connections from {@code dataSource}, which must be able to give
   * two at once.
   *
   * @return how many were applied
   */
  public static int apply(DataSource dataSource) {
    return migrate(Flyway.configure().dataSource(dataSource));
  }

  private static int migrate(org.flywaydb.core.api.configuration.FluentConfiguration flyway) {
    MigrateResult result =
        flyway.locations(LOCATION).table(HISTORY_TABLE).loggers("slf4j").load().migrate();
    return result.migrationsExecuted;
  }
}
