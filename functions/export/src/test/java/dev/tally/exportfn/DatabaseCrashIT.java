package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.FeatureFlags;
import dev.tally.store.Migrations;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresDurability;
import dev.tally.testing.PubSubEmulator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Acknowledged means kept: while clients record events through record-event, a PostgreSQL backend
 * is killed (kill -9), twice, which makes the server terminate every connection and run crash
 * recovery. Every event that record-event acknowledged is then in {@code event_logs} and is
 * published by export through the gateway to Pub/Sub. Each function runs in the real invoker.
 *
 * <p>The database is a server of this test's own, with Cloud SQL's durability ({@link
 * PostgresDurability#DURABLE}): the test fixture's shared server keeps fast settings, and crash
 * recovery there would break the other test classes' connections.
 */
class DatabaseCrashIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 4;
  private static final int EVENTS_PER_REQUEST = 10;
  private static final int KILLS = 2;

  /** Acknowledged events awaited before each kill, and after the last one. */
  private static final int EVENTS_PER_PHASE = 300;

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static EmbeddedPostgres postgres;
  private static String databaseUrl;
  private static Pipeline pipeline;

  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicLong nextSeq = new AtomicLong();
  private final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
  private final AtomicBoolean stop = new AtomicBoolean();

  @BeforeAll
  static void start() throws Exception {
    Path log = FunctionProcess.logFile("postgres-crash");
    postgres =
        PostgresDurability.DURABLE
            .applyTo(EmbeddedPostgres.builder())
            .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    databaseUrl = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    DatabaseConfig database = new DatabaseConfig(databaseUrl, "postgres", null, 2, false);
    Migrations.apply(database);
    try (var dataSource = DataSources.pooled(database, "crash-test-setup")) {
      new FeatureFlags(dataSource).set(FeatureFlags.TELEMETRY_EXPORT, true);
    }

    // One address sends everything here: no caller's limit is what is tested.
    pipeline =
        Pipeline.start(
            databaseUrl,
            "postgres",
            Map.of(
                "TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE", "0",
                "TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE", "0"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void acknowledgedEvents_areStoredAndPublishedAfterDatabaseBackendsAreKilledMidLoad()
      throws Exception {
    // An export before the crashes: its pool then holds a connection that crash recovery ends.
    assertEquals(0, pipeline.runExport().path("backlog").asInt());

    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    try {
      for (int i = 0; i < CLIENTS; i++) {
        running.add(clients.submit(this::recordUntilStopped));
      }
      for (int kill = 1; kill <= KILLS; kill++) {
        awaitAcknowledgedEvents(EVENTS_PER_PHASE, "before kill " + kill);
        killBackendAndAwaitRecovery();
      }
      awaitAcknowledgedEvents(EVENTS_PER_PHASE, "after the last kill, on reconnected pools");
    } finally {
      stop.set(true);
      clients.shutdown();
      assertTrue(clients.awaitTermination(1, TimeUnit.MINUTES), "the clients stopped");
    }
    for (Future<?> client : running) {
      client.get();
    }
    String load = acknowledged.size() + " events acknowledged; requests by outcome: " + outcomes;

    Set<Long> stored = storedSeqs();
    assertEquals(List.of(), sample(missing(acknowledged, stored)), "not in event_logs; " + load);

    JsonNode run = pipeline.runExport();
    for (int runs = 1; run.path("backlog").asInt() > 0; runs++) {
      assertTrue(runs < 20, "export drains the queue: " + run);
      run = pipeline.runExport();
    }
    Set<Long> published = new HashSet<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!published.containsAll(acknowledged) && System.nanoTime() < deadline) {
      for (PubSubEmulator.Message message :
          pipeline.emulator().pull(Pipeline.SUBSCRIPTION, 1, Duration.ofSeconds(5))) {
        JsonNode event = JSON.readTree(message.data()).path("event");
        published.add(event.path("parameters").path("metadata").path("seq").asLong());
      }
    }
    assertEquals(List.of(), sample(missing(acknowledged, published)), "not published; " + load);
    // A request the crash interrupted is refused as an outage, to be sent again: never a 500.
    assertTrue(
        Set.of("acknowledged", "HTTP 503").containsAll(outcomes.keySet()),
        "requests by outcome: " + outcomes);
  }

  /** One client: requests of {@link #EVENTS_PER_REQUEST} events, each with its own {@code seq}. */
  private Void recordUntilStopped() throws IOException {
    while (!stop.get()) {
      List<Long> seqs = new ArrayList<>();
      List<Map<String, Object>> events = new ArrayList<>();
      for (int i = 0; i < EVENTS_PER_REQUEST; i++) {
        long seq = nextSeq.incrementAndGet();
        seqs.add(seq);
        events.add(
            Map.of(
                "feature",
                "crash.recovery",
                "action",
                "recorded",
                "source",
                Map.of("client", "crash-test"),
                "parameters",
                Map.of("version", 0, "metadata", List.of(Map.of("key", "seq", "value", seq)))));
      }
      HttpRequest request =
          HttpRequest.newBuilder(pipeline.recordEvent().uri("/.api/graphql"))
              .timeout(WAIT)
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      JSON.writeValueAsString(
                          Map.of(
                              "query",
                              "mutation($events: [TelemetryEventInput!]!) { telemetry {"
                                  + " recordEvents(events: $events) { alwaysNil } } }",
                              "variables",
                              Map.of("events", events)))))
              .build();
      String outcome;
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
        if (body != null && !body.has("errors") && body.path("data").has("telemetry")) {
          acknowledged.addAll(seqs);
          outcome = "acknowledged";
        } else {
          outcome = "HTTP " + response.statusCode() + (body == null ? "" : " with errors");
        }
      } catch (IOException e) {
        outcome = e.getClass().getSimpleName();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
    }
    return null;
  }

  /** Waits until {@code count} more events than now were acknowledged. */
  private void awaitAcknowledgedEvents(int count, String when) {
    int target = acknowledged.size() + count;
    awaitCondition(
        () -> acknowledged.size() >= target,
        "record-event acknowledged "
            + count
            + " events "
            + when
            + " within "
            + WAIT
            + "; requests by outcome: "
            + outcomes);
  }

  /**
   * Kills one of record-event's backends with SIGKILL, which makes the postmaster end every other
   * backend and run crash recovery, and waits until the server accepts connections again.
   */
  private void killBackendAndAwaitRecovery() throws SQLException {
    try (Connection witness = DriverManager.getConnection(databaseUrl, "postgres", null);
        Statement statement = witness.createStatement()) {
      long pid;
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'"
                  + " AND pid <> pg_backend_pid() ORDER BY state = 'active' DESC LIMIT 1")) {
        assertTrue(rs.next(), "a client backend to kill");
        pid = rs.getLong(1);
      }
      ProcessHandle backend =
          ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
      assertTrue(backend.destroyForcibly(), "SIGKILL sent to backend " + pid);
      // Crash recovery ends this connection too: proof that it ran.
      awaitCondition(() -> !answers(statement), "the server ended every backend after the kill");
    }
    awaitCondition(
        () -> {
          try (Connection connection = DriverManager.getConnection(databaseUrl, "postgres", null);
              Statement statement = connection.createStatement()) {
            return answers(statement);
          } catch (SQLException recovering) {
            return false;
          }
        },
        "the server accepts connections again after crash recovery");
  }

  private static boolean answers(Statement statement) {
    try (ResultSet rs = statement.executeQuery("SELECT 1")) {
      return rs.next();
    } catch (SQLException e) {
      return false;
    }
  }

  private static void awaitCondition(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting: " + what);
      }
    }
  }

  private static Set<Long> storedSeqs() throws SQLException {
    Set<Long> seqs = new HashSet<>();
    try (Connection connection = DriverManager.getConnection(databaseUrl, "postgres", null);
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT (public_argument->>'seq')::numeric::bigint FROM event_logs")) {
      while (rs.next()) {
        seqs.add(rs.getLong(1));
      }
    }
    return seqs;
  }

  private static TreeSet<Long> missing(Set<Long> acknowledged, Set<Long> found) {
    TreeSet<Long> missing = new TreeSet<>(acknowledged);
    missing.removeAll(found);
    return missing;
  }

  /** The first 20 of {@code missing}, and how many there are in all, for a readable failure. */
  private static List<String> sample(TreeSet<Long> missing) {
    if (missing.isEmpty()) {
      return List.of();
    }
    List<String> sample = new ArrayList<>();
    sample.add(missing.size() + " missing");
    missing.stream().limit(20).forEach(seq -> sample.add("seq " + seq));
    return sample;
  }
}
