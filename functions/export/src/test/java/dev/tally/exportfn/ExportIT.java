package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.export.ExportRun;
import dev.tally.export.Exporter;
import dev.tally.export.GatewayClient;
import dev.tally.export.GrpcWebGatewayClient;
import dev.tally.export.QueuedEvents;
import dev.tally.gateway.InstanceTokens;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
  private static final String PROJECT = "tally-project";
  private static final Identifier IDENTIFIER =
      Identifier.newBuilder()
          .setUnlicensedInstance(
              Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId(INSTANCE))
          .build();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The gateway refuses larger requests, as Cloud Run refuses those over 32 MiB. */
  private static final int GATEWAY_MAX_REQUEST_BYTES = 2 * 1024 * 1024;

  /** What the exporters of these tests send per request: well under the gateway's limit. */
  private static final int REQUEST_BYTES = 1024 * 1024;

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
                INSTANCE + "=" + InstanceTokens.sha256Hex(TOKEN),
                "TELEMETRY_GATEWAY_MAX_REQUEST_BYTES",
                String.valueOf(GATEWAY_MAX_REQUEST_BYTES),
                "GOOGLE_CLOUD_PROJECT",
                PROJECT));
    export = startExport(Map.of("TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE", "100"));
  }

  private static FunctionProcess startExport(Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR", gateway.uri("").toString());
    env.put("TELEMETRY_GATEWAY_EXPORTER_TOKEN", TOKEN);
    env.put("TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", INSTANCE);
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_REQUEST_BYTES", String.valueOf(REQUEST_BYTES));
    env.put("GOOGLE_CLOUD_PROJECT", PROJECT);
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
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, egress_ledger, egress_ledger_fields");
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
    HttpResponse<String> response = post(function);
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> post(FunctionProcess function) throws Exception {
    return post(function, HttpRequest.newBuilder(function.uri("/")));
  }

  private static HttpResponse<String> post(FunctionProcess function, HttpRequest.Builder request)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            request
                .timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Queues events as the record path leaves them (time-ordered IDs), each with a private-metadata
   * value of {@code padding} characters, straight into the queue.
   */
  private static List<Event> enqueue(int count, int padding) throws Exception {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      EventParameters.Builder parameters = EventParameters.newBuilder().putMetadata("i", i);
      if (padding > 0) {
        parameters.setPrivateMetadata(
            Struct.newBuilder()
                .putFields("pad", Value.newBuilder().setStringValue("x".repeat(padding)).build()));
      }
      Instant now = Instant.now();
      events.add(
          Event.newBuilder()
              .setId(new UUID((now.toEpochMilli() << 16) | 0x7000L, nextSequence()).toString())
              .setFeature("export.endToEnd")
              .setAction("queued")
              .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
              .setParameters(parameters)
              .build());
    }
    QueuedEvents.insert(db.dataSource(), events, Instant.now());
    return events;
  }

  private static long sequence;

  /** The low bits of a UUIDv7: variant bits, then a counter, so that IDs keep arrival order. */
  private static synchronized long nextSequence() {
    return 0x8000_0000_0000_0000L | sequence++;
  }

  /** The function's log lines with this message, printed after {@code offset} characters. */
  private static List<JsonNode> logLines(FunctionProcess function, int offset, String message)
      throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : function.output().substring(offset).split("\n")) {
      if (line.startsWith("{")) {
        JsonNode json = JSON.readTree(line);
        if (message.equals(json.path("message").asText())) {
          lines.add(json);
        }
      }
    }
    return lines;
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
    return Exporter.builder(new ExportQueue(db.dataSource(), clock), clock)
        .gateway(client, IDENTIFIER)
        .batchSize(100)
        .frameBytes(1 << 20)
        .requestBytes(REQUEST_BYTES)
        .maxEventFailures(3)
        .timeBudget(Duration.ofMinutes(2))
        .callTimeout(Duration.ofSeconds(60))
        .lease(Duration.ofMinutes(5))
        .retryBackoff(Duration.ofSeconds(30))
        .retention(Duration.ofHours(24))
        .cleanupInterval(Duration.ofMinutes(30))
        .concurrency(2)
        .build();
  }

  @Test
  void endToEnd_recordedEventsArriveOnTheSubscriptionExactlyOnce() throws Exception {
    List<Event> events = record(250);

    JsonNode run = runExport(export);

    assertEquals(250, run.path("exported").asInt(), run.toString());
    assertEquals(0, run.path("failed").asInt());
    assertEquals(0, run.path("backlog").asInt());
    // Two loops claim at once: how the 250 split into batches depends on their timing.
    int claimed = 0;
    for (JsonNode size : run.path("batchSizes")) {
      assertTrue(size.asInt() <= 100, "batches of at most 100: " + run.path("batchSizes"));
      claimed += size.asInt();
    }
    assertEquals(250, claimed, "every event claimed once");
    Map<String, Integer> delivered = delivered(250);
    assertEquals(ids(events), delivered.keySet());
    assertTrue(delivered.values().stream().allMatch(n -> n == 1), "each exactly once");
    assertEquals(
        250,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"));
    assertEquals(250, ledgerEvents(), "two loops marking at once: each event counted once");
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
    assertEquals(2000, ledgerEvents(), "two runs marking at once: each event counted once");
    Map<String, Integer> delivered = delivered(2000);
    assertEquals(ids(events), delivered.keySet());
    assertTrue(delivered.values().stream().allMatch(n -> n == 1), "none sent twice");
  }

  @Test
  void killedAfterTheGatewayAcknowledged_theEventsAreSentAgain() throws Exception {
    List<Event> events = record(150);
    MutableClock clock = new MutableClock(Instant.now());
    GatewayClient real = new GrpcWebGatewayClient(gateway.uri(""), TOKEN, Duration.ofSeconds(30));
    Set<String> sentByTheDeadRun = ConcurrentHashMap.newKeySet();
    GatewayClient dying =
        new GatewayClient() {
          @Override
          public Set<String> send(RecordEventsRequestMetadata metadata, List<List<byte[]>> frames)
              throws GatewayException {
            sentByTheDeadRun.addAll(real.send(metadata, frames));
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
    assertEquals(0, ledgerEvents(), "the egress ledger counts what was marked, and nothing was");

    clock.advance(Duration.ofMinutes(5));
    ExportRun recovery = exporter(real, clock).run();

    assertEquals(150, recovery.exported());
    Map<String, Integer> delivered = delivered(150 + sentByTheDeadRun.size());
    assertEquals(ids(events), delivered.keySet(), "no event lost");
    Set<String> twice = new HashSet<>();
    delivered.forEach((id, count) -> assertTrue(count <= 2, id + " arrived " + count + " times"));
    delivered.forEach(
        (id, count) -> {
          if (count == 2) {
            twice.add(id);
          }
        });
    assertFalse(sentByTheDeadRun.isEmpty());
    assertEquals(
        sentByTheDeadRun, twice, "what the dead run sent arrived twice: a duplicate, not a loss");
    assertEquals(150, ledgerEvents(), "the egress ledger counts each event once, resent or not");
  }

  /** The events the egress ledger counts as exported, on every day and of every name. */
  private static long ledgerEvents() {
    return db.queryLong("SELECT coalesce(sum(events), 0) FROM egress_ledger");
  }

  @Test
  void aBacklogOfSeveralBatches_isDrainedInOneRun() throws Exception {
    // Two and a half batches of the default 10,000: how many events a run can drain at all is the
    // benchmark's question (BENCHMARKS.md), not this test's.
    record(25_000);
    try (FunctionProcess big =
        startExport(
            Map.of(
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET",
                "4m",
                "TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT",
                "6m"))) {
      JsonNode run = runExport(big);

      assertEquals(25_000, run.path("exported").asInt(), run.toString());
      assertEquals(0, run.path("backlog").asInt());
      assertTrue(run.path("durationMs").asLong() < Duration.ofMinutes(4).toMillis());
      int claimed = 0;
      for (JsonNode size : run.path("batchSizes")) {
        assertTrue(size.asInt() <= 10_000, "batches of at most the default 10000");
        claimed += size.asInt();
      }
      assertEquals(25_000, claimed, "every event claimed once");
      assertTrue(run.path("batchSizes").size() >= 3, "claimed in several batches: " + run);
      assertTrue(
          run.path("requests").asInt() > run.path("batches").asInt(),
          "batches of 10000 take more than one request of 1 MiB: " + run);
    }
    Map<String, Integer> delivered = delivered(25_000);
    assertEquals(25_000, delivered.size());
    assertFalse(delivered.values().stream().anyMatch(n -> n > 1));
  }

  @Test
  void export_aBatchLargerThanOneGatewayRequestIsExportedInSeveralRequests() throws Exception {
    // 300 events of 10 KB: one claimed batch of 3 MB, more than the gateway takes in one request.
    List<Event> events = enqueue(300, 10_000);
    int gatewayLog = gateway.output().length();
    try (FunctionProcess bigBatches =
        startExport(Map.of("TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE", "10000"))) {
      JsonNode run = runExport(bigBatches);

      assertEquals(300, run.path("exported").asInt(), run.toString());
      assertEquals(0, run.path("failed").asInt(), run.toString());
      assertTrue(run.path("requests").asInt() >= 3, run.toString());
    }
    List<JsonNode> requests = logLines(gateway, gatewayLog, "gateway request");
    assertTrue(requests.size() >= 3, requests.size() + " requests");
    for (JsonNode request : requests) {
      assertEquals(
          "in trailers", request.path("grpcStatus").asText(), "answered, not refused: " + request);
      assertTrue(request.path("requestBytes").asInt() <= REQUEST_BYTES, request.toString());
    }
    Map<String, Integer> delivered = delivered(300);
    assertEquals(ids(events), delivered.keySet());
    assertTrue(delivered.values().stream().allMatch(n -> n == 1));
  }

  @Test
  void export_setsAsidePoisonEventAfterThreeTriesWhileAThousandOthersExport() throws Exception {
    List<Event> good = new ArrayList<>(enqueue(500, 0));
    // Larger than the gateway takes in one request: refused with RESOURCE_EXHAUSTED, even alone.
    Event poison = enqueue(1, 3_000_000).get(0);
    good.addAll(enqueue(500, 0));
    MutableClock clock = new MutableClock(Instant.now());
    GatewayClient client = new GrpcWebGatewayClient(gateway.uri(""), TOKEN, Duration.ofSeconds(30));
    Exporter exporter = exporter(client, clock);

    List<ExportRun> runs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      runs.add(exporter.run());
      clock.advance(Duration.ofMinutes(10));
    }
    ExportRun after = exporter.run();

    assertEquals(0, runs.get(0).setAside() + runs.get(1).setAside(), runs.toString());
    assertEquals(1, runs.get(2).setAsideThisRun(), runs.get(2).toString());
    assertTrue(runs.get(2).error().contains("RESOURCE_EXHAUSTED"), runs.get(2).error());
    assertEquals(0, after.requests(), "a set-aside event is not sent again");
    assertEquals(1, after.setAside());
    assertEquals(0, after.backlog());
    ExportQueue.SetAsideEvent setAside =
        new ExportQueue(db.dataSource(), clock).listSetAside(10, null).nodes().get(0);
    assertEquals(poison.getId(), setAside.id().toString());
    assertEquals(3, setAside.failures());
    assertTrue(setAside.reason().contains("RESOURCE_EXHAUSTED"), setAside.reason());
    Map<String, Integer> delivered = delivered(1000);
    assertEquals(ids(good), delivered.keySet(), "the others all exported, the poison never");
    assertTrue(delivered.values().stream().allMatch(n -> n == 1));
  }

  @Test
  void export_aPayloadThatCannotBeDecodedInFullIsSentAsItIsAndSetAsideAfterTheGatewayRefusedIt()
      throws Exception {
    // Export reads only what the egress ledger counts of a payload (its names, its private keys)
    // and sends the rest as stored: a payload whose private metadata value is not UTF-8 is claimed
    // and sent; the gateway cannot read it, and it is isolated like any event the gateway refuses.
    List<Event> good = new ArrayList<>(enqueue(150, 0));
    Event broken = enqueue(1, 16).get(0);
    good.addAll(enqueue(150, 0));
    byte[] payload = broken.toByteArray();
    int value =
        new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("x".repeat(16));
    payload[value] = (byte) 0xff;
    assertThrows(
        com.google.protobuf.InvalidProtocolBufferException.class, () -> Event.parseFrom(payload));
    try (var connection = db.dataSource().getConnection();
        var update =
            connection.prepareStatement(
                "UPDATE telemetry_events_export_queue SET payload_pb = ? WHERE id = ?")) {
      update.setBytes(1, payload);
      update.setObject(2, UUID.fromString(broken.getId()));
      assertEquals(1, update.executeUpdate());
    }
    MutableClock clock = new MutableClock(Instant.now());
    GatewayClient client = new GrpcWebGatewayClient(gateway.uri(""), TOKEN, Duration.ofSeconds(30));
    Exporter exporter = exporter(client, clock);

    List<ExportRun> runs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      runs.add(exporter.run());
      clock.advance(Duration.ofMinutes(10));
    }

    assertEquals(0, runs.get(0).setAside(), "claimed, not set aside as undecodable: " + runs);
    assertEquals(1, runs.get(2).setAsideThisRun(), runs.get(2).toString());
    assertEquals(0, exporter.run().backlog());
    ExportQueue.SetAsideEvent setAside =
        new ExportQueue(db.dataSource(), clock).listSetAside(10, null).nodes().get(0);
    assertEquals(broken.getId(), setAside.id().toString());
    assertEquals(3, setAside.failures());
    assertTrue(setAside.reason().contains("cannot be read"), setAside.reason());
    Map<String, Integer> delivered = delivered(300);
    assertEquals(ids(good), delivered.keySet(), "the others all exported, the broken one never");
    assertTrue(delivered.values().stream().allMatch(n -> n == 1));
  }

  @Test
  void export_aDatabaseOutageDuringATwoLoopExportAnswers503AndStillLogsTheRun() throws Exception {
    enqueue(200, 0);
    int exportLog = export.output().length();
    db.execute(
        "CREATE FUNCTION outage() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$ BEGIN RAISE EXCEPTION 'database outage (simulated by the test)'; END $$;"
            + " CREATE TRIGGER outage BEFORE UPDATE ON telemetry_events_export_queue"
            + " FOR EACH STATEMENT EXECUTE FUNCTION outage()");
    HttpResponse<String> response;
    try {
      response = post(export);
    } finally {
      db.execute("DROP TRIGGER outage ON telemetry_events_export_queue; DROP FUNCTION outage()");
    }

    assertEquals(503, response.statusCode(), response.body());
    JsonNode body = JSON.readTree(response.body());
    assertTrue(body.path("error").asText().contains("simulated by the test"), body.toString());
    assertTrue(body.path("errors").get(0).path("message").asText().contains("unavailable"));
    List<JsonNode> runs = logLines(export, exportLog, "export run");
    assertEquals(1, runs.size(), "one export run line");
    assertTrue(runs.get(0).path("error").asText().contains("simulated by the test"));
    assertEquals("WARNING", runs.get(0).path("severity").asText());
    assertEquals(200, runs.get(0).path("backlog").asInt(), "nothing lost");
  }

  @Test
  void export_aScheduledRunsLinesAndTheGatewayCallsItMakesShareTheSchedulersTrace()
      throws Exception {
    record(3);
    int exportLog = export.output().length();
    int gatewayLog = gateway.output().length();
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";

    HttpResponse<String> response =
        post(
            export,
            HttpRequest.newBuilder(export.uri("/"))
                .header("X-Cloud-Trace-Context", trace + "/123;o=1"));

    assertEquals(200, response.statusCode(), response.body());
    assertEquals(3, JSON.readTree(response.body()).path("exported").asInt());
    String expected = "projects/" + PROJECT + "/traces/" + trace;
    JsonNode run = logLines(export, exportLog, "export run").get(0);
    assertEquals(expected, run.path("logging.googleapis.com/trace").asText(), run.toString());
    assertEquals(
        "000000000000007b", run.path("logging.googleapis.com/spanId").asText(), run.toString());
    JsonNode batch = logLines(gateway, gatewayLog, "gateway batch").get(0);
    assertEquals(expected, batch.path("logging.googleapis.com/trace").asText(), batch.toString());
    assertEquals(3, batch.path("published").asInt(), batch.toString());
    delivered(3);
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
