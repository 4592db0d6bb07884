package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tally.export.GatewayClient.GatewayException;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import dev.tally.testing.DelegatingDataSource;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import dev.tally.testing.TickingDataSource;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The exporter against a real PostgreSQL queue, sending to an in-memory gateway (our own port) that
 * answers as the real one does. Runs with the production concurrency (2 loops).
 */
@ExtendWith(PostgresExtension.class)
class ExporterTest {
  private static final Identifier IDENTIFIER =
      ExporterConfig.identifier("instance-1", null, "https://sourcegraph.example.com");
  private static final int CONCURRENCY = 2;

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final OutageDataSource dataSource;
  private final ExportQueue queue;
  private long sequence;

  ExporterTest(TestDatabase db) {
    this.db = db;
    this.dataSource = new OutageDataSource(db.dataSource());
    this.queue = new ExportQueue(dataSource, clock);
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue;"
            + " UPDATE telemetry_export_state SET last_cleanup_at = NULL");
  }

  /**
   * A gateway that answers as the real one: it acknowledges what it accepts, refuses a request
   * larger than its limit or holding a poison event with RESOURCE_EXHAUSTED, and remembers every
   * call with its encoded size.
   */
  static final class FakeGateway implements GatewayClient {
    final List<List<List<Event>>> calls = new ArrayList<>();
    final List<Integer> callBytes = new ArrayList<>();
    Predicate<Event> accepts = e -> true;
    Predicate<Event> poison = e -> false;
    int maxRequestBytes = Integer.MAX_VALUE;
    GatewayException.Kind failEveryCall;
    Runnable duringCall = () -> {};

    @Override
    public synchronized Set<String> send(
        RecordEventsRequestMetadata metadata, List<List<byte[]>> encoded) throws GatewayException {
      List<List<Event>> sent = decoded(encoded);
      calls.add(sent);
      int bytes = encodedBytes(metadata, sent);
      callBytes.add(bytes);
      duringCall.run();
      if (failEveryCall != null) {
        throw new GatewayException(
            failEveryCall, "gateway failed: " + failEveryCall, Set.of(), null);
      }
      if (bytes > maxRequestBytes) {
        throw new GatewayException(
            GatewayException.Kind.SUSPECT,
            "gateway answered with gRPC status 8 RESOURCE_EXHAUSTED: request too large",
            Set.of(),
            null);
      }
      if (sent.stream().flatMap(List::stream).anyMatch(poison)) {
        throw new GatewayException(
            GatewayException.Kind.SUSPECT,
            "gateway answered with gRPC status 13 INTERNAL: cannot read the message",
            Set.of(),
            null);
      }
      Set<String> acknowledged = new HashSet<>();
      sent.forEach(
          frame -> frame.stream().filter(accepts).forEach(e -> acknowledged.add(e.getId())));
      return acknowledged;
    }

    synchronized List<String> sentIds() {
      List<String> ids = new ArrayList<>();
      calls.forEach(call -> call.forEach(frame -> frame.forEach(e -> ids.add(e.getId()))));
      return ids;
    }

    /** The events of each frame, decoded as the gateway decodes them. */
    static List<List<Event>> decoded(List<List<byte[]>> frames) {
      List<List<Event>> decoded = new ArrayList<>();
      for (List<byte[]> frame : frames) {
        List<Event> events = new ArrayList<>();
        for (byte[] event : frame) {
          try {
            events.add(Event.parseFrom(event));
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("the exporter sent an event that cannot be read", e);
          }
        }
        decoded.add(events);
      }
      return decoded;
    }

    /** The size of the gRPC-web body of this call: what the gateway's byte limit counts. */
    static int encodedBytes(RecordEventsRequestMetadata metadata, List<List<Event>> frames) {
      int bytes =
          5 + RecordEventsRequest.newBuilder().setMetadata(metadata).build().getSerializedSize();
      for (List<Event> frame : frames) {
        bytes +=
            5
                + RecordEventsRequest.newBuilder()
                    .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(frame))
                    .build()
                    .getSerializedSize();
      }
      return bytes;
    }
  }

  /**
   * An exporter sending to {@code gateway} with the settings these tests count on (those of
   * production, but a four-minute budget), with {@value #CONCURRENCY} loops: a test changes what it
   * depends on before building it.
   */
  private Exporter.Builder exporter(GatewayClient gateway) {
    return settings(Exporter.builder(queue, clock).gateway(gateway, IDENTIFIER));
  }

  private static Exporter.Builder settings(Exporter.Builder exporter) {
    return exporter
        .batchSize(100)
        .frameBytes(1 << 20)
        .requestBytes(8 << 20)
        .maxEventFailures(3)
        .timeBudget(Duration.ofMinutes(4))
        .callTimeout(Duration.ofSeconds(60))
        .lease(Duration.ofMinutes(5))
        .retryBackoff(Duration.ofSeconds(30))
        .retention(Duration.ofHours(24))
        .cleanupInterval(Duration.ofMinutes(30))
        .concurrency(CONCURRENCY);
  }

  /** Queues events as the record path does, each with a private-metadata value of that size. */
  private List<Event> enqueue(int count, int padding) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      EventParameters.Builder parameters = EventParameters.newBuilder().putMetadata("i", i);
      if (padding > 0) {
        parameters.setPrivateMetadata(
            Struct.newBuilder()
                .putFields("pad", Value.newBuilder().setStringValue("x".repeat(padding)).build()));
      }
      events.add(
          Event.newBuilder()
              .setId(uuidV7(clock.millis(), sequence++).toString())
              .setFeature("export.test")
              .setAction("queued")
              .setTimestamp(Timestamp.newBuilder().setSeconds(clock.instant().getEpochSecond()))
              .setParameters(parameters)
              .build());
    }
    QueuedEvents.insert(db.dataSource(), events, clock.instant());
    return events;
  }

  private List<Event> enqueue(int count) {
    return enqueue(count, 0);
  }

  /** A time-ordered ID, as the server generates: later sequence numbers sort later. */
  private static UUID uuidV7(long millis, long sequence) {
    return new UUID((millis << 16) | 0x7000L, 0x8000_0000_0000_0000L | sequence);
  }

  private static Set<String> ids(List<Event> events) {
    return events.stream().map(Event::getId).collect(Collectors.toSet());
  }

  private long exportedCount() {
    return db.queryLong(
        "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL");
  }

  private long chargedFailures() {
    return db.queryLong("SELECT coalesce(sum(failures), 0) FROM telemetry_events_export_queue");
  }

  @Test
  void run_drainsTheQueueInBatchesAndMarksWhatWasAcknowledged() {
    List<Event> events = enqueue(250);
    FakeGateway gateway = new FakeGateway();

    ExportRun run = exporter(gateway).batchSize(100).build().run();

    assertEquals(250, run.exported());
    assertEquals(250, run.batchSizes().stream().mapToInt(Integer::intValue).sum());
    assertTrue(run.batchSizes().stream().allMatch(size -> size <= 100), run.batchSizes()::toString);
    assertEquals(0, run.backlog());
    assertEquals(250, queue.backlog().exported());
    assertEquals(250, gateway.sentIds().size(), "every event sent once");
    assertEquals(ids(events), new HashSet<>(gateway.sentIds()));
  }

  @Test
  void run_withSeveralLoopsSendsEveryEventOnceEachCallWithItsOwnRequestId() {
    List<Event> events = enqueue(1000);
    FakeGateway gateway = new FakeGateway();
    List<String> requestIds = new ArrayList<>();
    GatewayClient recording =
        (metadata, frames) -> {
          synchronized (requestIds) {
            requestIds.add(metadata.getRequestId());
          }
          assertEquals(IDENTIFIER, metadata.getIdentifier());
          return gateway.send(metadata, frames);
        };
    ExportRun run = exporter(recording).batchSize(100).concurrency(3).build().run();

    assertEquals(1000, run.exported());
    assertEquals(1000, gateway.sentIds().size(), "no event sent twice");
    assertEquals(ids(events), new HashSet<>(gateway.sentIds()));
    assertEquals(requestIds.size(), new HashSet<>(requestIds).size(), "a request_id per call");
    assertEquals(requestIds.size(), run.requests());
  }

  @Test
  void run_marksOnlyAcknowledgedEventsAndReleasesTheRestWithABackoff() {
    List<Event> events = enqueue(10);
    Set<String> odd = new HashSet<>();
    for (int i = 1; i < events.size(); i += 2) {
      odd.add(events.get(i).getId());
    }
    FakeGateway gateway = new FakeGateway();
    gateway.accepts = e -> !odd.contains(e.getId());
    // One loop: a call holding only refused events would stop the run (as it should) and leave
    // the other loop's events unsent.
    Exporter exporter = exporter(gateway).batchSize(100).concurrency(1).build();

    ExportRun first = exporter.run();

    assertEquals(5, first.exported());
    assertEquals(5, first.failed());
    assertEquals(5, first.backlog());
    assertEquals(0, exporter.run().exported(), "released events wait for their retry time");

    clock.advance(Duration.ofSeconds(30));
    gateway.accepts = e -> true;
    int sentBefore = gateway.sentIds().size();
    ExportRun retry = exporter.run();
    assertEquals(5, retry.exported());
    assertEquals(
        odd,
        new HashSet<>(gateway.sentIds().subList(sentBefore, gateway.sentIds().size())),
        "only the unacknowledged events are sent again");
    assertEquals(0, retry.setAside(), "not acknowledged is not a failure of the event");
  }

  @Test
  void run_withAGatewayThatIsDownMarksNothingChargesNothingAndStops() {
    enqueue(300);
    FakeGateway gateway = new FakeGateway();
    gateway.failEveryCall = GatewayException.Kind.TRANSIENT;

    ExportRun run = exporter(gateway).batchSize(100).build().run();

    assertEquals(0, run.exported());
    assertTrue(gateway.calls.size() <= CONCURRENCY, "no further calls once the gateway fails");
    assertEquals(100 * gateway.calls.size(), run.failed());
    assertEquals("gateway failed: TRANSIENT", run.error());
    assertEquals(300, run.backlog());
    assertEquals(0, chargedFailures(), "the events did nothing wrong");
  }

  @Test
  void run_withARefusedTokenStopsWithoutSplittingTheRequest() {
    enqueue(300);
    FakeGateway gateway = new FakeGateway();
    gateway.failEveryCall = GatewayException.Kind.REFUSED;

    ExportRun run = exporter(gateway).batchSize(100).build().run();

    assertTrue(gateway.calls.size() <= CONCURRENCY, gateway.calls.size() + " calls");
    gateway.calls.forEach(call -> assertEquals(100, call.stream().mapToInt(List::size).sum()));
    assertEquals(0, run.setAsideThisRun());
    assertEquals(0, chargedFailures());
  }

  @Test
  void run_cutsRequestsIntoFramesOfTheConfiguredSize() {
    // About 300 bytes each: however the two loops split the claim, one sends 100 or more, more
    // than one frame holds.
    enqueue(200, 200);
    FakeGateway gateway = new FakeGateway();

    exporter(gateway).batchSize(1000).frameBytes(16 * 1024).requestBytes(8 << 20).build().run();

    assertTrue(
        gateway.calls.stream().anyMatch(call -> call.size() > 1),
        "several frames of 16 KiB for 100 events or more");
    int total = 0;
    for (List<List<Event>> call : gateway.calls) {
      for (List<Event> frame : call) {
        int bytes = frame.stream().mapToInt(e -> e.getSerializedSize() + 8).sum();
        assertTrue(bytes <= 16 * 1024, "frame of " + bytes + " bytes");
        total += frame.size();
      }
    }
    assertEquals(200, total);
  }

  @Test
  void export_sendsABatchLargerThanOneRequestInSeveralRequestsEachWithinTheBudget() {
    List<Event> events = enqueue(400, 2000); // about 800 KB in one batch
    FakeGateway gateway = new FakeGateway();
    gateway.maxRequestBytes = 100 * 1024;

    ExportRun run =
        exporter(gateway)
            .batchSize(10_000)
            .frameBytes(16 * 1024)
            .requestBytes(100 * 1024)
            .build()
            .run();

    assertEquals(400, run.exported());
    assertEquals(400, run.batchSizes().stream().mapToInt(Integer::intValue).sum());
    assertTrue(gateway.calls.size() >= 8, gateway.calls.size() + " requests");
    assertEquals(gateway.calls.size(), run.requests(), "none refused, none split");
    gateway.callBytes.forEach(
        bytes -> assertTrue(bytes <= 100 * 1024, "a request of " + bytes + " bytes"));
    assertEquals(events.size(), gateway.sentIds().size());
    assertEquals(ids(events), new HashSet<>(gateway.sentIds()));
  }

  @Test
  void export_sendsAnEventLargerThanTheBudgetAloneAndTheOthersAroundIt() {
    List<Event> before = enqueue(50, 100);
    List<Event> big = enqueue(1, 50 * 1024);
    List<Event> after = enqueue(50, 100);
    FakeGateway gateway = new FakeGateway();

    ExportRun run =
        exporter(gateway)
            .batchSize(10_000)
            .frameBytes(16 * 1024)
            .requestBytes(20 * 1024)
            .build()
            .run();

    assertEquals(101, run.exported());
    assertTrue(
        gateway.calls.stream().anyMatch(call -> call.size() == 1 && call.get(0).equals(big)),
        "the large event went alone");
    assertEquals(101, gateway.sentIds().size());
    assertEquals(before.size() + after.size() + 1, new HashSet<>(gateway.sentIds()).size());
  }

  @Test
  void export_splitsARefusedRequestSoThatTheGoodEventsGoThrough() {
    List<Event> events = enqueue(1000);
    Event poison = events.get(617);
    FakeGateway gateway = new FakeGateway();
    gateway.poison = e -> e.getId().equals(poison.getId());

    ExportRun run = exporter(gateway).batchSize(10_000).build().run();

    assertEquals(999, run.exported());
    assertEquals(1, run.failed(), "the poison event waits for its retry");
    assertEquals(0, run.setAsideThisRun());
    assertTrue(run.requests() <= 2 + 2 * 10, run.requests() + " requests: a bisection, no more");
    assertTrue(run.error().contains("INTERNAL"), run.error());
    assertEquals(
        1,
        db.queryLong(
            "SELECT failures FROM telemetry_events_export_queue WHERE id = '"
                + poison.getId()
                + "'"));
  }

  @Test
  void export_setsAsidePoisonEventAfterThreeFailures() {
    List<Event> events = enqueue(1000);
    Event poison = events.get(3);
    FakeGateway gateway = new FakeGateway();
    gateway.poison = e -> e.getId().equals(poison.getId());
    Exporter exporter = exporter(gateway).batchSize(10_000).build();

    ExportRun first = exporter.run();
    clock.advance(Duration.ofMinutes(5));
    ExportRun second = exporter.run();
    clock.advance(Duration.ofMinutes(5));
    ExportRun third = exporter.run();
    clock.advance(Duration.ofHours(1));
    ExportRun fourth = exporter.run();

    assertEquals(999, first.exported());
    assertEquals(0, first.setAside());
    assertEquals(1, second.failed());
    assertEquals(1, third.setAsideThisRun());
    assertEquals(1, third.setAside());
    assertEquals(0, third.backlog());
    assertEquals(0, fourth.requests(), "a set-aside event is not sent again");
    assertEquals(1, fourth.setAside(), "still waiting for an admin");
    ExportQueue.SetAsideEvent setAside = queue.listSetAside(10, null).nodes().get(0);
    assertEquals(poison.getId(), setAside.id().toString());
    assertEquals(3, setAside.failures());
    assertTrue(setAside.reason().contains("INTERNAL"), setAside.reason());
    assertEquals(999, exportedCount());
  }

  @Test
  void export_stopsChargingFailuresWhenTheGatewayRefusesEverySingleEvent() {
    enqueue(300);
    FakeGateway gateway = new FakeGateway();
    gateway.poison = e -> true;

    ExportRun run = exporter(gateway).batchSize(100).build().run();

    assertEquals(0, run.exported());
    long charged =
        db.queryLong("SELECT count(*) FROM telemetry_events_export_queue WHERE failures > 0");
    assertEquals(Exporter.MAX_FAILURES_CHARGED_WITHOUT_PROGRESS, charged);
    assertTrue(run.error().contains("INTERNAL"), run.error());
    assertEquals(300, run.backlog(), "nothing set aside, nothing lost");
  }

  @Test
  void export_neverStartsACallAfterTheDeadlineAndReleasesUnsentEventsWithoutPenalty() {
    enqueue(400, 2000);
    FakeGateway gateway = new FakeGateway();
    // Each call takes a minute of the four-minute budget.
    gateway.duringCall = () -> clock.advance(Duration.ofMinutes(1));
    Exporter one =
        exporter(gateway)
            .batchSize(10_000)
            .frameBytes(16 * 1024)
            .requestBytes(100 * 1024)
            .lease(Duration.ofMinutes(10))
            .concurrency(1) // one loop: the test counts calls against a clock that each call moves
            .build();

    ExportRun run = one.run();

    assertEquals(4, run.requests(), "calls start at 0, 1, 2 and 3 minutes; none at 4");
    assertEquals(0, run.failed(), "unsent events are not failures");
    assertNull(run.error());
    long exported = exportedCount();
    assertEquals(run.exported(), exported);
    assertTrue(exported < 400);
    ExportRun next = exporter(new FakeGateway()).batchSize(10_000).build().run();
    assertEquals(400 - exported, next.exported(), "the rest goes at once, without a backoff");
  }

  @Test
  void export_neverStartsACallThatCouldOutlastTheLeaseOfItsBatch() {
    List<Event> events = enqueue(400, 2000);
    FakeGateway gateway = new FakeGateway();
    gateway.duringCall = () -> clock.advance(Duration.ofMinutes(1));
    Exporter shortLease =
        exporter(gateway)
            .batchSize(10_000)
            .frameBytes(16 * 1024)
            .requestBytes(100 * 1024)
            .timeBudget(Duration.ofMinutes(30))
            .lease(Duration.ofMinutes(3))
            .concurrency(1) // one loop: the test counts calls against a clock that each call moves
            .build();

    ExportRun run = shortLease.run();

    assertEquals(400, run.exported(), "the batch is claimed again under a fresh lease");
    assertTrue(run.batchSizes().size() > 1, run.batchSizes()::toString);
    assertEquals(400, gateway.sentIds().size(), "no event sent twice");
    assertEquals(ids(events), new HashSet<>(gateway.sentIds()));
  }

  @Test
  void export_aRunWhoseLeaseRanOutLeavesTheEventsToTheRunThatTookThemOver() {
    List<Event> events = enqueue(50);
    FakeGateway gateway = new FakeGateway();
    gateway.accepts = e -> false; // nothing acknowledged: the slow run would release all
    List<ExportQueue.QueuedEvent> takenOver = new ArrayList<>();
    UUID otherRun = UUID.randomUUID();
    gateway.duringCall =
        () -> {
          // The call hangs past the lease; another run claims the same events meanwhile.
          clock.advance(Duration.ofMinutes(6));
          takenOver.addAll(queue.claim(otherRun, 100, Duration.ofMinutes(5)).events());
        };
    Exporter one =
        exporter(gateway)
            .batchSize(100)
            .timeBudget(Duration.ofMinutes(1))
            .concurrency(1) // one loop: the test counts calls against a clock that each call moves
            .build();

    ExportRun slow = one.run();

    assertEquals(50, takenOver.size());
    assertEquals(0, slow.failed(), "released nothing: the rows are no longer its own");
    assertTrue(
        queue.claim(UUID.randomUUID(), 100, Duration.ofMinutes(5)).events().isEmpty(),
        "still the other run's");
    assertEquals(50, queue.markExported(otherRun, takenOver));
    assertEquals(events.size(), exportedCount());
  }

  @Test
  void export_aDatabaseOutageInALoopStopsTheRunAndSaysSo() {
    enqueue(500);
    FakeGateway gateway = new FakeGateway();
    gateway.duringCall = () -> dataSource.down = true;

    ExportRun run = exporter(gateway).batchSize(100).build().run();

    assertTrue(run.databaseUnavailable());
    assertTrue(run.error().startsWith("could not "), run.error());
    assertEquals(-1, run.backlog(), "the backlog could not be measured");
    assertFalse(run.fields().containsKey("backlog"));
    assertEquals(run.error(), run.fields().get("error"));
    dataSource.down = false;
    assertEquals(0, exportedCount(), "acknowledged but not marked: sent again later");
  }

  @Test
  void run_isRecordedInTheHistoryOfRuns() {
    db.execute("TRUNCATE telemetry_export_runs");
    enqueue(7);
    FakeGateway gateway = new FakeGateway();
    ExportRuns runs = new ExportRuns(db.dataSource());
    Instant startedAt = clock.instant();

    ExportRun run = exporter(gateway).runHistory(runs).batchSize(100).build().run();

    List<ExportRuns.Run> recorded = runs.recent(10);
    assertEquals(1, recorded.size());
    ExportRuns.Run row = recorded.get(0);
    assertEquals(startedAt, row.startedAt());
    assertEquals(7, row.exported());
    assertEquals(run.failed(), row.failed());
    assertEquals(0, row.setAside());
    assertEquals(0L, row.backlog());
    assertNull(row.error());
  }

  @Test
  void run_withExportOffStillCleansUpAndReports() {
    enqueue(3);
    ExportRun run =
        settings(Exporter.builder(queue, clock).withoutGateway()).batchSize(100).build().run();

    assertFalse(run.exportEnabled());
    assertTrue(run.cleanupRan());
    assertEquals(0, run.exported());
    assertEquals(3, run.backlog());
    assertNull(run.error());
  }

  @Test
  void cleanup_runsAtMostOncePerIntervalAndPrunesOnlyExportedEvents() {
    List<Event> events = enqueue(5);
    FakeGateway gateway = new FakeGateway();
    gateway.poison = e -> e.getId().equals(events.get(0).getId());
    Exporter exporter = exporter(gateway).batchSize(100).maxEventFailures(1).build();
    ExportRun first = exporter.run();
    assertTrue(first.cleanupRan());
    assertEquals(1, first.setAsideThisRun());

    clock.advance(Duration.ofMinutes(10));
    assertFalse(exporter.run().cleanupRan(), "within the cleanup interval");

    clock.advance(Duration.ofHours(25));
    ExportRun later = exporter.run();
    assertTrue(later.cleanupRan());
    assertEquals(4, later.pruned(), "exported more than the retention ago");
    assertEquals(1, later.setAside(), "a set-aside event is never pruned");
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  // --- one deadline for the whole run, and a cancelled run ---

  /**
   * A database where each step takes 10 seconds, much cleanup work (300 exported events past their
   * retention, pruned 20 at a time, and old event_logs rows), and events to export: each run still
   * ends by its deadline, export keeps its share of it, and the next run goes on with the cleanup
   * at once rather than a cleanup interval later, until it is done.
   */
  @Test
  void deadline_aRunWithMuchCleanupStillEndsByItsDeadline_andTheNextRunGoesOnWithIt() {
    List<Event> old = enqueue(300);
    db.execute(
        "UPDATE telemetry_events_export_queue SET exported_at = '"
            + clock.instant().minus(Duration.ofDays(100))
            + "'");
    List<Event> waiting = enqueue(1000); // more than one run exports over this database
    insertEventLogs(20, clock.instant().minus(Duration.ofDays(40)));
    insertEventLogs(5, clock.instant());
    TickingDataSource slow = new TickingDataSource(db.dataSource(), clock, Duration.ofSeconds(10));
    Duration budget = Duration.ofMinutes(4);
    Duration callTimeout = Duration.ofSeconds(60);
    FakeGateway gateway = new FakeGateway();
    Exporter exporter =
        settings(Exporter.builder(new ExportQueue(slow, clock), clock).gateway(gateway, IDENTIFIER))
            .eventLogsRetention(new EventLogsRetention(slow, clock), Duration.ofDays(30))
            .pruneChunk(20)
            .timeBudget(budget)
            .callTimeout(callTimeout)
            .concurrency(1) // one loop: the test counts steps against a clock that each step moves
            .build();

    List<ExportRun> runs = new ArrayList<>();
    while (runs.isEmpty() || runs.get(runs.size() - 1).cleanupCutShort()) {
      assertTrue(runs.size() < 10, "the cleanup never finished: " + runs);
      clock.advance(Duration.ofMinutes(5)); // the next scheduled run, within the cleanup interval
      Instant arrived = clock.instant();
      ExportRun run = exporter.run(arrived);
      runs.add(run);
      assertFalse(
          clock.instant().isAfter(arrived.plus(budget).plus(callTimeout)),
          "run " + runs.size() + " ended at " + clock.instant() + ", after its deadline");
      assertTrue(run.cleanupRan(), "run " + runs.size() + " goes on with the cleanup: " + run);
      assertNull(run.error());
    }

    ExportRun first = runs.get(0);
    assertTrue(first.cleanupCutShort(), "much work: the first cleanup is cut short");
    assertTrue(first.pruned() > 0 && first.pruned() < 300, "part of it: " + first.pruned());
    assertTrue(first.exported() > 0, "export keeps its share of the deadline: " + first);
    assertEquals(300, runs.stream().mapToInt(ExportRun::pruned).sum());
    assertEquals(20, runs.stream().mapToLong(ExportRun::prunedEventLogs).sum());
    assertEquals(5, db.queryLong("SELECT count(*) FROM event_logs"), "the recent rows stay");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at < '"
                + clock.instant().minus(Duration.ofDays(1))
                + "'"));
    slow.tick(Duration.ZERO);
    clock.advance(Duration.ofMinutes(5));
    ExportRun last = exporter.run();
    assertFalse(last.cleanupRan(), "once done, the cleanup waits for its interval again");
    assertEquals(0, last.backlog(), "every waiting event exported");
    assertEquals(ids(waiting), new HashSet<>(gateway.sentIds()));
    assertTrue(ids(old).stream().noneMatch(gateway.sentIds()::contains));
  }

  /**
   * The function's timeout counts from the request's arrival, also when the exporter took long to
   * start (a cold start's migrations): the run has only what is left of its deadline.
   */
  @Test
  void deadline_countsFromTheRequestsArrival_notFromWhenTheRunStarted() {
    enqueue(400, 2000);
    FakeGateway gateway = new FakeGateway();
    gateway.duringCall = () -> clock.advance(Duration.ofMinutes(1));
    Exporter one =
        exporter(gateway)
            .batchSize(10_000)
            .frameBytes(16 * 1024)
            .requestBytes(100 * 1024)
            .lease(Duration.ofMinutes(10))
            .concurrency(1) // one loop: the test counts calls against a clock that each call moves
            .build();

    ExportRun run = one.run(clock.instant().minus(Duration.ofMinutes(2)));

    assertEquals(2, run.requests(), "of the four-minute budget, calls start at 2 and 3; none at 4");
    assertFalse(run.cleanupRan(), "its half of the deadline was gone: left due for the next run");
    assertTrue(queue.claimCleanup(Duration.ofMinutes(30)), "still due");
  }

  /** Rows in event_logs that arrived at {@code arrived} (their UUIDv7 event ID says when). */
  private void insertEventLogs(int count, Instant arrived) {
    for (int i = 0; i < count; i++) {
      db.execute(
          "INSERT INTO event_logs (event_id, name, timestamp, anonymous_user_id, source, version)"
              + " VALUES ('"
              + uuidV7(arrived.toEpochMilli(), sequence++)
              + "', 'export.test', now(), 'anonymous', 'CLIENT', '5.3.0')");
    }
  }

  /**
   * The instance is stopping while a run's first call is under way: the events the run claimed and
   * did not send are released at once, and the next run claims them without waiting for their
   * lease; the call under way still brings its answer, which the cancelled run marks.
   */
  @Test
  void cancel_releasesTheUnsentEventsAtOnce_andTheCallUnderWayIsStillMarked() throws Exception {
    List<Event> events = enqueue(400, 2000);
    CountDownLatch inCall = new CountDownLatch(1);
    CountDownLatch answer = new CountDownLatch(1);
    FakeGateway stopping = new FakeGateway();
    AtomicInteger calls = new AtomicInteger();
    List<String> firstCallIds = new CopyOnWriteArrayList<>();
    GatewayClient slowAnswer =
        (metadata, frames) -> {
          if (calls.getAndIncrement() == 0) {
            FakeGateway.decoded(frames)
                .forEach(frame -> frame.forEach(e -> firstCallIds.add(e.getId())));
            inCall.countDown();
            await(answer);
          }
          return stopping.send(metadata, frames);
        };
    Exporter exporter =
        exporter(slowAnswer)
            .batchSize(100)
            .frameBytes(16 * 1024)
            .requestBytes(16 * 1024) // a batch of 100 goes in several calls
            .concurrency(1) // one loop: one call under way
            .build();
    CompletableFuture<ExportRun> running = CompletableFuture.supplyAsync(exporter::run);
    await(inCall);
    int firstCall = firstCallIds.size();
    assertTrue(firstCall > 0 && firstCall < 100, "the batch takes several calls: " + firstCall);

    int released = exporter.cancelRuns();

    assertEquals(100 - firstCall, released, "the rest of the claimed batch");
    FakeGateway next = new FakeGateway();
    ExportRun nextRun = exporter(next).batchSize(1000).build().run(); // the clock has not moved
    assertEquals(400 - firstCall, nextRun.exported(), "all but the call under way, at once");
    answer.countDown();
    ExportRun cancelled = running.get(30, TimeUnit.SECONDS);
    assertTrue(exporter.awaitRuns(Duration.ofSeconds(30)));
    assertTrue(cancelled.cancelled());
    assertTrue(cancelled.error().contains("cancelled"), cancelled.error());
    assertEquals(firstCall, cancelled.exported(), "what the gateway acknowledged is marked");
    assertEquals(
        List.of(firstCall, 400 - firstCall),
        List.of(stopping.sentIds().size(), next.sentIds().size()),
        "no event sent twice");
    assertEquals(400, exportedCount());
    Set<String> sent = new HashSet<>(stopping.sentIds());
    sent.addAll(next.sentIds());
    assertEquals(ids(events), sent);
  }

  /** What dies with the instance: the call under way never gets its answer. */
  static final class InstanceStopped extends Error {
    InstanceStopped() {
      super("the instance stopped during the call");
    }
  }

  /**
   * The instance is stopped, and dies before the call under way has its answer, which the gateway
   * may have acknowledged: those events stay leased, so they are not lost but come back when their
   * lease ends and are sent again (at least once); the unsent rest goes at once.
   */
  @Test
  void cancel_anInstanceThatDiesDuringACallLosesNothing_theCallsEventsComeBackAfterTheLease() {
    List<Event> events = enqueue(400, 2000);
    List<Exporter> dying = new ArrayList<>();
    FakeGateway gateway = new FakeGateway();
    gateway.duringCall =
        () -> {
          dying.get(0).cancelRuns(); // SIGTERM: the shutdown hook runs ...
          throw new InstanceStopped(); // ... and the instance is gone before the answer
        };
    Exporter exporter =
        exporter(gateway)
            .batchSize(100)
            .frameBytes(16 * 1024)
            .requestBytes(16 * 1024)
            .concurrency(1)
            .build();
    dying.add(exporter);

    assertThrows(InstanceStopped.class, exporter::run);
    List<String> inCall = gateway.sentIds();
    assertTrue(inCall.size() > 0 && inCall.size() < 100, inCall::toString);

    FakeGateway next = new FakeGateway();
    ExportRun nextRun = exporter(next).batchSize(1000).build().run();
    assertEquals(400 - inCall.size(), nextRun.exported(), "the unsent ones go at once");
    assertEquals(inCall.size(), nextRun.backlog(), "the call's events are still leased");
    assertTrue(next.sentIds().stream().noneMatch(inCall::contains));

    clock.advance(Duration.ofMinutes(5).plusSeconds(1)); // their lease ends
    ExportRun afterLease = exporter(next).batchSize(1000).build().run();
    assertEquals(inCall.size(), afterLease.exported(), "sent again: at least once");
    assertEquals(400, exportedCount());
    assertEquals(ids(events), new HashSet<>(next.sentIds()));
  }

  private static void await(CountDownLatch latch) {
    try {
      // Only a safety net against a hung test: the test never depends on this timeout.
      if (!latch.await(60, TimeUnit.SECONDS)) {
        throw new AssertionError("waited a minute for the other thread");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The test database, until a test takes it down: then every new connection fails. */
  static final class OutageDataSource extends DelegatingDataSource {
    volatile boolean down;

    OutageDataSource(DataSource delegate) {
      super(delegate);
    }

    @Override
    protected void beforeConnection() throws SQLException {
      if (down) {
        throw new SQLException("connection refused (the test took the database down)");
      }
    }
  }
}
