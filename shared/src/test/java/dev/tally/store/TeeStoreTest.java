package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.MarketingField;
import dev.tally.legacy.LegacyEvent;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TeeStoreTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00.123456Z"));
  private final EventBuilder builder = new EventBuilder(clock, "5.3.0");
  private final TeeStore store;

  TeeStoreTest(TestDatabase db) {
    this.db = db;
    this.store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
  }

  @BeforeEach
  void emptyTables() {
    db.execute("TRUNCATE event_logs, telemetry_events_export_queue");
  }

  @Test
  void store_writesTheAnalyticsRowWithEveryColumn() throws Exception {
    Event event =
        builder.build(
            new EventInput(
                "search",
                "submitted",
                null,
                new EventInput.Client("VSCode.Cody", "1.2"),
                new EventInput.Parameters(
                    2,
                    Map.of("results", 12),
                    Map.of("query", "repo:secret"),
                    new EventInput.Billing("cody", "core"),
                    "interaction-1"),
                EventMarketingTracking.newBuilder()
                    .setUrl("https://example.com/search")
                    .setReferrer("https://ref.example")
                    .setCohortId("2024-05")
                    .build()),
            new EventContext(Actor.user(42), Map.of("telemetry-export", true), null, null));

    store.store(List.of(event), false);

    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT name, timestamp, user_id, anonymous_user_id, source, client, version,"
                    + " public_argument::text, argument::text, feature_flags::text,"
                    + " billing_product_category, interaction_id, url, referrer, cohort_id,"
                    + " first_source_url, feature, action FROM event_logs WHERE event_id = ?")) {
      query.setObject(1, UUID.fromString(event.getId()));
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next(), "the event is in event_logs");
        assertEquals("search.submitted", row.getString("name"));
        assertEquals("search", row.getString("feature"));
        assertEquals("submitted", row.getString("action"));
        assertEquals(Instant.parse("2024-05-01T10:00:00.123456Z"), row.getTimestamp(2).toInstant());
        assertEquals(42, row.getLong("user_id"));
        assertEquals("unknown", row.getString("anonymous_user_id"));
        assertEquals("VSCode.Cody", row.getString("source"));
        assertEquals("VSCode.Cody:1.2", row.getString("client"));
        assertEquals("5.3.0", row.getString("version"));
        assertEquals(JSON.readTree("{\"results\":12.0}"), JSON.readTree(row.getString(8)));
        assertEquals(
            JSON.readTree("{\"query\":\"repo:secret\"}"),
            JSON.readTree(row.getString(9)),
            "event_logs keeps private metadata: it never leaves the instance from there");
        JsonNode flags = JSON.readTree(row.getString(10));
        assertEquals("true", flags.get("telemetry-export").asText());
        assertEquals("cody:core", row.getString("billing_product_category"));
        assertEquals("interaction-1", row.getString("interaction_id"));
        assertEquals("https://example.com/search", row.getString("url"));
        assertEquals("https://ref.example", row.getString("referrer"));
        assertEquals("2024-05", row.getString("cohort_id"));
        assertNull(row.getString("first_source_url"));
      }
    }
  }

  @Test
  void store_marksBackendEventsAndUnknownUsers() {
    Event event =
        builder.build(
            EventInput.backend("repo.sync", "finished", EventInput.Parameters.of(0, Map.of())),
            EventContext.of(Actor.unknown()));

    store.store(List.of(event), false);

    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE source = 'BACKEND' AND client IS NULL"
                + " AND anonymous_user_id = 'unknown' AND user_id IS NULL"));
  }

  @Test
  void store_queuesTheRedactedEventOnlyWhenAsked() throws Exception {
    Event exported = anonymousEvent("a.b", Map.of("secret", "s"));
    Event notExported = anonymousEvent("c.d", Map.of("secret", "s"));

    store.store(List.of(exported), true);
    store.store(List.of(notExported), false);

    assertEquals(2, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT payload_pb FROM telemetry_events_export_queue WHERE id = ?")) {
      query.setObject(1, UUID.fromString(exported.getId()));
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        Event queued = Event.parseFrom(row.getBytes(1));
        assertEquals(exported.getId(), queued.getId());
        assertFalse(queued.getParameters().hasPrivateMetadata(), "queued redacted");
        assertEquals(
            exported.getParameters().getMetadataMap(), queued.getParameters().getMetadataMap());
      }
    }
  }

  @Test
  void store_aFailureBetweenTheTwoInsertsLeavesNeitherRow() {
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(anonymousEvent("a.b", null));
    }
    // The queue insert, which runs after the event_logs insert, fails on an ID already queued.
    db.execute(
        "INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb) VALUES ('"
            + batch.get(7).getId()
            + "', now(), '\\x00'::bytea)");

    StoreException e = assertThrows(StoreException.class, () -> store.store(batch, true));

    assertTrue(e.getMessage().startsWith("could not store 10 event(s)"), e.getMessage());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "no analytics row survives");
    assertEquals(
        1,
        db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"),
        "only the row that was there before");
  }

  @Test
  void store_aValueTheDatabaseRefuses_isADataErrorThatQuotesNoValue() {
    // The recording path refuses NUL before it gets here; this is the database's own answer.
    Event event =
        anonymousEvent("a.b", Map.of("secret", "private-value-\u0000-end")).toBuilder()
            .setFeature("secretfeaturename")
            .build();

    StoreException e = assertThrows(StoreException.class, () -> store.store(List.of(event), true));

    assertEquals(StoreException.Kind.REFUSED_DATA, e.kind());
    assertTrue(e.sqlState().startsWith("22"), e.sqlState());
    java.io.StringWriter trace = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(trace));
    assertFalse(trace.toString().contains("private-value"), trace.toString());
    assertFalse(trace.toString().contains("secretfeaturename"), trace.toString());
    assertFalse(trace.toString().contains(event.getId()), trace.toString());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  @Test
  void store_writesABatchOfAThousandEvents() {
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      batch.add(anonymousEvent("a.b", Map.of("i", i)));
    }

    store.store(batch, true);

    assertEquals(1000, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(1000, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  @Test
  void store_writesEveryMarketingFieldToItsColumnForV2AndLegacyEvents() {
    EventMarketingTracking.Builder every = EventMarketingTracking.newBuilder();
    for (MarketingField field : MarketingField.values()) {
      field.set(every, "https://example.com/" + field.inputName());
    }
    EventMarketingTracking tracking = every.build();
    Event event =
        builder.build(
            new EventInput(
                "search",
                "submitted",
                null,
                new EventInput.Client("web", null),
                EventInput.Parameters.of(0, Map.of()),
                tracking),
            EventContext.of(Actor.anonymous("visitor-1")));
    LegacyEvent legacy =
        new LegacyEvent(
            UUID.randomUUID(),
            "SearchSubmitted",
            clock.instant(),
            null,
            "visitor-1",
            "WEB",
            tracking,
            null,
            null,
            Map.of(),
            "5.3.0",
            null);

    store.store(List.of(event), null, false, List.of(legacy));

    EventLogs eventLogs = new EventLogs(db.dataSource());
    for (UUID id : List.of(UUID.fromString(event.getId()), legacy.id())) {
      Map<String, Object> columns = eventLogs.find(id).orElseThrow().columns();
      for (MarketingField field : MarketingField.values()) {
        assertEquals(
            "https://example.com/" + field.inputName(),
            columns.get(field.column()),
            field.column());
      }
    }
  }

  private Event anonymousEvent(String name, Map<String, Object> privateMetadata) {
    String[] parts = name.split("\\.");
    return builder.build(
        new EventInput(
            parts[0] + "x",
            parts[1] + "y",
            null,
            new EventInput.Client("web", null),
            new EventInput.Parameters(0, Map.of("n", 1), privateMetadata, null, null),
            null),
        EventContext.of(Actor.anonymous("visitor-1")));
  }
}
