package dev.tally.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.event.EventLimits;
import dev.tally.event.InvalidEventException;
import dev.tally.event.LimitExceededException;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class EventRecorderTest {
  private final TestDatabase db;
  private final FeatureFlags flags;
  private final EventRecorder recorder;

  EventRecorderTest(TestDatabase db) {
    this.db = db;
    this.flags = new FeatureFlags(db.dataSource());
    this.recorder = recorder(RecordingLimits.DEFAULTS);
  }

  private EventRecorder recorder(RecordingLimits limits) {
    return new EventRecorder(
        new EventBuilder(new MutableClock(Instant.parse("2024-05-01T10:00:00Z")), "1.0.0"),
        flags,
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())),
        limits);
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags, feature_flag_overrides");
  }

  private static List<EventInput> twoEvents() {
    return List.of(
        EventInput.backend("a.b", "c.d", EventInput.Parameters.of(0, Map.of())),
        EventInput.backend("e.f", "g.h", EventInput.Parameters.of(0, Map.of())));
  }

  private long logged() {
    return db.queryLong("SELECT count(*) FROM event_logs");
  }

  private long queued() {
    return db.queryLong("SELECT count(*) FROM telemetry_events_export_queue");
  }

  @Test
  void flagOff_writesEventLogsOnly() {
    recorder.record(twoEvents(), Actor.user(1), null, null);

    assertEquals(2, logged());
    assertEquals(0, queued());
  }

  @Test
  void instanceWideFlag_queuesEveryonesEvents() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);

    recorder.record(twoEvents(), Actor.user(1), null, null);
    recorder.record(twoEvents(), Actor.anonymous("visitor"), null, null);

    assertEquals(4, logged());
    assertEquals(4, queued());
  }

  @Test
  void perUserOverride_queuesOnlyThatUsersEvents() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, false);
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 1, true);

    recorder.record(twoEvents(), Actor.user(1), null, null);
    recorder.record(twoEvents(), Actor.user(2), null, null);
    recorder.record(twoEvents(), Actor.anonymous("visitor"), null, null);

    assertEquals(6, logged());
    assertEquals(2, queued());
  }

  @Test
  void perUserOverrideOff_winsOverTheInstanceWideFlag() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 2, false);

    recorder.record(twoEvents(), Actor.user(1), null, null);
    recorder.record(twoEvents(), Actor.user(2), null, null);

    assertEquals(4, logged());
    assertEquals(2, queued());
    flags.removeOverride(FeatureFlags.TELEMETRY_EXPORT, 2);
    recorder.record(twoEvents(), Actor.user(2), null, null);
    assertEquals(4, queued());
  }

  @Test
  void record_attachesTheUsersEvaluatedFlags() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    flags.set("new-search", false);
    flags.setOverride("new-search", 1, true);

    List<Event> events = recorder.record(twoEvents(), Actor.user(1), null, null);

    assertEquals(
        Map.of("telemetry-export", "true", "new-search", "true"),
        events.get(0).getFeatureFlags().getFlagsMap());
  }

  @Test
  void flagsGivenAtTheStart_areTheOnesTheEventsCarryAndExportFollows() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    FeatureFlags.Evaluation readWithTheToken = flags.evaluateWithOverrides(Actor.user(1));
    // Changed after they were read: the request keeps what it read.
    flags.set(FeatureFlags.TELEMETRY_EXPORT, false);

    RecordingRequest request =
        recorder.begin(Actor.user(1), readWithTheToken, PrivacySignals.NONE, null, null);
    request.add(twoEvents());
    request.commit();

    assertEquals(2, queued());
    assertEquals(
        Map.of("telemetry-export", "true"),
        request.events().get(0).getFeatureFlags().getFlagsMap());
    RecordingRequest readAtFirstBatch =
        recorder.begin(Actor.user(1), null, PrivacySignals.NONE, null, null);
    readAtFirstBatch.add(twoEvents());
    readAtFirstBatch.commit();
    assertEquals(2, queued(), "without given flags, the request reads the current ones");
  }

  @Test
  void oneInvalidEvent_rejectsTheWholeBatchAndStoresNothing() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    List<EventInput> batch =
        List.of(
            EventInput.backend("a.b", "c.d", EventInput.Parameters.of(0, Map.of())),
            EventInput.backend("a.b", "Bad_Action", EventInput.Parameters.of(0, Map.of())));

    InvalidEventException e =
        assertThrows(
            InvalidEventException.class, () -> recorder.record(batch, Actor.user(1), null, null));

    assertEquals(
        "events[1]: 'action' must start with a lowercase letter and contain only letters, dashes,"
            + " and dots",
        e.getMessage());
    assertEquals(0, logged());
    assertEquals(0, queued());
  }

  @Test
  void limits_rejectTooManyEventsAndTooLargeEventsNamingTheLimit() {
    EventRecorder strict = recorder(new RecordingLimits(2, 2048, 100));

    LimitExceededException tooMany =
        assertThrows(
            LimitExceededException.class,
            () ->
                strict.record(
                    List.of(twoEvents().get(0), twoEvents().get(0), twoEvents().get(0)),
                    Actor.user(1),
                    null,
                    null));
    assertEquals(RecordingLimits.MAX_EVENTS, tooMany.setting());
    assertEquals(
        "a request may record at most 2 events, got 3; send them in smaller batches",
        tooMany.getMessage());

    EventInput bigPrivate =
        new EventInput(
            "a.b",
            "c.d",
            null,
            null,
            new EventInput.Parameters(0, Map.of(), Map.of("text", "x".repeat(200)), null, null),
            null);
    LimitExceededException privateTooLarge =
        assertThrows(
            LimitExceededException.class,
            () ->
                strict.record(List.of(twoEvents().get(0), bigPrivate), Actor.user(1), null, null));
    assertEquals(EventLimits.MAX_PRIVATE_METADATA_BYTES, privateTooLarge.setting());
    assertTrue(
        privateTooLarge.getMessage().startsWith("events[1]: private metadata may take at most 100"),
        privateTooLarge.getMessage());

    Map<String, Object> manyKeys = new java.util.HashMap<>();
    for (int i = 0; i < 90; i++) {
      manyKeys.put("aRatherLongMetadataKeyNumber" + i, i);
    }
    LimitExceededException eventTooLarge =
        assertThrows(
            LimitExceededException.class,
            () ->
                strict.record(
                    List.of(
                        EventInput.backend(
                            "a.b",
                            "c.d",
                            new EventInput.Parameters(0, manyKeys, null, null, null))),
                    Actor.user(1),
                    null,
                    null));
    assertEquals(EventLimits.MAX_EVENT_BYTES, eventTooLarge.setting());
    assertEquals(0, logged(), "nothing of a rejected request is stored");
  }

  @Test
  void aRequestOfSeveralBatches_countsThemTogetherAndStoresThemInOneCommit() {
    EventRecorder strict = recorder(new RecordingLimits(3, 2048, 100));
    RecordingRequest request = strict.begin(Actor.user(1), null, null);

    request.add(twoEvents());
    LimitExceededException tooMany =
        assertThrows(LimitExceededException.class, () -> request.add(twoEvents()));
    request.add(List.of(twoEvents().get(0)));

    assertEquals(
        "a request may record at most 3 events, got 4 in all its fields together; send them in"
            + " smaller batches",
        tooMany.getMessage());
    assertEquals(3, request.size(), "a refused batch adds nothing");
    assertEquals(0, logged(), "nothing is stored before the commit");
    request.commit();
    assertEquals(3, logged());
    assertThrows(IllegalStateException.class, request::commit, "a request is stored once");
  }

  @Test
  void aRefusedTimestamp_rejectsTheBatchNamingTheWindowAndItsSettings() {
    EventInput ancient =
        new EventInput(
            "a.b",
            "c.d",
            Instant.parse("0001-01-01T00:00:00Z"),
            new EventInput.Client("web", null),
            EventInput.Parameters.of(0, Map.of()),
            null);

    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () ->
                recorder.record(
                    List.of(twoEvents().get(0), ancient), Actor.anonymous("v"), null, null));

    assertTrue(
        e.getMessage()
            .startsWith(
                "events[1]: 'timestamp' must lie between 90 days before and 1"
                    + " day after the server's time"),
        e.getMessage());
    assertTrue(e.getMessage().contains(EventLimits.TIMESTAMP_MAX_PAST), e.getMessage());
    assertEquals(0, logged());
  }

  @Test
  void anEmptyBatch_isAnError() {
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> recorder.record(List.of(), Actor.user(1), null, null));
    assertEquals("no events provided", e.getMessage());
  }
}
