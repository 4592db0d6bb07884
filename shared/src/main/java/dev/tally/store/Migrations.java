package dev.tally.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned schema migrations under {@code db/tally}.
 *
 * <p>They run at start-up where {@code DATABASE_MIGRATE_ON_START} is set (as the Terraform sets
 * it), or by hand with {@code dev.tally.admin.TallyAdmin migrate}. Safe to run from several
 * processes at once: Flyway holds a PostgreSQL advisory lock while it migrates, so one applies and
 * the others find nothing left to do.
 */
public final class Migrations {
  static final String HISTORY_TABLE = DatabaseSettings.flyway().get("flyway.table");

  private static final String RESOURCE_DIRECTORY = "db/tally";
  private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__[^/]+\\.sql");

  private Migrations() {}

  /**
   * Applies pending migrations when the schema is behind the code, as a function does at start-up:
   * a schema that is current costs one query through {@code pool}, and Flyway (about a second of
   * CPU to load at a cold start, measured) loads only when a migration is pending. It does not
   * re-check the checksums of applied migrations; {@code TallyAdmin migrate} does.
   *
   * @return how many were applied
   */
  public static int applyIfBehind(DataSource pool, DatabaseConfig config) {
    int bundled = latestBundledVersion(Migrations.class.getClassLoader());
    int applied =
        Jdbc.withConnection(pool, "read the schema version", Migrations::latestAppliedVersion);
    return applied >= bundled ? 0 : apply(config);
  }

  /** The highest version among the migrations on {@code classLoader}'s class path. */
  static int latestBundledVersion(ClassLoader classLoader) {
    List<Integer> versions = new ArrayList<>();
    for (String name : bundledMigrations(classLoader)) {
      Matcher m = MIGRATION.matcher(name);
      if (m.matches()) {
        versions.add(Integer.parseInt(m.group(1)));
      }
    }
    if (versions.isEmpty()) {
      throw new IllegalStateException("no migrations found under " + RESOURCE_DIRECTORY);
    }
    return Collections.max(versions);
  }

  /** The highest version applied successfully, 0 when no migration ran yet. */
  private static int latestAppliedVersion(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      ResultSet exists =
          statement.executeQuery("SELECT to_regclass('" + HISTORY_TABLE + "') IS NOT NULL");
      exists.next();
      if (!exists.getBoolean(1)) {
        return 0;
      }
      int latest = 0;
      try (ResultSet rows =
          statement.executeQuery(
              "SELECT version FROM " + HISTORY_TABLE + " WHERE success AND version IS NOT NULL")) {
        while (rows.next()) {
          latest = Math.max(latest, Integer.parseInt(rows.getString(1)));
        }
      }
      return latest;
    }
  }

  /** The file names under {@code db/tally}, from a jar or a directory of the class path. */
  private static List<String> bundledMigrations(ClassLoader classLoader) {
    URL directory = classLoader.getResource(RESOURCE_DIRECTORY);
    if (directory == null) {
      throw new IllegalStateException(RESOURCE_DIRECTORY + " is not on the class path");
    }
    List<String> names = new ArrayList<>();
    try {
      if (directory.getProtocol().equals("jar")) {
        JarURLConnection connection = (JarURLConnection) directory.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          String prefix = RESOURCE_DIRECTORY + "/";
          for (JarEntry entry : Collections.list(jar.entries())) {
            if (entry.getName().startsWith(prefix)) {
              names.add(entry.getName().substring(prefix.length()));
            }
          }
        }
      } else {
        try (Stream<Path> files = Files.list(Path.of(directory.toURI()))) {
          files.forEach(file -> names.add(file.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + directory, e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot list " + directory, e);
    }
    return names;
  }

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
        flyway.configuration(DatabaseSettings.flyway()).loggers("slf4j").load().migrate();
    return result.migrationsExecuted;
  }
}
