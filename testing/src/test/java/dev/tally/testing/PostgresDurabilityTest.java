package dev.tally.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The settings an embedded server is started with are the ones it runs with, although the library
 * puts {@code -F} (fsync off) on the command line before them.
 */
class PostgresDurabilityTest {

  @ParameterizedTest
  @EnumSource(PostgresDurability.class)
  void startedServer_showsTheChosenSettings(PostgresDurability durability) throws Exception {
    try (EmbeddedPostgres postgres = durability.applyTo(EmbeddedPostgres.builder()).start()) {
      assertEquals(durability.serverConfig(), shown(postgres, durability.serverConfig()));
    }
  }

  @Test
  void durable_isCloudSqlsDurability() {
    assertEquals(
        Map.of("fsync", "on", "synchronous_commit", "on", "full_page_writes", "on"),
        PostgresDurability.DURABLE.serverConfig());
    assertEquals(
        "fsync=on, synchronous_commit=on, full_page_writes=on",
        PostgresDurability.DURABLE.describe());
  }

  /** What the running server reports for each of {@code settings}' names. */
  static Map<String, String> shown(EmbeddedPostgres postgres, Map<String, String> settings)
      throws Exception {
    Map<String, String> shown = new LinkedHashMap<>();
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      for (String name : settings.keySet()) {
        try (ResultSet rs = statement.executeQuery("SHOW " + name)) {
          rs.next();
          shown.put(name, rs.getString(1));
        }
      }
    }
    return shown;
  }
}
