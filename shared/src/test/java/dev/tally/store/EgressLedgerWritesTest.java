package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Policy;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.EventLimits;
import dev.tally.event.EventNames;
import dev.tally.privacy.Erasure;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The egress ledger's write side against the real database: recording stores what it withheld from
 * each queued event, and marking events exported counts them in the same transaction.
 */
@ExtendWith(PostgresExtension.class)
class EgressLedgerWritesTest {
  private static final Duration LEASE = Duration.ofMinutes(5);

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-03T23:59:00Z"));
  private final EventBuilder builder = new EventBuilder(clock, "1.0.0");
  private final Redactor redactor =
      new Redactor(
          Redactor.Mode.ALLOWLISTED_ONLY,
          SensitiveMetadataAllowlist.of(
              SensitiveMetadataAllowlist.parseEntries("search::submit::language")));
  private final TeeStore store;
  private final ExportQueue queue;

  EgressLedgerWritesTest(TestDatabase db) {
    this.db = db;
    this.store = new TeeStore(db.dataSource(), redactor);
    this.queue = new ExportQueue(db.dataSource(), clock);
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, egress_ledger, egress_ledger_fields");
  }

  private Event event(
      String feature,
      String action,
      Map<String, ?> metadata,
      Map<String, ?> privateMetadata,
      EventMarketingTracking tracking,
      Actor actor) {
    return builder.build(
        new EventInput(
            feature,
            action,
            null,
            new EventInput.Client("web", "1"),
            new EventInput.Parameters(0, metadata, privateMetadata, null, null),
            tracking),
        EventContext.of(actor));
  }

  private static final EventMarketingTracking TRACKING =
      EventMarketingTracking.newBuilder()
          .setUrl("https://example.com/pricing")
          .setCohortId("cohort-7")
          .build();

