package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.export.ExportRun;
import dev.tally.export.Exporter;
import dev.tally.export.GatewayClient;
import dev.tally.export.GrpcWebGatewayClient;
import dev.tally.gateway.InstanceTokens;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.PubSubEmulator;
import dev.tally.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Export end to end: a real PostgreSQL queue, the export function and the gateway function in the
 * real invoker, and the real Pub/Sub emulator behind the gateway.
 */
@ExtendWith(PostgresExtension.class)
class ExportIT {
  private static final String TOKEN = "export-test-token";
  private static final String INSTANCE = "instance-1";
  private static final Identifier IDENTIFIER =
      Identifier.newBuilder()
          .setUnlicensedInstance(
              Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId(INSTANCE))
          .build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static PubSubEmulator emulator;
  private static FunctionProcess gateway;
  private static FunctionProcess export;

  private String subscription;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    emulator = PubSubEmulator.start();
    emulator.createTopic("events");
    gateway =
        FunctionProcess.start(
            "gateway",
            "dev.tally.gatewayfn.GatewayFunction",
            Map.of(
                "PUBSUB_PROJECT_ID",
                PubSubEmulator.PROJECT,
                "PUBSUB_EMULATOR_HOST",
                emulator.hostPort(),
                "TELEMETRY_GATEWAY_TOPIC",
                "events",
                "TELEMETRY_GATEWAY_INSTANCE_TOKENS",
                INSTANCE + "=" + InstanceTokens.sha256Hex(TOKEN)));
    export = startExport(Map.of("TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE", "100"));
  }

  private static FunctionProcess startExport(Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR", gateway.uri("").toString());
    env.put("TELEMETRY_GATEWAY_EXPORTER_TOKEN", TOKEN);
    env.put("TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", INSTANCE);
    env.putAll(extra);
    return FunctionProcess.start("export", "dev.tally.exportfn.ExportFunction", env);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable closeable : new AutoCloseable[] {export, gateway, emulator}) {
      if (closeable != null) {
        closeable.close();
      }
    }
  }

  @BeforeEach
  void reset(TestInfo test) throws Exception {
    db.execute("TRUNCATE event_logs, telemetry_events_export_queue");
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
    subscription = "sub-" + test.getTestMethod().orElseThrow().getName().toLowerCase();
    emulator.createSubscription(subscription, "events");
  }

  private static List<Event> record(int count) {
    EventRecorder recorder =
        new EventRecorder(
            new EventBuilder(Clock.systemUTC(), "1.0.0"),
            new FeatureFlags(db.dataSource()),
            new TeeStore(
                db.dataSource(),
                new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())),
            new RecordingLimits(1000, 65536, 32768));
    List<Event> events = new ArrayList<>();
    for (int from = 0; from < count; from += 1000) {
      List<EventInput> batch = new ArrayList<>();
      for (int i = from; i < Math.min(count, from + 1000); i++) {
        batch.add(
            EventInput.backend(
                "export.endToEnd", "recorded", EventInput.Parameters.of(1, Map.of("i", i))));
      }
      events.addAll(recorder.record(batch, Actor.user(7), null, null));
    }
    return events;
  }

  private static JsonNode runExport(FunctionProcess function) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(function.uri("/"))
                    .timeout(Duration.ofMinutes(5))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  /** Event IDs read back from this test's subscription, with how often each arrived. */
  private Map<String, Integer> delivered(int expected) throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (PubSubEmulator.Message message :
        emulator.pull(subscription, expected, Duration.ofSeconds(60))) {
      counts.merge(
          JSON.readTree(message.data()).path("event").path("id").asText(), 1, Integer::sum);
    }
    // Anything more would be a duplicate: give it a moment to show up.
    for (PubSubEmulator.Message message : emulator.pull(subscription, 1, Duration.ofMillis(500))) {
      counts.merge(
          JSON.readTree(message.data()).path("event").path("id").asText(), 1, Integer::sum);
    }
    return counts;
  }

  private static Set<String> ids(List<Event> events) {
    Set<String> ids = new HashSet<>();
    events.forEach(e -> ids.add(e.getId()));
    return ids;
  }

  private static Exporter exporter(GatewayClient client, Clock clock) {
    return new Exporter(
        new ExportQueue(db.dataSource(), clock),
        client,
        IDENTIFIER,
        new Exporter.Settings(
            100,
            1 << 20,
            Duration.ofMinutes(2),
            Duration.ofMinutes(5),
            Duration.ofSeconds(30),
            Duration.ofHours(24),
            Duration.ofMinutes(30),
            1),
        clock);
  }

  @Test
  void endToEnd_recordedEventsArriveOnTheSubscriptionExactlyOnce() throws Exception {
    List<Event> events = record(250);

    JsonNode run = runExport(export);

    assertEquals(250, run.path("exported").asInt(), run.toString());
    assertEquals(0, run.path("failed").asInt());
    assertEquals(0, run.path("backlog").asInt());
    List<Integer> sizes = new ArrayList<>();
    run.path("batchSizes").forEach(size -> sizes.add(size.asInt()));
    sizes.sort(null);
    assertEquals(List.of(50, 100, 100), sizes);
    Map<String, Integer> delivered = delivered(250);
    assertEquals(ids(events), delivered.keySet());
    assertTrue(delivered.values().stream().allMatch(n -> n == 1), "each exactly once");
    assertEquals(
        250,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"));
  }

  @Test
  void gatewayUnreachableOrFailing_marksNothingAndALaterRunDeliversAll() throws Exception {
    List<Event> events = record(120);
    MutableClock clock = new MutableClock(Instant.now());
    URI dead = URI.create("http://127.0.0.1:" + FunctionProcess.freePort());

    ExportRun unreachable =
        exporter(new GrpcWebGatewayClient(dead, TOKEN, Duration.ofSeconds(5)), clock).run();
    clock.advance(Duration.ofMinutes(1));
    ExportRun refused =
        exporter(
                new GrpcWebGatewayClient(gateway.uri(""), "wrong-token", Duration.ofSeconds(5)),
                clock)
            .run();

    assertEquals(0, unreachable.exported());
    assertTrue(unreachable.error().startsWith("gateway unreachable"), unreachable.error());
    assertEquals(0, refused.exported());
    assertTrue(refused.error().contains("status 16"), refused.error());
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"));
    assertEquals(120, db.queryLong("SELECT count(*) FROM event_logs"), "nothing lost");

    clock.advance(Duration.ofMinutes(10));
    ExportRun later =
        exporter(new GrpcWebGatewayClient(gateway.uri(""), TOKEN, Duration.ofSeconds(30)), clock)
            .run();

    assertEquals(120, later.exported());
    Map<String, Integer> delivered = delivered(120);
    assertEquals(ids(events), delivered.keySet());
    assertTrue(delivered.values().stream().allMatch(n -> n == 1));
  }

  @Test
  void twoRunsAtTheSameTime_deliverEveryEventOnce() throws Exception {
    List<Event> events = record(2000);

    CompletableFuture<JsonNode> first = CompletableFuture.supplyAsync(() -> uncheckedRun(export));
    CompletableFuture<JsonNode> second = CompletableFuture.supplyAsync(() -> uncheckedRun(export));
    JsonNode a = first.get();
    JsonNode b = second.get();

    assertEquals(2000, a.path("exported").asInt() + b.path("exported").asInt(), a + " / " + b);
    Map<String, Integer> delivered = delivered(2000);
    assertEquals(ids(events), delivered.keySet());
    assertTrue(delivered.values().stream().allMatch(n -> n == 1), "none sent twice");
  }

  @Test
  void killedAfterTheGatewayAcknowledged_theEventsAreSentAgain() throws Exception {
    List<Event> events = record(150);
    MutableClock clock = new MutableClock(Instant.now());
    GatewayClient real = new GrpcWebGatewayClient(gateway.uri(""), TOKEN, Duration.ofSeconds(30));
    GatewayClient dying =
        new GatewayClient() {
          @Override
          public Set<String> send(RecordEventsRequestMetadata metadata, List<List<Event>> frames)
              throws GatewayException {
            real.send(metadata, frames);
            throw new ProcessDeath();
          }
        };

    try {
      exporter(dying, clock).run();
    } catch (ProcessDeath expected) {
      // the process died between the gateway's acknowledgement and the marking
    }
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"));

    clock.advance(Duration.ofMinutes(5));
    ExportRun recovery = exporter(real, clock).run();

    assertEquals(150, recovery.exported());
    Map<String, Integer> delivered = delivered(250);
    assertEquals(ids(events), delivered.keySet(), "no event lost");
    assertEquals(
        100,
        delivered.values().stream().filter(n -> n == 2).count(),
        "the batch of the dead run arrived twice: a duplicate, never a loss");
  }

  @Test
  void fiftyThousandQueuedEvents_areDrainedInOneRun() throws Exception {
    record(50_000);
    try (FunctionProcess big =
        startExport(Map.of("TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET", "4m"))) {
      JsonNode run = runExport(big);

      assertEquals(50_000, run.path("exported").asInt(), run.toString());
      assertEquals(0, run.path("backlog").asInt());
      assertTrue(run.path("durationMs").asLong() < Duration.ofMinutes(4).toMillis());
      int claimed = 0;
      for (JsonNode size : run.path("batchSizes")) {
        assertTrue(size.asInt() <= 10_000, "batches of at most the default 10000");
        claimed += size.asInt();
      }
      assertEquals(50_000, claimed, "every event claimed once");
    }
    Map<String, Integer> delivered = delivered(50_000);
    assertEquals(50_000, delivered.size());
    assertFalse(delivered.values().stream().anyMatch(n -> n > 1));
  }

  private static JsonNode uncheckedRun(FunctionProcess function) {
    try {
      return runExport(function);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stands for the process dying: nothing after it runs. */
  private static final class ProcessDeath extends Error {}
}
