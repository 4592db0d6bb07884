package dev.tally.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.gateway.InstanceTokens;
import dev.tally.store.AccessTokens;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.FeatureFlags;
import dev.tally.store.Migrations;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresDurability;
import dev.tally.testing.PubSubEmulator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the whole pipeline locally: PostgreSQL (embedded, or {@code DATABASE_URL}), the Pub/Sub
 * emulator with the topics and subscriptions, the three functions in the Functions Framework
 * invoker as Cloud Functions runs them, and a scheduler that calls export. Stops everything it
 * started, and nothing else, when it exits.
 *
 * <pre>
 * java -Dtally.root=REPO -cp ... dev.tally.local.LocalStack [--detached]
 * </pre>
 */
public final class LocalStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream OUT = System.out;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

  private final LocalSettings settings;
  private final List<AutoCloseable> started = new ArrayList<>();
  private final Path pidFile;
  private final Path readyFile;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final HttpClient http = HttpClient.newHttpClient();
  private PubSubEmulator emulator;

  private LocalStack(LocalSettings settings) {
    this.settings = settings;
    this.pidFile = settings.localDir().resolve("stack.pid");
    this.readyFile = settings.localDir().resolve("ready");
  }

  public static void main(String[] args) throws Exception {
    boolean detached = List.of(args).contains("--detached");
    Path root = Path.of(System.getProperty("tally.root", ".")).toAbsolutePath().normalize();
    LocalSettings settings;
    try {
      settings = LocalSettings.fromEnv(root, System.getenv());
    } catch (RuntimeException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    LocalStack stack = new LocalStack(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(stack::stop, "local-stack-stop"));
    try {
      stack.start();
    } catch (StartException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (detached) {
      Thread.currentThread().join();
    } else {
      stack.showPublishedEvents();
    }
  }

  /** A start that cannot go on; the message says why and what to do. */
  static final class StartException extends Exception {
    StartException(String message) {
      super(message);
    }
  }

  private void start() throws Exception {
    Files.createDirectories(settings.localDir().resolve("logs"));
    claimPidFile();
    checkPortsAreFree();
    Path invoker =
        settings.root().resolve("emulator-scripts/target/invoker/java-function-invoker.jar");
    if (!Files.exists(invoker)) {
      throw new StartException(
          invoker + " is missing: build first with ./mvnw -DskipTests package");
    }
    System.setProperty("tally.invoker.jar", invoker.toString());
    System.setProperty("tally.functions.dir", settings.root().resolve("functions").toString());
    try {
      PubSubEmulator.locate();
    } catch (IllegalStateException e) {
      throw new StartException(e.getMessage());
    }

    say("starting PostgreSQL");
    DatabaseConfig database = startDatabase();
    int applied = Migrations.apply(database);
    say("schema up to date (" + applied + " migration(s) applied)");
    seed(database);

    say("starting the Pub/Sub emulator");
    emulator =
        PubSubEmulator.start(
            settings.port("PUBSUB_PORT"),
            LocalSettings.PROJECT,
            settings.localDir().resolve("logs/pubsub-emulator.log"));
    started.add(emulator);
    emulator.createTopic(LocalSettings.TOPIC);
    emulator.createTopic(LocalSettings.DEAD_LETTER_TOPIC);
    for (String subscription :
        List.of(
            LocalSettings.SUBSCRIPTION,
            LocalSettings.CONSOLE_SUBSCRIPTION,
            LocalSettings.WATCH_SUBSCRIPTION)) {
      emulator.createSubscription(subscription, LocalSettings.TOPIC);
    }
    emulator.createSubscription(
        LocalSettings.DEAD_LETTER_TOPIC + "-sub", LocalSettings.DEAD_LETTER_TOPIC);

    say("starting the functions");
    startFunction("gateway", "dev.tally.gatewayfn.GatewayFunction", "GATEWAY_PORT", gatewayEnv());
    startFunction(
        "record-event",
        "dev.tally.recordevent.RecordEventFunction",
        "RECORD_EVENT_PORT",
        recordEventEnv(database));
    startFunction(
        "export", "dev.tally.exportfn.ExportFunction", "EXPORT_PORT", exportEnv(database));

    writeEnvFile(database);
    long interval = settings.exportInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::callExport, interval, interval, TimeUnit.MILLISECONDS);
    Files.writeString(readyFile, "ready\n");
    printWelcome();
  }

  private void claimPidFile() throws IOException, StartException {
    if (Files.exists(pidFile)) {
      String text = Files.readString(pidFile).trim();
      Optional<ProcessHandle> running =
          text.matches("\\d+") ? ProcessHandle.of(Long.parseLong(text)) : Optional.empty();
      if (running.isPresent() && running.get().isAlive()) {
        throw new StartException(
            "a local stack is already running (pid "
                + text
                + "); stop it with emulator-scripts/stop-local.sh");
      }
    }
    Files.deleteIfExists(readyFile);
    Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
  }

  private void checkPortsAreFree() throws StartException {
    List<String> busy = new ArrayList<>();
    settings
        .ports()
        .forEach(
            (name, port) -> {
              try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(port));
              } catch (IOException e) {
                busy.add("port " + port + " (" + name + ")");
              }
            });
    if (!busy.isEmpty()) {
      String example = busy.get(0).replaceAll("port \\d+ \\((\\w+)\\)", "$1");
      throw new StartException(
          String.join(", ", busy)
              + " already in use: stop what uses it, or choose free ports, for example "
              + example
              + "="
              + (settings.port(example) + 10000)
              + " emulator-scripts/run-local.sh");
    }
  }

  private DatabaseConfig startDatabase() throws IOException {
    if (settings.databaseUrl() != null) {
      return new DatabaseConfig(
          settings.databaseUrl(), settings.databaseUser(), settings.databasePassword(), 2, false);
    }
    // Durable as Cloud SQL is: what the stack acknowledged survives a crash of the database.
    EmbeddedPostgres postgres =
        PostgresDurability.DURABLE
            .applyTo(EmbeddedPostgres.builder())
            .setPort(settings.port("POSTGRES_PORT"))
            .setDataDirectory(settings.localDir().resolve("postgres"))
            .setCleanDataDirectory(false)
            .setRegisterShutdownHook(false)
            .setOutputRedirector(
                ProcessBuilder.Redirect.appendTo(
                    settings.localDir().resolve("logs/postgres.log").toFile()))
            .setErrorRedirector(
                ProcessBuilder.Redirect.appendTo(
                    settings.localDir().resolve("logs/postgres.log").toFile()))
            .start();
    started.add(postgres);
    return new DatabaseConfig(
        "jdbc:postgresql://127.0.0.1:" + settings.port("POSTGRES_PORT") + "/postgres",
        "postgres",
        null,
        2,
        false);
  }

  /** Development tokens and the export flag; what already exists is kept. */
  private static void seed(DatabaseConfig database) {
    try (var dataSource = DataSources.pooled(database, "local-seed")) {
      AccessTokens tokens = new AccessTokens(dataSource, Clock.systemUTC());
      if (!(tokens.authenticate(LocalSettings.ACCESS_TOKEN) instanceof AccessTokens.Check.Valid)) {
        tokens.insert(
            LocalSettings.ACCESS_TOKEN, 1, Set.of(AccessTokens.USER_ALL), null, "local user");
      }
      if (!(tokens.authenticate(LocalSettings.ADMIN_TOKEN) instanceof AccessTokens.Check.Valid)) {
        tokens.insert(
            LocalSettings.ADMIN_TOKEN,
            2,
            Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN),
            null,
            "local admin");
      }
      new FeatureFlags(dataSource).set(FeatureFlags.TELEMETRY_EXPORT, true);
    }
  }

  private Map<String, String> gatewayEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PUBSUB_PROJECT_ID", LocalSettings.PROJECT);
    env.put("PUBSUB_EMULATOR_HOST", emulator.hostPort());
    env.put("TELEMETRY_GATEWAY_TOPIC", LocalSettings.TOPIC);
    env.put("TELEMETRY_GATEWAY_DEAD_LETTER_TOPIC", LocalSettings.DEAD_LETTER_TOPIC);
    env.put(
        "TELEMETRY_GATEWAY_INSTANCE_TOKENS",
        LocalSettings.INSTANCE_ID + "=" + InstanceTokens.sha256Hex(LocalSettings.GATEWAY_TOKEN));
    return env;
  }

  private static Map<String, String> databaseEnv(DatabaseConfig database) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DATABASE_URL", database.url());
    if (database.user() != null) {
      env.put("DATABASE_USER", database.user());
    }
    if (database.password() != null) {
      env.put("DATABASE_PASSWORD", database.password());
    }
    return env;
  }

  private Map<String, String> recordEventEnv(DatabaseConfig database) {
    Map<String, String> env = databaseEnv(database);
    env.put("TELEMETRY_SERVER_VERSION", "0.1.0-local");
    env.put("TELEMETRY_CORS_ALLOWED_ORIGINS", "*");
    return env;
  }

  private Map<String, String> exportEnv(DatabaseConfig database) {
    Map<String, String> env = databaseEnv(database);
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR", settings.url("GATEWAY_PORT"));
    env.put("TELEMETRY_GATEWAY_EXPORTER_TOKEN", LocalSettings.GATEWAY_TOKEN);
    env.put("TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", LocalSettings.INSTANCE_ID);
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXTERNAL_URL", settings.url("RECORD_EVENT_PORT"));
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_RETRY_BACKOFF", "5s");
    return env;
  }

  /**
   * Starts a function in the invoker with the environment it has in production, and writes that
   * environment to {@code .local/MODULE.env} for {@code ./mvnw function:run} of the same module.
   */
  private void startFunction(String module, String target, String portName, Map<String, String> env)
      throws IOException {
    env.put("GOOGLE_CLOUD_PROJECT", LocalSettings.PROJECT);
    Files.writeString(
        settings.localDir().resolve(module + ".env"),
        EnvFile.text(
            "the environment of "
                + module
                + ".\n# source it, then: ./mvnw -f functions/"
                + module
                + " function:run -Drun.port=PORT",
            env));
    started.add(
        FunctionProcess.start(
            module,
            target,
            env,
            settings.port(portName),
            settings.localDir().resolve("logs/" + module + ".log")));
  }

  private void writeEnvFile(DatabaseConfig database) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("RECORD_EVENT_URL", settings.url("RECORD_EVENT_PORT") + "/.api/graphql");
    env.put("CONSOLE_URL", consoleUrl());
    env.put("GATEWAY_URL", settings.url("GATEWAY_PORT"));
    env.put("EXPORT_URL", settings.url("EXPORT_PORT"));
    env.put("PUBSUB_EMULATOR_HOST", emulator.hostPort());
    env.put("PUBSUB_PROJECT_ID", LocalSettings.PROJECT);
    env.put("TOPIC_ID", LocalSettings.TOPIC);
    env.put("SUBSCRIPTION_ID", LocalSettings.SUBSCRIPTION);
    env.put("WATCH_SUBSCRIPTION_ID", LocalSettings.WATCH_SUBSCRIPTION);
    env.put("DATABASE_URL", database.url());
    env.put("DATABASE_USER", database.user() == null ? "" : database.user());
    if (database.password() != null) {
      // Only a password of the user's own server (DATABASE_PASSWORD); the file stays local.
      env.put("DATABASE_PASSWORD", database.password());
    }
    env.put("ACCESS_TOKEN", LocalSettings.ACCESS_TOKEN);
    env.put("ADMIN_TOKEN", LocalSettings.ADMIN_TOKEN);
    env.put("GATEWAY_TOKEN", LocalSettings.GATEWAY_TOKEN);
    env.put("INSTANCE_ID", LocalSettings.INSTANCE_ID);
    env.put("EXPORT_INTERVAL_SECONDS", String.valueOf(settings.exportInterval().toSeconds()));
    Files.writeString(
        settings.localDir().resolve("env"),
        EnvFile.text(
            "the local stack's addresses and tokens.\n# source it, then run a tool, such as"
                + " admin/tally-admin",
            env));
  }

  private void callExport() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(settings.url("EXPORT_PORT") + "/"))
                  .timeout(Duration.ofMinutes(5))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode run = JSON.readTree(response.body());
      if (response.statusCode() != 200 || run.path("exported").asInt() > 0 || run.has("error")) {
        say(
            "export: "
                + (response.statusCode() == 200
                    ? "exported "
                        + run.path("exported").asInt()
                        + ", backlog "
                        + run.path("backlog").asInt()
                        + (run.has("error") ? ", error: " + run.path("error").asText() : "")
                    : "HTTP " + response.statusCode() + " " + response.body()));
      }
    } catch (Exception e) {
      say("export: call failed: " + e.getMessage());
    }
  }

  private String consoleUrl() {
    return settings.url("RECORD_EVENT_PORT") + "/console";
  }

  private void printWelcome() {
    String curl =
        "curl -s "
            + settings.url("RECORD_EVENT_PORT")
            + "/.api/graphql -H 'Content-Type: application/json' -H 'Authorization: token "
            + LocalSettings.ACCESS_TOKEN
            + "' -d '{\"query\":\"mutation { telemetry { recordEvents(events: [{feature:"
            + " \\\"hello.world\\\", action: \\\"clicked\\\", source: {client: \\\"curl\\\"},"
            + " parameters: {version: 0}}]) { alwaysNil } } }\"}'";
    OUT.println();
    OUT.println("Tally is running:");
    OUT.println("  record-event  " + settings.url("RECORD_EVENT_PORT") + "/.api/graphql");
    OUT.println(
        "  console       "
            + consoleUrl()
            + " (sign in with the development admin token "
            + LocalSettings.ADMIN_TOKEN
            + ")");
    OUT.println("  gateway       " + settings.url("GATEWAY_PORT"));
    OUT.println(
        "  export        "
            + settings.url("EXPORT_PORT")
            + " (called every "
            + settings.exportInterval().toSeconds()
            + "s)");
    OUT.println(
        "  Pub/Sub       "
            + emulator.hostPort()
            + " (project "
            + LocalSettings.PROJECT
            + ", topic "
            + LocalSettings.TOPIC
            + ", subscription "
            + LocalSettings.SUBSCRIPTION
            + ")");
    OUT.println(
        "  settings      "
            + settings.localDir().resolve("env")
            + "  (logs in "
            + settings.localDir().resolve("logs")
            + ")");
    OUT.println();
    OUT.println("Record an event:");
    OUT.println("  " + curl);
    OUT.println("Follow it through the pipeline: emulator-scripts/watch-event.sh");
    OUT.println(
        "See it in the console: open "
            + consoleUrl()
            + " and sign in with "
            + LocalSettings.ADMIN_TOKEN);
    OUT.println();
  }

  /** Prints every event published to the topic until the process is stopped. */
  private void showPublishedEvents() throws InterruptedException {
    OUT.println("Published events appear below; Ctrl-C stops everything.");
    while (!Thread.currentThread().isInterrupted()) {
      try {
        for (PubSubEmulator.Message message :
            emulator.pull(LocalSettings.CONSOLE_SUBSCRIPTION, 1, Duration.ofSeconds(1))) {
          JsonNode event = JSON.readTree(message.data()).path("event");
          say(
              "published "
                  + event.path("feature").asText()
                  + "/"
                  + event.path("action").asText()
                  + " id="
                  + event.path("id").asText()
                  + " "
                  + message.attributes());
        }
      } catch (IOException e) {
        Thread.sleep(1000);
      }
    }
  }

  private static void say(String line) {
    OUT.println(LocalTime.now().format(TIME) + "  " + line);
  }

  /** Stops what this process started, newest first. */
  private void stop() {
    scheduler.shutdownNow();
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        System.err.println("could not stop " + started.get(i) + ": " + e.getMessage());
      }
    }
    try {
      Files.deleteIfExists(readyFile);
      if (Files.exists(pidFile)
          && Files.readString(pidFile, StandardCharsets.UTF_8)
              .trim()
              .equals(String.valueOf(ProcessHandle.current().pid()))) {
        Files.delete(pidFile);
      }
    } catch (IOException e) {
      System.err.println("could not remove " + pidFile + ": " + e.getMessage());
    }
  }
}
