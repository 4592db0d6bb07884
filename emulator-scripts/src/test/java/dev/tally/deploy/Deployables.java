package dev.tally.deploy;

import dev.tally.export.ExporterConfig;
import dev.tally.gateway.GatewayConfig;
import dev.tally.recordevent.RecordEventConfig;
import dev.tally.store.DatabaseConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What each function Terraform deploys reads from its environment: its configuration record's
 * {@code fromEnv}, and environments that between them take every branch of it that reads a
 * variable. Here, where the test class path holds all three functions.
 */
final class Deployables {
  private Deployables() {}

  /**
   * A function's configuration.
   *
   * @param entryPoint the class Terraform names in {@code entry_point}
   * @param read builds the configuration from an environment (throws {@code ConfigException})
   * @param environments the smallest valid environment first, then ones that take the other
   *     branches
   */
  record Deployable(
      String entryPoint,
      Consumer<Map<String, String>> read,
      List<Map<String, String>> environments) {
    /** The smallest environment the configuration accepts, with {@code more} added. */
    Map<String, String> minimalWith(Map<String, String> more) {
      Map<String, String> env = new HashMap<>(environments.get(0));
      env.putAll(more);
      return env;
    }
  }

  private static final String DATABASE_URL = "jdbc:postgresql://127.0.0.1:5432/tally";

  static final List<Deployable> ALL =
      List.of(
          new Deployable(
              "dev.tally.recordevent.RecordEventFunction",
              RecordEventConfig::fromEnv,
              List.of(Map.of(DatabaseConfig.URL, DATABASE_URL))),
          new Deployable(
              "dev.tally.exportfn.ExportFunction",
              ExporterConfig::fromEnv,
              List.of(
                  Map.of(DatabaseConfig.URL, DATABASE_URL),
                  // The identity and the token are read only when there is a gateway to send to.
                  Map.of(
                      DatabaseConfig.URL, DATABASE_URL,
                      ExporterConfig.EXPORT_ADDR, "https://gateway.example.com",
                      ExporterConfig.TOKEN, "token",
                      ExporterConfig.INSTANCE_ID, "instance"))),
          new Deployable(
              "dev.tally.gatewayfn.GatewayFunction",
              GatewayConfig::fromEnv,
              List.of(Map.of(GatewayConfig.PROJECT_ID, "project", GatewayConfig.TOPIC, "events"))));

  /** The deployable with this entry point, or null. */
  static Deployable of(String entryPoint) {
    return ALL.stream().filter(d -> d.entryPoint().equals(entryPoint)).findFirst().orElse(null);
  }
}
