package dev.tally.local;

import dev.tally.config.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ports, folders and names of the local stack, from the environment.
 *
 * @param root the repository
 * @param localDir where state, logs and the env file go ({@code TALLY_LOCAL_DIR}, default {@code
 *     emulator-scripts/.local})
 * @param ports by variable name: {@code RECORD_EVENT_PORT} 8080, {@code GATEWAY_PORT} 8081, {@code
 *     EXPORT_PORT} 8082, {@code PUBSUB_PORT} 8085, {@code POSTGRES_PORT} 5433 (embedded only)
 * @param exportInterval how often the export function is called ({@code EXPORT_INTERVAL}, 10s)
 * @param databaseUrl a PostgreSQL of the user's ({@code DATABASE_URL}), or {@code null} for the
 *     embedded one
 * @param databaseUser {@code DATABASE_USER} for that server
 * @param databasePassword {@code DATABASE_PASSWORD} for that server
 */
record LocalSettings(
    Path root,
    Path localDir,
    Map<String, Integer> ports,
    Duration exportInterval,
    String databaseUrl,
    String databaseUser,
    String databasePassword) {

  static final String PROJECT = "tally-local";
  static final String TOPIC = "tally-events";
  static final String DEAD_LETTER_TOPIC = "tally-events-dead-letter";
  static final String SUBSCRIPTION = "tally-events-sub";
  static final String CONSOLE_SUBSCRIPTION = "tally-events-console";
  static final String WATCH_SUBSCRIPTION = "tally-events-watch";
  static final String INSTANCE_ID = "local-dev-instance";
  static final String GATEWAY_TOKEN = "local-dev-gateway-token";
  static final String ACCESS_TOKEN = "tly_local_dev_user_token_0001";
  static final String ADMIN_TOKEN = "tly_local_dev_admin_token_0001";

  static LocalSettings fromEnv(Path root, Map<String, String> environment) {
    Env env = Env.of(environment);
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("RECORD_EVENT_PORT", env.integer("RECORD_EVENT_PORT", 8080, 1, 65535));
    ports.put("GATEWAY_PORT", env.integer("GATEWAY_PORT", 8081, 1, 65535));
    ports.put("EXPORT_PORT", env.integer("EXPORT_PORT", 8082, 1, 65535));
    ports.put("PUBSUB_PORT", env.integer("PUBSUB_PORT", 8085, 1, 65535));
    String databaseUrl = env.string("DATABASE_URL", null);
    if (databaseUrl == null) {
      ports.put("POSTGRES_PORT", env.integer("POSTGRES_PORT", 5433, 1, 65535));
    }
    return new LocalSettings(
        root,
        Path.of(env.string("TALLY_LOCAL_DIR", root.resolve("emulator-scripts/.local").toString())),
        ports,
        env.duration("EXPORT_INTERVAL", Duration.ofSeconds(10), Duration.ofSeconds(1)),
        databaseUrl,
        env.string("DATABASE_USER", null),
        env.string("DATABASE_PASSWORD", null));
  }

  int port(String name) {
    return ports.get(name);
  }

  String url(String portName) {
    return "http://127.0.0.1:" + port(portName);
  }
}
