package dev.tally.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.CatalogSource;
import dev.tally.catalog.Policy;
import dev.tally.catalog.Status;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.event.EventLimits;
import dev.tally.event.EventNames;
import dev.tally.event.TextBounds;
import dev.tally.legacy.LegacyEventInput;
import dev.tally.privacy.ExportOptOut;
import dev.tally.privacy.PrivacySettings;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Recording with an event catalog in force, against a real PostgreSQL: what is held, what is queued
 * and as what, what {@code event_logs} says about it, and what the catalog never touches.
 */
@ExtendWith(PostgresExtension.class)
class CatalogRecordingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");

  /** {@code search.submitted} may export {@code query} by the allowlist. */
  private static final Redactor REDACTOR =
      new Redactor(
          Redactor.Mode.ALLOWLISTED_ONLY,
          SensitiveMetadataAllowlist.of(
              List.of(
                  new SensitiveMetadataAllowlist.Entry("search", "submitted", Set.of("query")))));

  /** Plans {@code search.submitted} with its metadata key {@code results}, nothing else. */
  private static final CatalogEntry SEARCH =
      new CatalogEntry(
          "search",
          "submitted",
          Status.APPROVED,
          null,
          "search team",
          null,
          Map.of("results", new CatalogEntry.MetadataKey(null, Map.of())),
          Map.of(),
          null);

  private final TestDatabase db;
  private final FeatureFlags flags;

  CatalogRecordingTest(TestDatabase db) {
    this.db = db;
    this.flags = new FeatureFlags(db.dataSource());
  }

  @BeforeEach
  void exportOn() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, held_events, feature_flags,"
            + " feature_flag_overrides, export_opt_outs CASCADE");
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  @Test
  void hold_keepsAnUnplannedEventWithItsBuiltCopy_andQueuesThePlannedOnesOfTheSameRequest()
      throws Exception {
    EventRecorder recorder =
        recorder(rules(7, policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF)));

    List<Event> stored =
        recorder.record(
            List.of(
                input("search", "clicked", Map.of("rank", 2), Map.of("query", "repo:secret")),
                input("search", "submitted", Map.of("results", 3), null)),
            Actor.user(42),
            null,
            null);

    Event held = stored.get(0);
    Event planned = stored.get(1);
    assertEquals("unplanned", reasonOf(held));
    assertEquals(JSON.readTree("{\"version\":7,\"event\":\"held\"}"), outcomeOf(held));
    assertFalse(isQueued(held), "a held event is not in the queue");
    assertArrayEquals(
        held.toByteArray(),
        heldPayload(held),
        "held_events keeps the event as built, private metadata and all");
    assertEquals(
        "search|clicked|u:42|" + NOW,
        db.queryString(
            "SELECT feature || '|' || action || '|' || user_key || '|' ||"
                + " to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                + " FROM held_events"));
    assertNull(reasonOf(planned));
    assertNull(outcomeOf(planned), "nothing to report about a planned event with planned keys");
    assertTrue(isQueued(planned));
    assertEquals(1, db.queryLong("SELECT count(*) FROM held_events"));
  }

  @Test
  void shadow_queuesTheEvent_andWritesWhatTheCatalogWouldDo() throws Exception {
    EventRecorder recorder =
        recorder(
            rules(
                3, policy(Policy.EventMode.SHADOW, Policy.KeyMode.SHADOW, Policy.KeyMode.SHADOW)));

    Event event =
        recorder
            .record(
                List.of(input("search", "clicked", Map.of("rank", 2), Map.of("query", "q"))),
                Actor.anonymous("visitor-1"),
                null,
                null)
            .get(0);

    assertNull(reasonOf(event));
    assertEquals(
        JSON.readTree(
            "{\"version\":3,\"event\":\"would_hold\",\"metadata\":{\"rank\":\"would_drop\"}}"),
        outcomeOf(event),
        "query is not reported: the allowlist does not let it leave search.clicked");
    Event queued = queued(event);
    assertEquals(Map.of("rank", 2.0), queued.getParameters().getMetadataMap());
    assertFalse(queued.getParameters().hasPrivateMetadata(), "redacted as without a catalog");
    assertEquals(0, db.queryLong("SELECT count(*) FROM held_events"));
  }

  @Test
  void drop_removesUnplannedKeysFromTheQueuedCopyOnly() throws Exception {
    EventRecorder recorder =
        recorder(rules(5, policy(Policy.EventMode.OFF, Policy.KeyMode.DROP, Policy.KeyMode.DROP)));

    Event event =
        recorder
            .record(
                List.of(
                    input(
                        "search",
                        "submitted",
                        Map.of("results", 3, "latencyMs", 40),
                        Map.of("query", "repo:secret"))),
                Actor.user(1),
                null,
                null)
            .get(0);

    Event queued = queued(event);
    assertEquals(Map.of("results", 3.0), queued.getParameters().getMetadataMap());
    assertFalse(
        queued.getParameters().getPrivateMetadata().containsFields("query"),
        "the allowlisted but unplanned key is dropped");
    assertEquals(
        JSON.readTree(
            "{\"version\":5,\"metadata\":{\"latencyMs\":\"dropped\"},"
                + "\"private\":{\"query\":\"dropped\"}}"),
        outcomeOf(event));
    assertEquals(
        JSON.readTree("{\"results\":3.0,\"latencyMs\":40.0}"),
        JSON.readTree(column("public_argument::text", event)),
        "event_logs keeps every metadata key");
    assertEquals(
        JSON.readTree("{\"query\":\"repo:secret\"}"),
        JSON.readTree(column("argument::text", event)),
        "and the private metadata");
  }

  @Test
  void eventsThatMayNotBeQueued_areNeverJudged_heldOrGivenAnOutcome() throws Exception {
    CountingSource catalog =
        new CountingSource(
            rules(9, policy(Policy.EventMode.HOLD, Policy.KeyMode.DROP, Policy.KeyMode.DROP)));
    EventRecorder recorder = recorder(catalog);
    new ExportOptOut(db.dataSource()).set(7, true);
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 8, false);

    Event optedOut = recordOne(recorder, Actor.user(7), PrivacySignals.NONE, "optedOut");
    Event gpc =
        recordOne(recorder, Actor.user(1), PrivacySignals.fromHeaders("1", null), "signalled");
    Event exportOff = recordOne(recorder, Actor.user(8), PrivacySignals.NONE, "exportOff");
    RecordingRequest legacy = recorder.begin(Actor.anonymous("visitor-2"), null, null);
    legacy.addLegacy(List.of(LegacyEventInput.userEvent("SearchSubmitted", "visitor-2")));
    legacy.commit();

    assertEquals("opt_out", reasonOf(optedOut));
    assertEquals("gpc", reasonOf(gpc));
    assertNull(reasonOf(exportOff));
    assertEquals(
        "legacy",
        db.queryString("SELECT kept_local_reason FROM event_logs WHERE name = 'SearchSubmitted'"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM held_events"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(
        0, db.queryLong("SELECT count(*) FROM event_logs WHERE catalog_outcome IS NOT NULL"));
    assertEquals(0, catalog.calls.get(), "a request that may queue nothing never asks");
  }

  @Test
  void aRequest_takesOneSnapshotOfTheCatalog_whenItCommits() throws Exception {
    CountingSource catalog =
        new CountingSource(
            rules(2, policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF)));
    RecordingRequest request = recorder(catalog).begin(Actor.user(3), null, null);

    request.add(List.of(input("search", "clicked", Map.of(), null)));
    request.add(List.of(input("search", "submitted", Map.of(), null)));
    assertEquals(0, catalog.calls.get(), "not while events are added");
    request.commit();

    assertEquals(1, catalog.calls.get());
    assertEquals(1, db.queryLong("SELECT count(*) FROM held_events"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  @Test
  void hold_andDrop_withTheLongestNamesKeysAndIdsTheDoorAccepts() throws Exception {
    String feature = "f" + "e".repeat(EventNames.MAX_LENGTH - 1);
    String action = "a" + "c".repeat(EventNames.MAX_LENGTH - 1);
    String key = "k".repeat(EventLimits.DEFAULTS.maxKeyBytes());
    String privateKey = "p".repeat(EventLimits.DEFAULTS.maxKeyBytes());
    String visitor = "v".repeat(TextBounds.ANONYMOUS_USER_ID_BYTES);
    CatalogEntry pattern =
        new CatalogEntry(
            feature,
            "a" + "c".repeat(EventNames.MAX_LENGTH - 3) + "*",
            Status.PROPOSED,
            null,
            null,
            null,
            Map.of(),
            Map.of(),
            null);
    EventRecorder recorder =
        recorder(
            CatalogSource.fixed(
                CatalogRules.of(
                    11,
                    new Catalog(
                        policy(Policy.EventMode.HOLD, Policy.KeyMode.DROP, Policy.KeyMode.DROP),
                        List.of(pattern)),
                    REDACTOR)));

    Event event =
        recorder
            .record(
                List.of(input(feature, action, Map.of(key, 1), Map.of(privateKey, "x"))),
                Actor.anonymous(visitor),
                null,
                null)
            .get(0);

    assertEquals("unplanned", reasonOf(event), "a proposed entry's events are held");
    assertEquals(
        JSON.readTree(
            "{\"version\":11,\"event\":\"held\",\"metadata\":{\"" + key + "\":\"dropped\"}}"),
        outcomeOf(event));
    assertArrayEquals(event.toByteArray(), heldPayload(event));
    assertEquals(
        "a:" + visitor,
        db.queryString("SELECT user_key FROM held_events"),
        "named as the queue names users");
    assertEquals(
        feature + "." + action, db.queryString("SELECT feature || '.' || action FROM held_events"));
  }

  @Test
  void withoutACatalog_theRecorderQueuesAsBefore_andWritesNoOutcome() throws Exception {
    EventRecorder recorder = TestRecorders.over(db);

    Event event =
        recorder
            .record(
                List.of(
                    input(
                        "exampleFeature",
                        "exampleAction",
                        Map.of("n", 1),
                        Map.of("testField", "t", "other", "o"))),
                Actor.user(1),
                null,
                null)
            .get(0);

    assertNull(outcomeOf(event));
    assertArrayEquals(
        new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())
            .redact(event)
            .toByteArray(),
        queued(event).toByteArray());
  }

  // ------------------------------------------------------------------ helpers

  /** A catalog source that counts how often it was asked. */
  private static final class CountingSource implements CatalogSource {
    final AtomicInteger calls = new AtomicInteger();
    private final CatalogRules rules;

    CountingSource(CatalogRules rules) {
      this.rules = rules;
    }

    @Override
    public CatalogRules current() {
      calls.incrementAndGet();
      return rules;
    }
  }

  private EventRecorder recorder(CatalogRules rules) {
    return recorder(CatalogSource.fixed(rules));
  }

  private EventRecorder recorder(CatalogSource catalog) {
    return new EventRecorder(
        new EventBuilder(new MutableClock(NOW), "6.0.0"),
        flags,
        new TeeStore(db.dataSource(), REDACTOR),
        RecordingLimits.DEFAULTS,
        PrivacySettings.DEFAULTS,
        catalog);
  }

  private static CatalogRules rules(long version, Policy policy) {
    return CatalogRules.of(version, new Catalog(policy, List.of(SEARCH)), REDACTOR);
  }

  private static Policy policy(
      Policy.EventMode events, Policy.KeyMode metadata, Policy.KeyMode privateKeys) {
    return new Policy(events, metadata, privateKeys);
  }

  private static EventInput input(
      String feature, String action, Map<String, ?> metadata, Object privateMetadata) {
    return EventInput.backend(
        feature, action, new EventInput.Parameters(1, metadata, privateMetadata, null, null));
  }

  private static Event recordOne(
      EventRecorder recorder, Actor actor, PrivacySignals signals, String action) {
    return recorder
        .record(
            List.of(input("search", action, Map.of("rank", 1), null)), actor, signals, null, null)
        .get(0);
  }

  private String reasonOf(Event event) {
    return column("kept_local_reason", event);
  }

  private JsonNode outcomeOf(Event event) {
    String outcome = column("catalog_outcome::text", event);
    try {
      return outcome == null ? null : JSON.readTree(outcome);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String column(String column, Event event) {
    return query(
        "SELECT " + column + " FROM event_logs WHERE event_id = ?", event, row -> row.getString(1));
  }

  private boolean isQueued(Event event) {
    return query(
        "SELECT count(*) FROM telemetry_events_export_queue WHERE id = ?",
        event,
        row -> row.getLong(1) == 1);
  }

  private Event queued(Event event) {
    return query(
        "SELECT payload_pb FROM telemetry_events_export_queue WHERE id = ?",
        event,
        row -> Event.parseFrom(row.getBytes(1)));
  }

  private byte[] heldPayload(Event event) {
    return query(
        "SELECT payload_pb FROM held_events WHERE event_id = ?", event, row -> row.getBytes(1));
  }

  private interface Column<T> {
    T read(ResultSet row) throws Exception;
  }

  /** The one row {@code sql} returns for the event's ID. */
  private <T> T query(String sql, Event event, Column<T> column) {
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setObject(1, UUID.fromString(event.getId()));
      try (ResultSet row = statement.executeQuery()) {
        assertTrue(row.next(), "no row for " + event.getFeature() + "." + event.getAction());
        return column.read(row);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
