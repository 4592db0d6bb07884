package dev.tally.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real Pub/Sub emulator that ships with the gcloud CLI, started on a free loopback port for a
 * test class. Topics, subscriptions and pulls go through its REST API.
 *
 * <p>It is found at {@code PUBSUB_EMULATOR_BIN}, or in the gcloud installation. A missing emulator
 * fails the test with the command that installs it: tests that need it never skip.
 */
public final class PubSubEmulator implements AutoCloseable {
  public static final String PROJECT = "tally-test";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final List<String> KNOWN_LOCATIONS =
      List.of(
          "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
          "/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
          "/opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator");

  private final Path executable;
  private final int port;
  private Process process;

  private PubSubEmulator(Path executable, int port) {
    this.executable = executable;
    this.port = port;
  }

  /** Starts an emulator and waits until it answers. */
  public static PubSubEmulator start() throws IOException {
    PubSubEmulator emulator = new PubSubEmulator(locate(), FunctionProcess.freePort());
    emulator.launch();
    return emulator;
  }

  private static Path locate() {
    String configured = System.getenv("PUBSUB_EMULATOR_BIN");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    for (String location : KNOWN_LOCATIONS) {
      if (Files.isExecutable(Path.of(location))) {
        return Path.of(location);
      }
    }
    String home = System.getenv("HOME");
    if (home != null) {
      Path user =
          Path.of(home, "google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator");
      if (Files.isExecutable(user)) {
        return user;
      }
    }
    throw new IllegalStateException(
        "the Pub/Sub emulator is not installed; install it with"
            + " 'apt-get install google-cloud-cli-pubsub-emulator' or"
            + " 'gcloud components install pubsub-emulator', or set PUBSUB_EMULATOR_BIN to its"
            + " cloud-pubsub-emulator script");
  }

  private void launch() throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(executable.toString(), "--host=127.0.0.1", "--port=" + port);
    Path log = Files.createTempFile("pubsub-emulator", ".log");
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    process = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the Pub/Sub emulator exited at start:\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> response =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + "/")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting the emulator", e);
      }
      sleep(100);
    }
    process.destroyForcibly();
    throw new IllegalStateException(
        "the Pub/Sub emulator did not start:\n" + Files.readString(log));
  }

  /** {@code 127.0.0.1:<port>}, the value of {@code PUBSUB_EMULATOR_HOST}. */
  public String hostPort() {
    return "127.0.0.1:" + port;
  }

  /** Stops the emulator; {@link #restart()} brings it back on the same port, empty. */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
      }
    }
  }

  public void restart() throws IOException, InterruptedException {
    stop();
    launch();
  }

  public void createTopic(String topic) throws IOException {
    call("PUT", "/v1/projects/" + PROJECT + "/topics/" + topic, "{}");
  }

  public void createSubscription(String subscription, String topic) throws IOException {
    call(
        "PUT",
        "/v1/projects/" + PROJECT + "/subscriptions/" + subscription,
        "{\"topic\":\"projects/" + PROJECT + "/topics/" + topic + "\",\"ackDeadlineSeconds\":60}");
  }

  /** A message read from a subscription. */
  public record Message(String id, byte[] data, Map<String, String> attributes) {
    public String text() {
      return new String(data, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /**
   * Pulls and acknowledges messages until {@code count} arrived or {@code timeout} passed, then
   * returns all pulled (possibly more than {@code count}).
   */
  public List<Message> pull(String subscription, int count, Duration timeout) throws IOException {
    List<Message> messages = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      JsonNode response =
          call(
              "POST",
              "/v1/projects/" + PROJECT + "/subscriptions/" + subscription + ":pull",
              "{\"maxMessages\":1000,\"returnImmediately\":true}");
      List<String> ackIds = new ArrayList<>();
      for (JsonNode received : response.path("receivedMessages")) {
        JsonNode message = received.path("message");
        Map<String, String> attributes = new LinkedHashMap<>();
        message
            .path("attributes")
            .fields()
            .forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
        messages.add(
            new Message(
                message.path("messageId").asText(),
                Base64.getDecoder().decode(message.path("data").asText("")),
                attributes));
        ackIds.add(received.path("ackId").asText());
      }
      if (!ackIds.isEmpty()) {
        call(
            "POST",
            "/v1/projects/" + PROJECT + "/subscriptions/" + subscription + ":acknowledge",
            JSON.writeValueAsString(Map.of("ackIds", ackIds)));
      } else if (messages.size() < count) {
        sleep(50);
      }
    } while (messages.size() < count && System.nanoTime() < deadline);
    return messages;
  }

  private JsonNode call(String method, String path, String body) throws IOException {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(base() + path))
                  .timeout(Duration.ofSeconds(30))
                  .header("Content-Type", "application/json")
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IOException(
            method + " " + path + " -> " + response.statusCode() + ": " + response.body());
      }
      return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private String base() {
    return "http://" + hostPort();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
