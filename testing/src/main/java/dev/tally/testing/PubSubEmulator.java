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
  private final String project;
  private final Path log;
  private Process process;
  private Thread killOnExit;

  private PubSubEmulator(Path executable, int port, String project, Path log) {
    this.executable = executable;
    this.port = port;
    this.project = project;
    this.log = log;
  }

  /** Starts an emulator for {@link #PROJECT} on a free port and waits until it answers. */
  public static PubSubEmulator start() throws IOException {
    return start(FunctionProcess.freePort(), PROJECT, FunctionProcess.logFile("pubsub-emulator"));
  }

  /**
   * Starts an emulator on {@code port} for {@code project}, its output going to {@code log}, and
   * waits until it answers.
   */
  public static PubSubEmulator start(int port, String project, Path log) throws IOException {
    PubSubEmulator emulator = new PubSubEmulator(locate(), port, project, log);
    emulator.launch();
    return emulator;
  }

  /** An emulator started by someone else, at {@code host:port}; {@link #stop()} leaves it. */
  public static PubSubEmulator attach(String hostPort, String project) {
    int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    return new PubSubEmulator(null, port, project, null);
  }

  /**
   * The emulator's start script.
   *
   * @throws IllegalStateException saying how to install it when it is missing
   */
  public static Path locate() {
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
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    process = builder.start();
    Process started = process;
    killOnExit = new Thread(() -> kill(started), "stop-pubsub-emulator");
    Runtime.getRuntime().addShutdownHook(killOnExit);
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
    if (killOnExit != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(killOnExit);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
      killOnExit = null;
    }
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill(process);
      }
    }
  }

  /** The emulator runs as a child of its start script: stop both, whatever happens. */
  /** The emulator's processes: the one started and those it started. */
  public List<Long> processIds() {
    List<Long> ids = new ArrayList<>();
    ids.add(process.pid());
    process.descendants().forEach(child -> ids.add(child.pid()));
    return ids;
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  public void restart() throws IOException, InterruptedException {
    stop();
    launch();
  }

  /** Creates a topic; an existing one is kept. */
  public void createTopic(String topic) throws IOException {
    call("PUT", "/v1/projects/" + project + "/topics/" + topic, "{}");
  }

  public void createSubscription(String subscription, String topic) throws IOException {
    call(
        "PUT",
        "/v1/projects/" + project + "/subscriptions/" + subscription,
        "{\"topic\":\"projects/" + project + "/topics/" + topic + "\",\"ackDeadlineSeconds\":60}");
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
              "/v1/projects/" + project + "/subscriptions/" + subscription + ":pull",
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
            "/v1/projects/" + project + "/subscriptions/" + subscription + ":acknowledge",
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
