package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.ExportQueue;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The exporter against a real PostgreSQL, sending to an in-memory gateway (our own port). */
@ExtendWith(PostgresExtension.class)
class ExporterTest {
  private static final Identifier IDENTIFIER =
      ExporterConfig.identifier("instance-1", null, "https://sourcegraph.example.com");

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final ExportQueue queue;
  private final TeeStore store;
  private final EventBuilder builder = new EventBuilder(clock, "1.0.0");

  ExporterTest(TestDatabase db) {
    this.db = db;
    this.queue = new ExportQueue(db.dataSource(), clock);
    this.store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue;"
            + " UPDATE telemetry_export_state SET last_cleanup_at = NULL");
  }

  /** A gateway that acknowledges the events a test chooses and remembers every call. */
  static final class FakeGateway implements GatewayClient {
    final List<RecordEventsRequestMetadata> calls = new ArrayList<>();
    final List<List<List<Event>>> frames = new ArrayList<>();
    Predicate<Event> accepts = e -> true;
    boolean fail;

    @Override
    public synchronized Set<String> send(
        RecordEventsRequestMetadata metadata, List<List<Event>> sent) throws GatewayException {
      calls.add(metadata);
      frames.add(sent);
      if (fail) {
        throw new GatewayException(
            "gateway answered with gRPC status 14: unavailable", Set.of(), null);
      }
      Set<String> acknowledged = new HashSet<>();
      sent.forEach(
          frame -> frame.stream().filter(accepts).forEach(e -> acknowledged.add(e.getId())));
      return acknowledged;
    }
  }

  private static Exporter.Settings settings(int batchSize, int frameBytes) {
    return new Exporter.Settings(
        batchSize,
        frameBytes,
        Duration.ofMinutes(4),
        Duration.ofMinutes(5),
        Duration.ofSeconds(30),
        Duration.ofHours(24),
        Duration.ofMinutes(30),
        1);
  }

  private List<Event> record(int count) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(
          builder.build(
              EventInput.backend(
                  "export.test", "queued", EventInput.Parameters.of(0, Map.of("i", i))),
              EventContext.of(Actor.unknown())));
    }
    store.store(events, true);
    return events;
  }

  @Test
  void run_drainsTheQueueInBatchesAndMarksWhatWasAcknowledged() {
    record(250);
    FakeGateway gateway = new FakeGateway();

    ExportRun run = new Exporter(queue, gateway, IDENTIFIER, settings(100, 1 << 20), clock).run();

    assertEquals(250, run.exported());
    assertEquals(List.of(100, 100, 50), run.batchSizes());
    assertEquals(0, run.backlog());
    assertEquals(250, queue.backlog().exported());
    Set<String> requestIds = new HashSet<>();
    gateway.calls.forEach(
        metadata -> {
          requestIds.add(metadata.getRequestId());
          assertEquals(IDENTIFIER, metadata.getIdentifier());
        });
    assertEquals(3, requestIds.size(), "a request_id per call");
  }

  @Test
  void run_withSeveralLoopsSendsEveryEventOnce() {
    List<Event> events = record(1000);
    FakeGateway gateway = new FakeGateway();
    Exporter.Settings s = settings(100, 1 << 20);
    Exporter.Settings concurrent =
        new Exporter.Settings(
            s.batchSize(),
            s.frameBytes(),
            s.timeBudget(),
            s.lease(),
            s.retryBackoff(),
            s.retention(),
            s.cleanupInterval(),
            3);

    ExportRun run = new Exporter(queue, gateway, IDENTIFIER, concurrent, clock).run();

    assertEquals(1000, run.exported());
    List<String> sent = new ArrayList<>();
    synchronized (gateway) {
      gateway.frames.forEach(
          call -> call.forEach(frame -> frame.forEach(e -> sent.add(e.getId()))));
    }
    assertEquals(1000, sent.size(), "no event sent twice");
    assertEquals(
        events.stream().map(Event::getId).collect(java.util.stream.Collectors.toSet()),
        new HashSet<>(sent));
  }

  @Test
  void run_marksOnlyAcknowledgedEventsAndReleasesTheRestWithABackoff() {
    List<Event> events = record(10);
    Set<String> odd = new HashSet<>();
    for (int i = 1; i < events.size(); i += 2) {
      odd.add(events.get(i).getId());
    }
    FakeGateway gateway = new FakeGateway();
    gateway.accepts = e -> !odd.contains(e.getId());
    Exporter exporter = new Exporter(queue, gateway, IDENTIFIER, settings(100, 1 << 20), clock);

    ExportRun first = exporter.run();

    assertEquals(5, first.exported());
    assertEquals(5, first.failed());
    assertEquals(5, first.backlog());
    assertEquals(0, exporter.run().exported(), "released events wait for their retry time");

    clock.advance(Duration.ofSeconds(30));
    gateway.accepts = e -> true;
    ExportRun retry = exporter.run();
    assertEquals(5, retry.exported());
    Set<String> retried = new HashSet<>();
    gateway
        .frames
        .get(gateway.frames.size() - 1)
        .forEach(f -> f.forEach(e -> retried.add(e.getId())));
    assertEquals(odd, retried, "only the unacknowledged events are sent again");
  }

  @Test
  void run_withAFailingGatewayMarksNothingAndStops() {
    record(300);
    FakeGateway gateway = new FakeGateway();
    gateway.fail = true;

    ExportRun run = new Exporter(queue, gateway, IDENTIFIER, settings(100, 1 << 20), clock).run();

    assertEquals(0, run.exported());
    assertEquals(100, run.failed());
    assertEquals(1, gateway.calls.size(), "no further batches once the gateway fails");
    assertTrue(run.error().contains("status 14"), run.error());
    assertEquals(0, queue.backlog().exported());
    assertEquals(300, run.backlog());
  }

  @Test
  void run_cutsBatchesIntoFramesOfTheConfiguredSize() {
    record(200);
    FakeGateway gateway = new FakeGateway();

    new Exporter(queue, gateway, IDENTIFIER, settings(1000, 16 * 1024), clock).run();

    List<List<Event>> frames = gateway.frames.get(0);
    assertTrue(frames.size() > 1, "several frames for 200 events of 16 KiB frames");
    int total = 0;
    for (List<Event> frame : frames) {
      int bytes = frame.stream().mapToInt(e -> e.getSerializedSize() + 8).sum();
      assertTrue(bytes <= 16 * 1024, "frame of " + bytes + " bytes");
      total += frame.size();
    }
    assertEquals(200, total);
  }

  @Test
  void run_withExportOffStillCleansUpAndReports() {
    record(3);
    ExportRun run = new Exporter(queue, null, null, settings(100, 1 << 20), clock).run();

    assertFalse(run.exportEnabled());
    assertTrue(run.cleanupRan());
    assertEquals(0, run.exported());
    assertEquals(3, run.backlog());
    assertNull(run.error());
  }

  @Test
  void cleanup_runsAtMostOncePerIntervalAndPrunesAfterTheRetention() {
    record(5);
    FakeGateway gateway = new FakeGateway();
    Exporter exporter = new Exporter(queue, gateway, IDENTIFIER, settings(100, 1 << 20), clock);
    assertTrue(exporter.run().cleanupRan());

    clock.advance(Duration.ofMinutes(10));
    assertFalse(exporter.run().cleanupRan(), "within the cleanup interval");

    clock.advance(Duration.ofHours(25));
    ExportRun later = exporter.run();
    assertTrue(later.cleanupRan());
    assertEquals(5, later.pruned(), "exported more than the retention ago");
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }
}
