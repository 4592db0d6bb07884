package dev.tally.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.local.StackScripts.Result;
import dev.tally.testing.PubSubEmulator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack as a user starts it: {@code run-local.sh --detach}, events recorded over HTTP,
 * found on the subscription within an export interval, then {@code stop-local.sh}.
 */
class LocalStackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path localDir;

  private static StackScripts scripts;
  private static Map<String, String> stack;

  @BeforeAll
  static void start() throws Exception {
    scripts = new StackScripts(localDir);
    Result started = scripts.script("run-local.sh", "--detach", "--no-build");
    assertEquals(0, started.exitCode(), started.output());
    assertTrue(started.output().contains("Tally is running"), started.output());
    stack = EnvFile.read(scripts.envFile());
    assertTrue(
        started
            .output()
            .contains(
                stack.get("CONSOLE_URL")
                    + " (sign in with the development admin token "
                    + stack.get("ADMIN_TOKEN")
                    + ")"),
        started.output());
  }

  @AfterAll
  static void stop() throws Exception {
    Result stopped = script("stop-local.sh");
    assertEquals(0, stopped.exitCode(), stopped.output());
    assertTrue(stopped.output().startsWith("stopped the local stack"), stopped.output());
    for (String port : List.of("RECORD_EVENT_PORT", "GATEWAY_PORT", "EXPORT_PORT", "PUBSUB_PORT")) {
      assertTrue(isFree(scripts.port(port)), port + " is released");
    }
    assertFalse(Files.exists(localDir.resolve("stack.pid")));
  }

  @Test
  void recordedEvents_appearOnTheSubscriptionWithinAnExportInterval() throws Exception {
    String body =
        "{\"query\":\"mutation { telemetry { recordEvents(events: ["
            + "{feature: \\\"local.stack\\\", action: \\\"first\\\", source: {client: \\\"it\\\"}, parameters: {version: 0}},"
            + "{feature: \\\"local.stack\\\", action: \\\"second\\\", source: {client: \\\"it\\\"}, parameters: {version: 0}}"
            + "]) { alwaysNil } } }\"}";
    HttpResponse<String> recorded =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(stack.get("RECORD_EVENT_URL")))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "token " + stack.get("ACCESS_TOKEN"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, recorded.statusCode(), recorded.body());
    assertFalse(recorded.body().contains("errors"), recorded.body());

    PubSubEmulator emulator =
        PubSubEmulator.attach(stack.get("PUBSUB_EMULATOR_HOST"), stack.get("PUBSUB_PROJECT_ID"));
    Set<String> actions = new HashSet<>();
    for (PubSubEmulator.Message message :
        emulator.pull(stack.get("SUBSCRIPTION_ID"), 2, Duration.ofSeconds(15))) {
      actions.add(JSON.readTree(message.data()).path("event").path("action").asText());
      assertEquals("local.stack", message.attributes().get("event.feature"));
    }
    assertEquals(Set.of("first", "second"), actions);

    Result watched = script("watch-event.sh");
    assertEquals(0, watched.exitCode(), watched.output());
    assertTrue(
        watched.output().contains("1. recorded in event_logs: local.stack.second"),
        watched.output());
    assertTrue(watched.output().contains("4. published to tally-events"), watched.output());
  }

  @Test
  void console_answersAtThePrintedAddressForTheDevelopmentAdminToken() throws Exception {
    URI console = URI.create(stack.get("CONSOLE_URL"));
    String origin = console.getScheme() + "://" + console.getAuthority();
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> signedIn =
        http.send(
            HttpRequest.newBuilder(URI.create(stack.get("CONSOLE_URL") + "/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", origin)
                .POST(HttpRequest.BodyPublishers.ofString("token=" + stack.get("ADMIN_TOKEN")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(303, signedIn.statusCode(), signedIn.body());
    String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];

    HttpResponse<String> usage =
        http.send(
            HttpRequest.newBuilder(console).header("Cookie", cookie).GET().build(),
            HttpResponse.BodyHandlers.ofString());

    assertEquals(200, usage.statusCode(), usage.body());
    assertTrue(usage.body().contains("id=\"events-chart\""), usage.body());
  }

  @Test
  void embeddedDatabase_keepsWhatItAcknowledgedAsCloudSqlDoes() throws Exception {
    Map<String, String> shown = new LinkedHashMap<>();
    try (Connection connection =
            DriverManager.getConnection(
                stack.get("DATABASE_URL"), stack.get("DATABASE_USER"), null);
        Statement statement = connection.createStatement()) {
      for (String setting : List.of("fsync", "synchronous_commit", "full_page_writes")) {
        try (ResultSet rs = statement.executeQuery("SHOW " + setting)) {
          assertTrue(rs.next());
          shown.put(setting, rs.getString(1));
        }
      }
    }

    assertEquals(
        Map.of("fsync", "on", "synchronous_commit", "on", "full_page_writes", "on"), shown);
  }

  @Test
  void startingASecondStack_isRefusedAndLeavesTheFirstRunning() throws Exception {
    Result second = script("run-local.sh", "--detach", "--no-build");

    assertEquals(1, second.exitCode());
    assertTrue(second.output().contains("already running"), second.output());
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(stack.get("RECORD_EVENT_URL")))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"{ __typename }\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode());
  }

  @Test
  void tallyAdmin_reachesTheStacksDatabaseOnceTheEnvFileIsSourced() throws Exception {
    // What a new user types, in a shell where nothing of the database is set beforehand.
    Result admin = scripts.admin("set-flag local-stack-check true");

    assertEquals(0, admin.exitCode(), admin.output());
    assertTrue(admin.output().contains("local-stack-check = true"), admin.output());
  }

  private static Result script(String name, String... args) throws Exception {
    return scripts.script(name, args);
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
