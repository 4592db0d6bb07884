package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventInteraction;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class ExportQueueTest {
  private static final Duration LEASE = Duration.ofMinutes(5);

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
  private final EventBuilder builder = new EventBuilder(clock, "1.0.0");
  private final Redactor redactor =
      new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn());
  private final TeeStore store;
  private final ExportQueue queue;

  ExportQueueTest(TestDatabase db) {
    this.db = db;
    this.store = new TeeStore(db.dataSource(), redactor);
    this.queue = new ExportQueue(db.dataSource(), clock);
  }

  @BeforeEach
  void emptyTables() {
    db.execute("TRUNCATE event_logs, telemetry_events_export_queue");
  }

  private Event record(String feature, String action, Map<String, Object> privateMetadata) {
    Event event =
        builder.build(
            new EventInput(
                feature,
                action,
                null,
                new EventInput.Client("web", "1"),
                new EventInput.Parameters(0, Map.of("n", 1), privateMetadata, null, null),
                null),
            EventContext.of(Actor.user(7)));
    store.store(List.of(event), true);
    clock.advance(Duration.ofSeconds(1));
    return event;
  }

  private List<Event> recordMany(int count) {
    List<Event> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(
          builder.build(
              EventInput.backend(
                  "load.test", "queued", EventInput.Parameters.of(0, Map.of("i", i))),
              EventContext.of(Actor.unknown())));
    }
    for (int from = 0; from < count; from += 1000) {
      store.store(events.subList(from, Math.min(count, from + 1000)), true);
    }
    return events;
  }

  /** The run a test's claims and marks are made for, when one run is all it needs. */
  private final UUID testRun = UUID.randomUUID();

  private List<ExportQueue.QueuedEvent> claimBatch(int limit, Duration lease) {
    return queue.claim(testRun, limit, lease).events();
  }

  private static List<UUID> ids(List<ExportQueue.QueuedEvent> events) {
    return events.stream().map(ExportQueue.QueuedEvent::id).toList();
  }

  @Test
  void queueLifecycle_ofTheContract() throws Exception {
    Event first =
        record("exampleFeature", "exampleAction", Map.of("testField", "kept", "email", "x"));
    Event second = record("search", "submit", Map.of("query", "secret"));
    Event third = record("search", "submit", Map.of("query", "later"));

    List<ExportQueue.QueuedEvent> batch = claimBatch(2, LEASE);

    assertEquals(
        List.of(UUID.fromString(first.getId()), UUID.fromString(second.getId())), ids(batch));
    assertArrayEquals(storedPayload(first.getId()), batch.get(0).event().toByteArray());
    assertEquals(redactor.redact(first), batch.get(0).event(), "stored redacted");
    assertEquals(
        Set.of("testField"),
        batch.get(0).event().getParameters().getPrivateMetadata().getFieldsMap().keySet());
    assertFalse(
        batch.get(1).event().getParameters().hasPrivateMetadata(),
        "private metadata of an event not on the allowlist is stripped");

    assertEquals(0, queue.deleteExportedBefore(clock.instant().plusSeconds(1)));

    assertEquals(2, queue.markExported(testRun, batch));
    ExportQueue.Backlog backlog = queue.backlog();
    assertEquals(2, backlog.exported());
    assertEquals(1, backlog.unexported());

    clock.advance(Duration.ofHours(25));
    assertEquals(2, queue.deleteExportedBefore(clock.instant().minus(Duration.ofHours(24))));
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(List.of(UUID.fromString(third.getId())), ids(claimBatch(10, LEASE)));
  }

  @Test
  void deleteExportedBefore_aChunkAtATime_oldestFirst_untilNoneIsLeft() {
    recordMany(5);
    List<ExportQueue.QueuedEvent> batch = claimBatch(10, LEASE);
    for (ExportQueue.QueuedEvent event : batch) {
      queue.markExported(testRun, List.of(event));
      clock.advance(Duration.ofMinutes(1));
    }
    recordMany(1); // not exported: never pruned
    Instant cutoff = clock.instant();

    assertEquals(2, queue.deleteExportedBefore(cutoff, 2));
    assertEquals(
        batch.get(2).id() + "," + batch.get(3).id() + "," + batch.get(4).id(),
        db.queryString(
            "SELECT string_agg(id::text, ',' ORDER BY exported_at)"
                + " FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"),
        "the two exported first went first");
    assertEquals(2, queue.deleteExportedBefore(cutoff, 2));
    assertEquals(1, queue.deleteExportedBefore(cutoff, 2), "fewer than asked: none is left");
    assertEquals(0, queue.deleteExportedBefore(cutoff, 2));
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  /** A clock that moves on by a second each time it is read, for the cleanup's pacing. */
  private static final class TickingClock extends Clock {
    private final AtomicReference<Instant> now;

    TickingClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    Instant peek() {
      return now.get();
    }

    void advance(Duration duration) {
      now.getAndUpdate(t -> t.plus(duration));
    }

    @Override
    public Instant instant() {
      return now.getAndUpdate(t -> t.plusSeconds(1));
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  /** Exports {@code count} events, all in one marking (one export time), and returns them. */
  private List<ExportQueue.QueuedEvent> exportMany(int count) {
    recordMany(count);
    List<ExportQueue.QueuedEvent> batch = claimBatch(count, LEASE);
    assertEquals(count, queue.markExported(testRun, batch));
    return batch;
  }

  @Test
  void pruneExported_restsInProportionToEachChunk_andDeletesEventsExportedAtTheSameTime() {
    exportMany(5); // one marking: five events exported at the same instant
    clock.advance(Duration.ofMinutes(1));
    recordMany(1); // not exported: never pruned
    TickingClock ticking = new TickingClock(clock.instant());
    ExportQueue paced = new ExportQueue(db.dataSource(), ticking);
    List<Duration> rests = new ArrayList<>();

    ExportQueue.Pruned pruned =
        paced.pruneExported(
            clock.instant(),
            clock.instant().plus(Duration.ofHours(1)),
            new ExportQueue.Pacing(2, 3.0),
            () -> false,
            rests::add);

    assertEquals(new ExportQueue.Pruned(5, true), pruned);
    // Each chunk reads the clock before and after its DELETE: it took a second of this clock.
    assertEquals(List.of(Duration.ofSeconds(3), Duration.ofSeconds(3)), rests);
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"));
  }

  @Test
  void pruneExported_neverRestsPastItsDeadline_andTheNextPassResumes() {
    exportMany(3);
    clock.advance(Duration.ofMinutes(1));
    exportMany(3);
    clock.advance(Duration.ofMinutes(1));
    Instant cutoff = clock.instant();
    TickingClock ticking = new TickingClock(clock.instant());
    ExportQueue paced = new ExportQueue(db.dataSource(), ticking);
    List<Instant> restsEnd = new ArrayList<>();
    ExportQueue.Rest rest =
        time -> {
          restsEnd.add(ticking.peek().plus(time));
          ticking.advance(time);
        };
    Instant deadline = ticking.peek().plusSeconds(12);

    ExportQueue.Pruned first =
        paced.pruneExported(cutoff, deadline, new ExportQueue.Pacing(2, 4.0), () -> false, rest);

    assertFalse(first.finished(), "the deadline came first");
    assertTrue(first.deleted() > 0 && first.deleted() < 6, "deleted " + first.deleted());
    assertFalse(restsEnd.isEmpty());
    assertTrue(restsEnd.stream().allMatch(end -> end.isBefore(deadline)), restsEnd.toString());
    assertEquals(
        6 - first.deleted(),
        db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"),
        "every chunk deleted is gone; the rest waits");

    ExportQueue.Pruned next =
        paced.pruneExported(
            cutoff,
            ticking.peek().plus(Duration.ofHours(1)),
            new ExportQueue.Pacing(2, 4.0),
            () -> false,
            rest);

    assertEquals(new ExportQueue.Pruned(6 - first.deleted(), true), next);
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  @Test
  void pruneExported_stopsWhenAsked_andLeavesWhatIsNotPastTheCutoff() {
    exportMany(4);
    Instant cutoff = clock.instant().plusSeconds(1);
    clock.advance(Duration.ofMinutes(1));
    List<ExportQueue.QueuedEvent> kept = exportMany(2); // exported after the cutoff
    AtomicInteger asked = new AtomicInteger();

    ExportQueue.Pruned stopped =
        queue.pruneExported(
            cutoff,
            clock.instant().plusSeconds(60),
            new ExportQueue.Pacing(3, 0),
            () -> asked.incrementAndGet() > 1,
            time -> fail("no rest at a rest of 0"));

    assertEquals(new ExportQueue.Pruned(3, false), stopped, "one chunk, then stopped");
    assertEquals(
        new ExportQueue.Pruned(1, true),
        queue.pruneExported(
            cutoff,
            clock.instant().plusSeconds(60),
            new ExportQueue.Pacing(3, 0),
            () -> false,
            ExportQueue.Rest.SLEEP));
    assertEquals(
        ids(kept).stream().map(UUID::toString).sorted().toList(),
        List.of(
            db.queryString(
                    "SELECT string_agg(id::text, ',' ORDER BY id::text)"
                        + " FROM telemetry_events_export_queue")
                .split(",")),
        "exported after the cutoff: kept");
  }

  @Test
  void waitingAndBacklog_countFromTheIndexes_withoutReadingTheExportedRows() throws Exception {
    List<ExportQueue.QueuedEvent> exported = exportMany(3);
    clock.advance(Duration.ofMinutes(1));
    List<Event> waiting = recordMany(2);
    clock.advance(Duration.ofMinutes(1));
    db.execute(
        "UPDATE telemetry_events_export_queue SET set_aside_at = now(), set_aside_reason = 'x'"
            + " WHERE id = '"
            + waiting.get(1).getId()
            + "'");

    ExportQueue.Waiting result = queue.waiting();

    assertEquals(1, result.unexported());
    assertEquals(1, result.setAside());
    assertTrue(result.oldestUnexportedAge().isPresent());
    assertEquals(3, exported.size());
    ExportQueue.Backlog backlog = queue.backlog();
    assertEquals(
        new ExportQueue.Waiting(
            backlog.unexported(), backlog.oldestUnexportedAge(), backlog.setAside()),
        result,
        "the same as the backlog, which counts the exported rows too");
    assertEquals(3, backlog.exported());
    // Every part of both can be answered from the queue's partial indexes: with sequential scans
    // off (as the planner chooses at millions of exported rows), none is left in the plans. The
    // console's export page asks for the backlog; a run's end for what waits.
    try (Connection connection = db.dataSource().getConnection();
        var statement = connection.createStatement()) {
      statement.execute("SET enable_seqscan = off");
      for (String query : new String[] {ExportQueue.WAITING, ExportQueue.BACKLOG}) {
        StringBuilder plan = new StringBuilder();
        try (ResultSet rs = statement.executeQuery("EXPLAIN " + query)) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
        assertFalse(plan.toString().contains("Seq Scan"), plan.toString());
      }
    }
  }

  @Test
  void reopenCleanup_makesTheCleanupDueAgainAtOnce() {
    db.execute("UPDATE telemetry_export_state SET last_cleanup_at = NULL");
    Duration interval = Duration.ofMinutes(30);
    assertTrue(queue.claimCleanup(interval));
    assertFalse(queue.claimCleanup(interval), "within the interval");

    queue.reopenCleanup();

    assertTrue(queue.claimCleanup(interval), "a cleanup cut short is taken up by the next run");
  }

  @Test
  void claimBatch_hidesClaimedEventsUntilTheLeaseEnds() {
    recordMany(3);

    List<ExportQueue.QueuedEvent> claimed = claimBatch(10, LEASE);
    assertEquals(3, claimed.size());
    assertTrue(claimBatch(10, LEASE).isEmpty(), "claimed events are not handed out twice");

    clock.advance(LEASE.minusSeconds(1));
    assertTrue(claimBatch(10, LEASE).isEmpty(), "the lease still holds");

    clock.advance(Duration.ofSeconds(1));
    List<ExportQueue.QueuedEvent> again = claimBatch(10, LEASE);
    assertEquals(ids(claimed), ids(again), "a crashed exporter's events come back");
    assertEquals(2, again.get(0).attempts());
  }

  @Test
  void release_makesEventsClaimableAfterTheRetryTime() {
    recordMany(2);
    UUID run = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(run, 10, LEASE).events();

    assertEquals(2, queue.release(run, ids(claimed), Duration.ofSeconds(30)));

    assertTrue(claimBatch(10, LEASE).isEmpty());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(ids(claimed), ids(claimBatch(10, LEASE)));
  }

  @Test
  void markExported_marksOnlyTheGivenIds() {
    recordMany(3);
    UUID run = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(run, 10, LEASE).events();

    ExportQueue.QueuedEvent unknown =
        new ExportQueue.QueuedEvent(UUID.randomUUID(), clock.instant(), claimed.get(0).event(), 1);

    assertEquals(1, queue.markExported(run, List.of(claimed.get(1))));
    assertEquals(0, queue.markExported(run, List.of(unknown)), "unknown IDs mark nothing");
    queue.release(run, List.of(claimed.get(0).id(), claimed.get(2).id()), Duration.ZERO);

    assertEquals(List.of(claimed.get(0).id(), claimed.get(2).id()), ids(claimBatch(10, LEASE)));
    assertEquals(1, queue.backlog().exported());
  }

  @Test
  void leaseOwner_aRunWhoseLeaseWasTakenOverCanNeitherReleaseNorMarkTheEvents() {
    recordMany(3);
    UUID late = UUID.randomUUID();
    UUID current = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> first = queue.claim(late, 10, LEASE).events();
    clock.advance(LEASE);
    List<ExportQueue.QueuedEvent> second = queue.claim(current, 10, LEASE).events();
    assertEquals(ids(first), ids(second), "the lease ran out: another run took the events over");

    assertEquals(0, queue.release(late, ids(first), Duration.ZERO));
    assertEquals(0, queue.markExported(late, first));
    assertEquals(
        0,
        queue.recordFailure(late, first.get(0).id(), "late", 1, Duration.ZERO),
        "nor charge them a failure");

    assertTrue(claimBatch(10, LEASE).isEmpty(), "the current run's claim still hides them");
    assertEquals(0, queue.backlog().exported());
    assertEquals(0, queue.backlog().setAside());
    assertEquals(3, queue.markExported(current, second), "the current run still holds them");
  }

  @Test
  void claim_setsAsideAPayloadThatCannotBeDecodedAndRetentionKeepsIt() {
    List<Event> events = recordMany(2);
    db.execute(
        "UPDATE telemetry_events_export_queue SET payload_pb = '\\xffffffff'::bytea WHERE id = '"
            + events.get(0).getId()
            + "'");

    ExportQueue.Claim claim = queue.claim(UUID.randomUUID(), 10, LEASE);

    assertEquals(List.of(UUID.fromString(events.get(1).getId())), ids(claim.events()));
    assertEquals(1, claim.setAside());
    ExportQueue.SetAsidePage setAside = queue.listSetAside(10, null);
    assertEquals(1, setAside.totalCount());
    ExportQueue.SetAsideEvent row = setAside.nodes().get(0);
    assertEquals(UUID.fromString(events.get(0).getId()), row.id());
    assertTrue(row.reason().startsWith("payload is not a valid Event"), row.reason());
    assertEquals(Optional.empty(), row.event(), "the payload cannot be shown");
    assertEquals(clock.instant(), row.setAsideAt());
    assertEquals(1, queue.backlog().setAside());
    assertEquals(1, queue.backlog().unexported(), "a set-aside row is not waiting for export");

    clock.advance(Duration.ofDays(30));
    assertTrue(claimBatch(10, LEASE).stream().noneMatch(e -> e.id().equals(row.id())));
    assertEquals(0, queue.deleteExportedBefore(clock.instant()), "never deleted by retention");
    assertEquals(1, queue.listSetAside(10, null).totalCount());
  }

  @Test
  void recordFailure_retriesAfterTheBackoffThenSetsAsideAtTheLimitWithTheReason() {
    Event poison = recordMany(1).get(0);
    UUID id = UUID.fromString(poison.getId());

    for (int failure = 1; failure <= 2; failure++) {
      UUID run = UUID.randomUUID();
      assertEquals(List.of(id), ids(queue.claim(run, 10, LEASE).events()));
      assertEquals(
          failure,
          queue.recordFailure(
              run, id, "gRPC status 8 RESOURCE_EXHAUSTED", 3, Duration.ofSeconds(30)));
      assertTrue(claimBatch(10, LEASE).isEmpty(), "waits for its retry");
      clock.advance(Duration.ofSeconds(30));
    }
    UUID run = UUID.randomUUID();
    assertEquals(List.of(id), ids(queue.claim(run, 10, LEASE).events()));
    assertEquals(
        3, queue.recordFailure(run, id, "gRPC status 3 INVALID_ARGUMENT", 3, Duration.ZERO));

    clock.advance(Duration.ofDays(1));
    assertTrue(claimBatch(10, LEASE).isEmpty(), "set aside: never claimed again");
    ExportQueue.SetAsideEvent row = queue.listSetAside(10, null).nodes().get(0);
    assertEquals(id, row.id());
    assertEquals(3, row.failures());
    assertEquals(3, row.attempts());
    assertEquals("gRPC status 3 INVALID_ARGUMENT", row.lastError());
    assertEquals(
        "the gateway refused it when sent alone 3 time(s); last error:"
            + " gRPC status 3 INVALID_ARGUMENT",
        row.reason());
    assertEquals(Optional.of(poison.getId()), row.event().map(Event::getId), "shown decoded");
  }

  @Test
  void listSetAside_pagesNewestFirstWithACursor() {
    List<Event> events = recordMany(5);
    List<UUID> setAsideOrder = new ArrayList<>();
    for (Event event : events) {
      UUID run = UUID.randomUUID();
      UUID id = queue.claim(run, 1, LEASE).events().get(0).id();
      queue.recordFailure(run, id, "refused", 1, Duration.ZERO);
      setAsideOrder.add(id);
      clock.advance(Duration.ofSeconds(1));
    }
    Collections.reverse(setAsideOrder);

    ExportQueue.SetAsidePage page1 = queue.listSetAside(2, null);
    ExportQueue.SetAsidePage page2 = queue.listSetAside(2, page1.endCursor());
    ExportQueue.SetAsidePage page3 = queue.listSetAside(2, page2.endCursor());

    List<UUID> listed = new ArrayList<>();
    for (ExportQueue.SetAsidePage page : List.of(page1, page2, page3)) {
      assertEquals(5, page.totalCount());
      page.nodes().forEach(n -> listed.add(n.id()));
    }
    assertEquals(setAsideOrder, listed);
    assertTrue(page1.hasNextPage());
    assertFalse(page3.hasNextPage());
    assertThrows(IllegalArgumentException.class, () -> queue.listSetAside(2, "nope"));
  }

  @Test
  void retrySetAside_makesTheEventsClaimableAtOnceWithAFreshFailureCount() {
    List<Event> events = recordMany(3);
    List<UUID> setAside = new ArrayList<>();
    UUID run = UUID.randomUUID();
    for (ExportQueue.QueuedEvent event : queue.claim(run, 10, LEASE).events()) {
      queue.recordFailure(run, event.id(), "refused", 1, Duration.ZERO);
      setAside.add(event.id());
    }

    assertEquals(1, queue.retrySetAside(List.of(setAside.get(0), UUID.randomUUID())));
    UUID retryRun = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> again = queue.claim(retryRun, 10, LEASE).events();
    assertEquals(List.of(setAside.get(0)), ids(again));
    assertEquals(
        1,
        queue.recordFailure(retryRun, setAside.get(0), "refused", 2, Duration.ZERO),
        "the failure count starts again from zero");

    assertEquals(2, queue.retryAllSetAside());
    assertEquals(0, queue.listSetAside(10, null).totalCount());
    assertEquals(events.size(), claimBatch(10, LEASE).size(), "all three are waiting for export");
  }

  @Test
  void discardSetAside_deletesOnlySetAsideEvents() {
    recordMany(2);
    UUID run = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(run, 10, LEASE).events();
    queue.recordFailure(run, claimed.get(0).id(), "refused", 1, Duration.ZERO);
    queue.release(run, List.of(claimed.get(1).id()), Duration.ZERO);

    assertEquals(1, queue.discardSetAside(List.of(claimed.get(0).id(), claimed.get(1).id())));

    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(List.of(claimed.get(1).id()), ids(claimBatch(10, LEASE)));
  }

  @Test
  void claimBatch_followsArrivalNotTheTimestampsClientsClaimed() {
    List<Event> arrived = new ArrayList<>();
    for (Instant claimed :
        List.of(
            Instant.parse("2024-05-01T09:59:00Z"),
            Instant.parse("2020-01-01T00:00:00Z"),
            Instant.parse("2024-05-01T09:00:00Z"))) {
      Event event =
          builder.build(
              new EventInput(
                  "a.b",
                  "c.d",
                  claimed,
                  new EventInput.Client("web", "1"),
                  EventInput.Parameters.of(0, Map.of()),
                  null),
              EventContext.of(Actor.user(7)));
      store.store(List.of(event), true);
      arrived.add(event);
      clock.advance(Duration.ofMillis(5));
    }

    List<ExportQueue.QueuedEvent> batch = claimBatch(10, LEASE);

    assertEquals(arrived.stream().map(e -> UUID.fromString(e.getId())).toList(), ids(batch));
    assertEquals(
        Optional.of(Duration.ofMillis(15)),
        queue.backlog().oldestUnexportedAge(),
        "the age counts from arrival, not from the claimed time");
  }

  @Test
  void backlog_reportsTheAgeOfTheOldestUnexportedEvent() {
    assertEquals(new ExportQueue.Backlog(0, Optional.empty(), 0, 0), queue.backlog());
    Event oldest = record("a.b", "c.d", null);
    record("a.b", "c.d", null);
    clock.advance(Duration.ofMinutes(10));

    ExportQueue.Backlog backlog = queue.backlog();

    assertEquals(2, backlog.unexported());
    Instant arrived = Instant.ofEpochSecond(oldest.getTimestamp().getSeconds());
    assertEquals(
        Optional.of(Duration.between(arrived, clock.instant())), backlog.oldestUnexportedAge());
  }

  @Test
  void concurrentClaimers_exportEveryEventExactlyOnce() throws Exception {
    int total = 10_000;
    Set<String> recorded = new HashSet<>();
    recordMany(total).forEach(e -> recorded.add(e.getId()));
    Map<UUID, Integer> exportedBy = new ConcurrentHashMap<>();
    AtomicInteger duplicates = new AtomicInteger();

    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int worker = w;
      workers.add(
          pool.submit(
              () -> {
                UUID owner = UUID.randomUUID();
                while (true) {
                  List<ExportQueue.QueuedEvent> batch = queue.claim(owner, 137, LEASE).events();
                  if (batch.isEmpty()) {
                    return null;
                  }
                  for (ExportQueue.QueuedEvent event : batch) {
                    if (exportedBy.putIfAbsent(event.id(), worker) != null) {
                      duplicates.incrementAndGet();
                    }
                  }
                  queue.markExported(owner, batch);
                }
              }));
    }
    for (Future<?> worker : workers) {
      worker.get();
    }
    pool.shutdown();

    assertEquals(0, duplicates.get(), "no event was claimed twice");
    Set<String> exported = new HashSet<>();
    exportedBy.keySet().forEach(id -> exported.add(id.toString()));
    assertEquals(recorded, exported, "every recorded event was claimed");
    assertEquals(total, queue.backlog().exported());
    assertEquals(0, queue.backlog().unexported());
  }

  @Test
  void listExported_pagesNewestFirstWithACursor() {
    List<UUID> exportedOrder = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      record("a.b", "c.d", null);
    }
    for (int i = 0; i < 5; i++) {
      ExportQueue.QueuedEvent one = claimBatch(1, LEASE).get(0);
      queue.markExported(testRun, List.of(one));
      exportedOrder.add(one.id());
      clock.advance(Duration.ofSeconds(1));
    }
    record("a.b", "c.d", null); // never exported: never listed
    Collections.reverse(exportedOrder);

    ExportQueue.ExportedPage page1 = queue.listExported(2, null);
    ExportQueue.ExportedPage page2 = queue.listExported(2, page1.endCursor());
    ExportQueue.ExportedPage page3 = queue.listExported(2, page2.endCursor());

    assertEquals(5, page1.totalCount());
    List<UUID> listed = new ArrayList<>();
    for (ExportQueue.ExportedPage page : List.of(page1, page2, page3)) {
      page.nodes().forEach(n -> listed.add(n.id()));
    }
    assertEquals(exportedOrder, listed);
    assertTrue(page1.hasNextPage());
    assertTrue(page2.hasNextPage());
    assertFalse(page3.hasNextPage());
    assertEquals(1, page3.nodes().size());
    assertEquals(exportedOrder.get(0).toString(), page1.nodes().get(0).event().getId());
    assertEquals("a.b", page1.nodes().get(0).event().getFeature(), "payload is the event");
    assertNull(queue.listExported(2, page3.endCursor()).endCursor());

    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> queue.listExported(2, "not-a-cursor"));
    assertTrue(bad.getMessage().startsWith("'after' must be"), bad.getMessage());
  }

  @Test
  void listExported_endsAPageEarlyRatherThanReadMoreThanItsPayloadBudget() throws Exception {
    // Payloads of 1.5 MB, and one larger than a page's budget on its own.
    int[] sizes = {1_500_000, 1_500_000, 1_500_000, 5_000_000, 1_500_000};
    for (int size : sizes) {
      Event event = record("a.b", "c.d", null);
      queue.markExported(testRun, claimBatch(1, LEASE));
      byte[] big =
          event.toBuilder()
              .setInteraction(EventInteraction.newBuilder().setInteractionId("x".repeat(size)))
              .build()
              .toByteArray();
      try (Connection connection = db.dataSource().getConnection();
          PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE telemetry_events_export_queue SET payload_pb = ? WHERE id = ?")) {
        update.setBytes(1, big);
        update.setObject(2, UUID.fromString(event.getId()));
        assertEquals(1, update.executeUpdate());
      }
      clock.advance(Duration.ofSeconds(1));
    }

    List<Integer> pageSizes = new ArrayList<>();
    String after = null;
    do {
      ExportQueue.ExportedPage page = queue.listExported(100, after);
      pageSizes.add(page.nodes().size());
      after = page.hasNextPage() ? page.endCursor() : null;
    } while (after != null);

    // Newest first: 1.5 MB alone before the 5 MB one, which has a page of its own.
    assertEquals(List.of(1, 1, 2, 1), pageSizes);
  }

  private byte[] storedPayload(String id) throws Exception {
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT payload_pb FROM telemetry_events_export_queue WHERE id = ?")) {
      query.setObject(1, UUID.fromString(id));
      try (ResultSet rs = query.executeQuery()) {
        assertTrue(rs.next());
        return rs.getBytes(1);
      }
    }
  }
}
