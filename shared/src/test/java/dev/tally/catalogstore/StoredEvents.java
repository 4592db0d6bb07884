package dev.tally.catalogstore;

import dev.tally.catalog.Catalog;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.json.Json;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.Jdbc;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Stored events for the catalog's tests, written as recording writes them: exported and kept-local
 * ones through the real recorder, held ones built by the real builder and stored as recording under
 * a {@code hold} policy stores them (an {@code event_logs} row marked {@code unplanned} and a
 * {@code held_events} row with the built event, nothing queued).
 */
final class StoredEvents {
  /** The redaction rules of these tests: {@code search.submitted} may export {@code languageId}. */
  static final Redactor REDACTOR =
      new Redactor(
          Redactor.Mode.ALLOWLISTED_ONLY,
          SensitiveMetadataAllowlist.builtIn()
              .with(SensitiveMetadataAllowlist.parseEntries("search::submitted::languageId")));

  private final TestDatabase db;
  private final MutableClock clock;
  private final EventBuilder builder;
  private final TeeStore store;
  private final EventRecorder recorder;

  StoredEvents(TestDatabase db, MutableClock clock) {
    this.db = db;
    this.clock = clock;
    this.builder = new EventBuilder(clock, "1.0.0");
    this.store = new TeeStore(db.dataSource(), REDACTOR);
    this.recorder =
        new EventRecorder(
            builder, new FeatureFlags(db.dataSource()), store, RecordingLimits.DEFAULTS);
  }

  /** Empties every table these tests write, and turns export on for the instance. */
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, held_events, event_catalog_versions,"
            + " export_opt_outs, feature_flags, feature_flag_overrides CASCADE");
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  /** An event of a client, {@code ago} before now, with metadata and private metadata. */
  EventInput input(
      String feature,
      String action,
      java.time.Duration ago,
      Map<String, ? extends Number> metadata,
      Map<String, ?> privateMetadata) {
    return new EventInput(
        feature,
        action,
        clock.instant().minus(ago),
        new EventInput.Client("VSCode.Cody", "1.2.3"),
        new EventInput.Parameters(1, metadata, privateMetadata, null, null),
        null);
  }

  /** Recorded through the real recorder with export on: in event_logs and the queue. */
  List<Event> exported(Actor actor, EventInput input, int times) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.addAll(recorder.record(List.of(input), actor, null, null));
    }
    return events;
  }

  /** Recorded through the real recorder from a request with Global Privacy Control. */
  List<Event> keptLocalByGpc(Actor actor, EventInput input, int times) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.addAll(
          recorder.record(
              List.of(input), actor, PrivacySignals.fromHeaders("1", null), null, null));
    }
    return events;
  }

  /** Held by the catalog as recording holds an event. */
  List<Event> held(Actor actor, EventInput input, int times) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.add(
          builder.build(
              input,
              new EventContext(actor, Map.of(FeatureFlags.TELEMETRY_EXPORT, true), null, null)));
    }
    store.store(events, null, false, List.of());
    Jdbc.inTransaction(
        db.dataSource(),
        "hold events",
        connection -> {
          for (Event event : events) {
            UUID id = UUID.fromString(event.getId());
            Jdbc.update(
                connection,
                "UPDATE event_logs SET kept_local_reason = 'unplanned',"
                    + " catalog_outcome = CAST(? AS jsonb) WHERE event_id = ?",
                "{\"version\": 1, \"event\": \"held\"}",
                id);
            Jdbc.update(
                connection,
                "INSERT INTO held_events (event_id, timestamp, feature, action, user_key,"
                    + " payload_pb) VALUES (?, ?, ?, ?, ?, ?)",
                id,
                Instant.ofEpochSecond(
                    event.getTimestamp().getSeconds(), event.getTimestamp().getNanos()),
                event.getFeature(),
                event.getAction(),
                TeeStore.userKey(
                    event.getUser().hasUserId() ? event.getUser().getUserId() : null,
                    event.getUser().hasAnonymousUserId()
                        ? event.getUser().getAnonymousUserId()
                        : null),
                event.toByteArray());
          }
          return null;
        });
    return events;
  }

  /** A legacy event: in event_logs only, marked legacy. */
  void legacy(String name) {
    db.execute(
        "INSERT INTO event_logs (event_id, name, timestamp, anonymous_user_id, source, version,"
            + " kept_local_reason) VALUES (gen_random_uuid(), '"
            + name
            + "', now(), 'unknown', 'WEB', '1.0.0', 'legacy')");
  }

  static List<String> ids(List<Event> events) {
    List<String> ids = new ArrayList<>();
    for (Event event : events) {
      ids.add(event.getId());
    }
    return ids;
  }

  /** A catalog from its JSON text. */
  static Catalog catalog(String json) {
    try {
      return Catalog.fromJson(Json.read(json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
