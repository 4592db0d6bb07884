package dev.tally.catalogstore;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.CatalogSource;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.json.Json;
import dev.tally.privacy.PrivacySettings;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stored events for the catalog's tests, recorded through the real recorder: exported, kept local
 * for a privacy reason, or held by a catalog that holds every event (an {@code event_logs} row
 * marked {@code unplanned} and a {@code held_events} row with the built event, nothing queued).
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
  private final EventRecorder recorder;
  private final EventRecorder holding;

  StoredEvents(TestDatabase db, MutableClock clock) {
    this.db = db;
    this.clock = clock;
    EventBuilder builder = new EventBuilder(clock, "1.0.0");
    TeeStore store = new TeeStore(db.dataSource(), REDACTOR);
    FeatureFlags flags = new FeatureFlags(db.dataSource());
    this.recorder = new EventRecorder(builder, flags, store, RecordingLimits.DEFAULTS);
    this.holding =
        new EventRecorder(
            builder,
            flags,
            store,
            RecordingLimits.DEFAULTS,
            PrivacySettings.DEFAULTS,
            CatalogSource.fixed(
                CatalogRules.of(
                    1, catalog("{\"policy\": {\"unplannedEvents\": \"hold\"}}"), REDACTOR)));
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

  /** Recorded through the real recorder while a catalog that holds every event is in force. */
  List<Event> held(Actor actor, EventInput input, int times) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.addAll(holding.record(List.of(input), actor, null, null));
    }
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
