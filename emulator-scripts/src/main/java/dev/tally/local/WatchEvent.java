package dev.tally.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * Follows one event through the local pipeline and prints each step as it happens: recorded in
 * {@code event_logs}, queued for export (redacted), exported (acknowledged by the gateway),
 * published to Pub/Sub.
 *
 * <pre>
 * emulator-scripts/watch-event.sh [EVENT_ID]     (default: the newest recorded event)
 * </pre>
 */
public final class WatchEvent {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream OUT = System.out;

  private final Map<String, String> env;

  private WatchEvent(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("tally.root", ".")).toAbsolutePath();
    Path envFile =
        Path.of(
                System.getenv()
                    .getOrDefault(
                        "TALLY_LOCAL_DIR", root.resolve("emulator-scripts/.local").toString()))
            .resolve("env");
    if (!Files.exists(envFile)) {
      System.err.println(
          "no local stack found (" + envFile + "); start one with emulator-scripts/run-local.sh");
      System.exit(1);
    }
    System.exit(new WatchEvent(EnvFile.read(envFile)).watch(args.length > 0 ? args[0] : null));
  }

  private int watch(String requestedId) throws Exception {
    long interval = Long.parseLong(env.getOrDefault("EXPORT_INTERVAL_SECONDS", "10"));
    long deadline = System.nanoTime() + Duration.ofSeconds(3 * interval + 30).toNanos();
    try (Connection db = connect()) {
      String id = requestedId != null ? requestedId : newestEventId(db);
      if (id == null) {
        OUT.println("no event recorded yet; record one (see the curl that run-local.sh printed)");
        return 1;
      }
      UUID eventId = UUID.fromString(id);
      boolean logged = false;
      boolean queued = false;
      boolean exported = false;
      boolean published = false;
      String keptLocal = null;
      OUT.println("event " + id);
      while (!published && System.nanoTime() < deadline) {
        if (!logged) {
          String row =
              single(
                  db,
                  "SELECT name || ' at ' || timestamp || ', user ' || coalesce(user_id::text, anonymous_user_id) FROM event_logs WHERE event_id = ?",
                  eventId);
          if (row != null) {
            OUT.println("  1. recorded in event_logs: " + row);
            logged = true;
          }
        }
        if (logged && !queued) {
          String reason =
              single(db, "SELECT kept_local_reason FROM event_logs WHERE event_id = ?", eventId);
          if (reason != null && !reason.equals(keptLocal)) {
            OUT.println("  -. kept local: " + keptLocalMeaning(reason));
            keptLocal = reason;
          }
          String row =
              single(
                  db,
                  "SELECT octet_length(payload_pb) || ' bytes, redacted' FROM telemetry_events_export_queue WHERE id = ?",
                  eventId);
          if (row != null) {
            OUT.println("  2. queued for export: " + row);
            queued = true;
          }
        }
        if (queued && !exported) {
          String row =
              single(
                  db,
                  "SELECT exported_at::text FROM telemetry_events_export_queue WHERE id = ? AND exported_at IS NOT NULL",
                  eventId);
          if (row != null) {
            OUT.println("  3. exported (acknowledged by the gateway) at " + row);
            exported = true;
          }
        }
        if (exported) {
          String attributes = findPublished(id);
          if (attributes != null) {
            OUT.println(
                "  4. published to " + env.get("TOPIC_ID") + " with attributes " + attributes);
            published = true;
          }
        }
        if (!published) {
          Thread.sleep(500);
        }
      }
      if (!published) {
        OUT.println(
            "  ... not "
                + (!logged
                    ? "recorded"
                    : !queued
                        ? keptLocal != null
                            ? "queued: it is kept local (" + keptLocal + ")"
                            : "queued (is telemetry-export on for its user?)"
                        : !exported ? "exported yet (is the stack running?)" : "seen on the topic")
                + " after waiting; logs are in emulator-scripts/.local/logs");
        return 1;
      }
      return 0;
    }
  }

  /** What a {@code kept_local_reason} means, for someone following their event. */
  private static String keptLocalMeaning(String reason) {
    return switch (reason) {
      case "unplanned" ->
          "unplanned: held by the event catalog until an applied version approves it"
              + " (catalog apply); waiting";
      case "opt_out" -> "opt_out: its user turned export of their events off";
      case "gpc" -> "gpc: the request carried Sec-GPC: 1";
      case "dnt" -> "dnt: the request carried DNT: 1";
      case "legacy" -> "legacy: recorded by a pre-V2 mutation, never exported";
      default -> reason;
    };
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    if (!env.getOrDefault("DATABASE_USER", "").isEmpty()) {
      properties.setProperty("user", env.get("DATABASE_USER"));
    }
    String password = System.getenv("DATABASE_PASSWORD");
    if (password != null) {
      properties.setProperty("password", password);
    }
    return DriverManager.getConnection(env.get("DATABASE_URL"), properties);
  }

  private static String newestEventId(Connection db) throws SQLException {
    try (PreparedStatement query =
            db.prepareStatement("SELECT event_id::text FROM event_logs ORDER BY id DESC LIMIT 1");
        ResultSet rs = query.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static String single(Connection db, String sql, UUID id) throws SQLException {
    try (PreparedStatement query = db.prepareStatement(sql)) {
      query.setObject(1, id);
      try (ResultSet rs = query.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** The attributes of the event's message on the watch subscription, or {@code null}. */
  private String findPublished(String id) throws IOException, InterruptedException {
    String base =
        "http://"
            + env.get("PUBSUB_EMULATOR_HOST")
            + "/v1/projects/"
            + env.get("PUBSUB_PROJECT_ID")
            + "/subscriptions/"
            + env.get("WATCH_SUBSCRIPTION_ID");
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> pulled =
        http.send(
            HttpRequest.newBuilder(URI.create(base + ":pull"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"maxMessages\":1000,\"returnImmediately\":true}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String found = null;
    List<String> ackIds = new java.util.ArrayList<>();
    for (JsonNode received : JSON.readTree(pulled.body()).path("receivedMessages")) {
      ackIds.add(received.path("ackId").asText());
      JsonNode message = received.path("message");
      byte[] data = Base64.getDecoder().decode(message.path("data").asText(""));
      if (id.equals(JSON.readTree(data).path("event").path("id").asText())) {
        found = message.path("attributes").toString();
      }
    }
    if (!ackIds.isEmpty()) {
      http.send(
          HttpRequest.newBuilder(URI.create(base + ":acknowledge"))
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      JSON.writeValueAsString(Map.of("ackIds", ackIds))))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
    return found;
  }
}