  @Test
  void recording_storesTheWithheldPathsByName_andNullWhenNothingIsWithheld() throws Exception {
    Event search =
        event(
            "search",
            "submit",
            Map.of("results", 3),
            Map.of("language", "go", "query", "secret value"),
            TRACKING,
            Actor.user(7));
    Event plain = event("docs", "view", Map.of("n", 1), null, null, Actor.user(7));
    store.store(List.of(search, plain), true);

    assertEquals(
        List.of("marketingTracking.cohortId", "marketingTracking.url", "privateMetadata.query"),
        withheld(search.getId()),
        "names only: the private key not allowlisted and each marketing field");
    assertNull(withheld(plain.getId()), "nothing withheld: NULL");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue"
                + " WHERE array_to_string(withheld, ',') LIKE '%secret%'"
                + " OR catalog_version IS NOT NULL"),
        "no value, and no catalog in force");
  }

  @Test
  void recording_underACatalog_storesItsVersionAndTheMetadataKeysItDrops() throws Exception {
    CatalogRules catalog =
        CatalogRules.of(
            3,
            new Catalog(
                new Policy(Policy.EventMode.OFF, Policy.KeyMode.DROP, Policy.KeyMode.DROP),
                List.of()),
            redactor);
    Event search =
        event(
            "search",
            "submit",
            Map.of("results", 3),
            Map.of("language", "go"),
            null,
            Actor.user(7));
    store.store(List.of(search), null, true, List.of(), catalog);

    assertEquals(3, db.queryLong("SELECT catalog_version FROM telemetry_events_export_queue"));
    assertEquals(
        List.of("metadata.results", "privateMetadata.language"),
        withheld(search.getId()),
        "what the catalog dropped, though the redaction rules alone let the key leave");
  }

  @Test
  void markExported_countsPerNameAndField_whatLeftAndWhatWasWithheld() throws Exception {
    store.store(
        List.of(
            event(
                "search",
                "submit",
                Map.of(),
                Map.of("language", "go", "query", "a"),
                TRACKING,
                Actor.user(1)),
            event("search", "submit", Map.of(), Map.of("language", "rust"), null, Actor.user(2)),
            event("docs", "view", Map.of(), null, null, Actor.user(3))),
        true);
    UUID owner = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(owner, 10, LEASE).events();
    clock.advance(Duration.ofMinutes(2));

    assertEquals(3, queue.markExported(owner, claimed));

    assertEquals(
        Map.of(
            "2026-11-04 search.submit v0", "2 events, " + bytes("search") + " bytes",
            "2026-11-04 docs.view v0", "1 events, " + bytes("docs") + " bytes"),
        ledger(),
        "the UTC day of the export, not of the events");
    assertEquals(
        Map.of(
            "search.submit privateMetadata.language", "2 left, 0 withheld",
            "search.submit privateMetadata.query", "0 left, 1 withheld",
            "search.submit marketingTracking.url", "0 left, 1 withheld",
            "search.submit marketingTracking.cohortId", "0 left, 1 withheld"),
        fields());
  }

  @Test
  void markExported_again_countsNothingTwice() throws Exception {
    store.store(
        List.of(event("search", "submit", Map.of(), Map.of("query", "a"), null, Actor.user(1))),
        true);
    UUID owner = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(owner, 10, LEASE).events();
    assertEquals(1, queue.markExported(owner, claimed));
    Map<String, String> once = ledger();
    Map<String, String> fieldsOnce = fields();

    assertEquals(0, queue.markExported(owner, claimed), "an acknowledgement sent twice");
    UUID other = UUID.randomUUID();
    assertEquals(0, queue.markExported(other, claimed), "a run that never held it");

    assertEquals(once, ledger());
    assertEquals(fieldsOnce, fields());
    assertEquals(Map.of("search.submit privateMetadata.query", "0 left, 1 withheld"), fieldsOnce);
  }

  @Test
  void markExported_thatFails_leavesTheQueueAndTheLedgerAsTheyWere() throws Exception {
    store.store(
        List.of(event("search", "submit", Map.of(), Map.of("query", "a"), null, Actor.user(1))),
        true);
    UUID owner = UUID.randomUUID();
    List<ExportQueue.QueuedEvent> claimed = queue.claim(owner, 10, LEASE).events();
    db.execute(
        "CREATE FUNCTION ledger_outage() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$ BEGIN RAISE EXCEPTION 'ledger outage (simulated by the test)'; END $$;"
            + " CREATE TRIGGER ledger_outage BEFORE INSERT ON egress_ledger_fields"
            + " FOR EACH ROW EXECUTE FUNCTION ledger_outage()");
    try {
      StoreException failure =
          assertThrows(StoreException.class, () -> queue.markExported(owner, claimed));
      assertTrue(failure.getMessage().contains("mark 1 event(s) exported"), failure.getMessage());
    } finally {
      db.execute(
          "DROP TRIGGER ledger_outage ON egress_ledger_fields; DROP FUNCTION ledger_outage()");
    }

    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NOT NULL"));
    assertEquals(Map.of(), ledger(), "the names' rows were written before the failure: gone too");
    assertEquals(1, queue.markExported(owner, claimed), "still held: marked once it works");
    assertEquals(1, ledger().size());
  }

  @Test
  void markExported_rowsQueuedBeforeTheLedger_countAsWithholdingNothing() throws Exception {
    store.store(
        List.of(event("search", "submit", Map.of(), Map.of("query", "a"), null, Actor.user(1))),
        true);
    db.execute("UPDATE telemetry_events_export_queue SET withheld = NULL, catalog_version = NULL");
    UUID owner = UUID.randomUUID();

    assertEquals(1, queue.markExported(owner, queue.claim(owner, 10, LEASE).events()));

    assertEquals(1, ledger().size());
    assertEquals(Map.of(), fields());
  }

  @Test
  void theLargestEventTheDoorAccepts_flowsThroughTheLedger() throws Exception {
    // The widest names and the most keys of the longest names any setting allows: each key a
    // field of the ledger's primary key, far under a btree entry's 2.7 KB.
    EventLimits widest =
        new EventLimits(
            EventLimits.EVENT_BYTES_CEILING,
            EventLimits.EVENT_BYTES_CEILING,
            100,
            EventLimits.KEY_BYTES_CEILING,
            EventLimits.DEPTH_CEILING,
            1000,
            Duration.ofDays(90),
            Duration.ofDays(1));
    String feature = "f" + "e".repeat(EventNames.MAX_LENGTH - 1);
    String action = "a" + "c".repeat(EventNames.MAX_LENGTH - 1);
    Map<String, Object> privateMetadata = new LinkedHashMap<>();
    Map<String, Object> metadata = new LinkedHashMap<>();
    for (int i = 0; i < 1000; i++) {
      // Three bytes per character: the longest key in UTF-8 bytes, not in characters.
      String prefix = String.format("%04d", i);
      privateMetadata.put(
          prefix + "\u20ac".repeat((EventLimits.KEY_BYTES_CEILING - prefix.length()) / 3), "v");
    }
    for (int i = 0; i < 100; i++) {
      String prefix = String.format("%03d", i);
      metadata.put(prefix + "m".repeat(EventLimits.KEY_BYTES_CEILING - prefix.length()), i);
    }
    Redactor everything =
        new Redactor(Redactor.Mode.EXPORT_EVERYTHING, SensitiveMetadataAllowlist.builtIn());
    CatalogRules catalog =
        CatalogRules.of(
            Integer.MAX_VALUE,
            new Catalog(
                new Policy(Policy.EventMode.OFF, Policy.KeyMode.DROP, Policy.KeyMode.OFF),
                List.of()),
            everything);
    Event big = event(feature, action, metadata, privateMetadata, TRACKING, Actor.user(1));
    widest.check(big, clock.instant());
    Event untracked = event(feature, action, metadata, privateMetadata, null, Actor.user(1));
    new TeeStore(db.dataSource(), everything)
        .store(List.of(big, untracked), null, true, List.of(), catalog);
    UUID owner = UUID.randomUUID();

    assertEquals(2, queue.markExported(owner, queue.claim(owner, 10, LEASE).events()));

    assertEquals(
        2, db.queryLong("SELECT events FROM egress_ledger WHERE catalog_version = 2147483647"));
    assertEquals(feature, db.queryString("SELECT feature FROM egress_ledger"));
    assertEquals(
        1000 + 100 + 2, db.queryLong("SELECT count(*) FROM egress_ledger_fields"), "every key");
    assertEquals(
        1,
        db.queryLong(
            "SELECT left_events FROM egress_ledger_fields WHERE field = 'marketingTracking.url'"));
    assertEquals(
        1000,
        db.queryLong(
            "SELECT count(*) FROM egress_ledger_fields"
                + " WHERE field LIKE 'privateMetadata.%' AND left_events = 2"));
    assertEquals(
        100,
        db.queryLong(
            "SELECT count(*) FROM egress_ledger_fields"
                + " WHERE field LIKE 'metadata.%' AND withheld_events = 2"),
        "the metadata keys the catalog dropped");
    assertTrue(
        db.queryLong("SELECT max(octet_length(field)) FROM egress_ledger_fields")
            >= EventLimits.KEY_BYTES_CEILING);
  }

  @Test
  void erasureAndRetention_leaveTheLedgerAsItIs() throws Exception {
    store.store(
        List.of(
            event("search", "submit", Map.of(), Map.of("language", "go"), null, Actor.user(41)),
            event("search", "submit", Map.of(), Map.of("query", "x"), null, Actor.user(42))),
        true);
    UUID owner = UUID.randomUUID();
    assertEquals(2, queue.markExported(owner, queue.claim(owner, 10, LEASE).events()));
    Map<String, String> ledger = ledger();
    Map<String, String> fields = fields();

    new Erasure(db.dataSource(), clock).erase(Actor.user(41), "test");
    clock.advance(Duration.ofDays(400));
    queue.deleteExportedBefore(clock.instant());
    new EventLogsRetention(db.dataSource(), clock)
        .prune(clock.instant(), clock.instant().plus(Duration.ofMinutes(1)));

    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(ledger, ledger(), "the ledger names nobody: nothing of it is erased");
    assertEquals(fields, fields());
  }

  // ------------------------------------------------------------------ helpers

  private List<String> withheld(String id) throws SQLException {
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT withheld FROM telemetry_events_export_queue WHERE id = '" + id + "'")) {
      assertTrue(row.next(), "queued: " + id);
      Array array = row.getArray(1);
      if (array == null) {
        return null;
      }
      String[] paths = (String[]) array.getArray();
      Arrays.sort(paths);
      return List.of(paths);
    }
  }

  private long bytes(String feature) {
    return db.queryLong(
        "SELECT sum(octet_length(q.payload_pb)) FROM telemetry_events_export_queue q"
            + " JOIN event_logs e ON e.event_id = q.id WHERE e.feature = '"
            + feature
            + "'");
  }

  private Map<String, String> ledger() throws SQLException {
    Map<String, String> rows = new TreeMap<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT day, feature, action, catalog_version, events, bytes FROM egress_ledger")) {
      while (row.next()) {
        rows.put(
            row.getString(1)
                + " "
                + row.getString(2)
                + "."
                + row.getString(3)
                + " v"
                + row.getInt(4),
            row.getLong(5) + " events, " + row.getLong(6) + " bytes");
      }
    }
    return rows;
  }

  private Map<String, String> fields() throws SQLException {
    Map<String, String> rows = new TreeMap<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT feature, action, field, left_events, withheld_events"
                    + " FROM egress_ledger_fields")) {
      while (row.next()) {
        rows.put(
            row.getString(1) + "." + row.getString(2) + " " + row.getString(3),
            row.getLong(4) + " left, " + row.getLong(5) + " withheld");
      }
    }
    return rows;
  }
}
