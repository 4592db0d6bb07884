package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalogstore.LiveCatalog;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.json.Json;
import dev.tally.privacy.PrivacySettings;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitConfig;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The catalog's GraphQL fields through the real schema and engine, against a real PostgreSQL: who
 * may use them, an invalid file refused with its problems, and an apply that releases held events.
 */
@ExtendWith(PostgresExtension.class)
class CatalogFieldsTest {
  private static final String V1 =
      """
      # Hold what is not planned; chat.sent is proposed.
      policy:
        unplannedEvents: hold
      events:
        - feature: chat
          action: sent
          status: proposed
          owner: chat-team
      """;

  private static final String V2 =
      """
      # chat.sent approved, with the model it used exported.
      policy:
        unplannedEvents: hold
      events:
        - feature: chat
          action: sent
          status: approved
          owner: chat-team
          privateMetadata:
            model:
              export: true
              justification: which models are used
            prompt:
              export: false
      """;

  private static final String APPLY =
      """
      mutation Apply($document: String!) {
        telemetry {
          applyCatalog(document: $document, days: 7) {
            version released
            diff { fromVersion days eventsReplayed newlyExported newlyHeld entryChanges
                   policyChanges
                   events { feature action entry newlyExported newlyHeld sample
                            privateKeys { key newlyLeaving newlyWithheld } } }
          }
        }
      }
      """;

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T12:00:00Z"));
  private final LiveCatalog live;
  private final EventRecorder recorder;
  private final TelemetryGraphQl engine;

  CatalogFieldsTest(TestDatabase db) {
    this.db = db;
    Redactor redactor =
        new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn());
    FeatureFlags flags = new FeatureFlags(db.dataSource());
    // Read again only after a day: a version is in force at once only if the apply installs it.
    this.live = new LiveCatalog(db.dataSource(), redactor, clock, Duration.ofDays(1));
    this.recorder =
        new EventRecorder(
            new EventBuilder(clock, "1.0.0"),
            flags,
            new TeeStore(db.dataSource(), redactor),
            RecordingLimits.DEFAULTS,
            PrivacySettings.DEFAULTS,
            live);
    this.engine =
        new TelemetryGraphQl(
            recorder,
            AdminStores.of(db.dataSource(), flags, clock, live),
            new CallerLimits(RateLimitConfig.OFF, clock),
            OperationLimits.DEFAULTS);
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, held_events,"
            + " event_catalog_versions, event_usage_daily, event_usage_users,"
            + " event_usage_last_seen, feature_flags CASCADE;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  private static RequestContext admin() {
    return new RequestContext(
        Actor.user(42), true, null, null, Caller.user(42), PrivacySignals.NONE);
  }

  private static RequestContext user() {
    return new RequestContext(
        Actor.user(43), false, null, null, Caller.user(43), PrivacySignals.NONE);
  }

  private Map<String, Object> run(RequestContext context, String query, Map<String, Object> vars) {
    return engine.execute(new GraphQlRequest(query, null, vars), context).body();
  }

  private Map<String, Object> apply(String document) {
    return run(admin(), APPLY, Map.of("document", document));
  }

  @SuppressWarnings("unchecked")
  private static <T> T at(Object value, Object... path) {
    Object current = value;
    for (Object step : path) {
      current =
          step instanceof Integer i
              ? ((List<Object>) current).get(i)
              : ((Map<String, Object>) current).get((String) step);
    }
    return (T) current;
  }

  /** Events of chat.sent recorded through the recorder, by the catalog in force. */
  private List<Event> record(int times) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.addAll(
          recorder.record(
              List.of(
                  new EventInput(
                      "chat",
                      "sent",
                      clock.instant().minus(Duration.ofHours(1)),
                      new EventInput.Client("VSCode.Cody", "1.0"),
                      new EventInput.Parameters(
                          1,
                          Map.of("tokens", 3),
                          Map.of("model", "m1", "prompt", "secret"),
                          null,
                          null),
                      null)),
              Actor.user(7),
              null,
              null));
    }
    return events;
  }

  @Test
  void catalogFields_needASiteAdmin() {
    Map<String, Object> read = run(user(), "{ telemetry { catalog { version } } }", Map.of());
    Map<String, Object> change = run(user(), APPLY, Map.of("document", V1));

    assertEquals("FORBIDDEN", at(read, "errors", 0, "extensions", "code"), Json.write(read));
    assertEquals("FORBIDDEN", at(change, "errors", 0, "extensions", "code"), Json.write(change));
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_catalog_versions"));
  }

  @Test
  void applyCatalog_refusesAnInvalidFile_listingItsProblems_andStoresNothing() {
    Map<String, Object> answer =
        apply(
            """
            events:
              - feature: chat
                action: sent
                colour: blue
              - action: opened
                status: approved
            """);

    assertEquals("INVALID_CATALOG", at(answer, "errors", 0, "extensions", "code"));
    List<String> problems = at(answer, "errors", 0, "extensions", "problems");
    assertTrue(
        problems.stream().anyMatch(p -> p.startsWith("events[0].status: must be provided")),
        problems.toString());
    assertTrue(
        problems.stream().anyMatch(p -> p.startsWith("events[0]: has an unknown field 'colour'")),
        problems.toString());
    assertTrue(problems.contains("events[1].feature: must be provided"), problems.toString());
    String message = at(answer, "errors", 0, "message");
    assertTrue(message.contains("events[1].feature: must be provided"), message);
    assertNull(at(answer, "data", "telemetry"), Json.write(answer));
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_catalog_versions"));
  }

  @Test
  void applyCatalog_answersTheVersionItsDiffAndTheReleasedEvents() {
    assertEquals(0, live.current().version());
    assertEquals(1, (int) at(apply(V1), "data", "telemetry", "applyCatalog", "version"));
    List<Event> held = record(4);
    assertEquals(4, db.queryLong("SELECT count(*) FROM held_events"), "held at once by v1");
    clock.advance(Duration.ofMinutes(1));

    Map<String, Object> answer = apply(V2);

    Map<String, Object> applied = at(answer, "data", "telemetry", "applyCatalog");
    assertNull(answer.get("errors"), Json.write(answer));
    assertEquals(2, (int) applied.get("version"));
    assertEquals(4, (int) applied.get("released"));
    assertEquals(1, (int) at(applied, "diff", "fromVersion"));
    assertEquals(7, (int) at(applied, "diff", "days"));
    assertEquals(4, (int) at(applied, "diff", "eventsReplayed"));
    assertEquals(4, (int) at(applied, "diff", "newlyExported"));
    assertEquals(
        List.of(
            "chat.sent: status proposed -> approved",
            "chat.sent: private keys added model, prompt"),
        at(applied, "diff", "entryChanges"));
    assertEquals("chat.sent", at(applied, "diff", "events", 0, "entry"));
    assertEquals(
        List.of(Map.of("key", "model", "newlyLeaving", 4, "newlyWithheld", 0)),
        at(applied, "diff", "events", 0, "privateKeys"));
    List<String> sample = at(applied, "diff", "events", 0, "sample");
    assertEquals(3, sample.size());
    assertTrue(held.stream().map(Event::getId).toList().containsAll(sample), sample.toString());
    assertEquals(4, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM held_events"));
    assertEquals(2, live.current().version(), "this instance records by version 2 at once");
    record(1);
    assertEquals(5, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));

    Map<String, Object> catalog =
        at(
            run(
                admin(),
                """
                { telemetry { catalog {
                    version appliedAt appliedBy source
                    policy { unplannedEvents unplannedMetadataKeys unplannedPrivateKeys }
                    entries(days: 7) { feature action status owner metadataKeys events lastSeen
                                       privateKeys { key export justification } }
                    versions { version appliedBy released diff { fromVersion entryChanges } }
                } } }
                """,
                Map.of()),
            "data",
            "telemetry",
            "catalog");
    assertEquals(2, (int) catalog.get("version"));
    assertEquals("user:42", catalog.get("appliedBy"));
    assertEquals(V2, catalog.get("source"), "the file as applied, comments included");
    assertEquals("2026-03-10T12:01:00.000Z", catalog.get("appliedAt"));
    assertEquals(
        Map.of(
            "unplannedEvents", "hold",
            "unplannedMetadataKeys", "off",
            "unplannedPrivateKeys", "off"),
        catalog.get("policy"));
    Map<String, Object> entry = at(catalog, "entries", 0);
    assertEquals("approved", entry.get("status"));
    assertEquals("chat-team", entry.get("owner"));
    assertEquals(5, (int) entry.get("events"), "the usage rollups, brought up to date");
    assertEquals("2026-03-10", entry.get("lastSeen"));
    assertEquals(
        List.of(
            Map.of("key", "model", "export", true, "justification", "which models are used"),
            mapWithNull("prompt")),
        entry.get("privateKeys"));
    List<Map<String, Object>> versions = at(catalog, "versions");
    assertEquals(List.of(2, 1), versions.stream().map(v -> v.get("version")).toList());
    assertEquals(4, (int) at(catalog, "versions", 0, "released"));
    assertEquals(0, (int) at(catalog, "versions", 1, "diff", "fromVersion"));
  }

  private static Map<String, Object> mapWithNull(String key) {
    Map<String, Object> map = new java.util.LinkedHashMap<>();
    map.put("key", key);
    map.put("export", false);
    map.put("justification", null);
    return map;
  }

  @Test
  void diffAndValidate_checkAFileWithoutStoringIt() {
    apply(V1);
    record(2);

    Map<String, Object> answer =
        run(
            admin(),
            """
            query Check($document: String!, $bad: String!) { telemetry { catalog {
              diff(document: $document, days: 30) { fromVersion newlyExported
                                                   events { feature action newlyExported } }
              good: validate(document: $document) { valid problems entries }
              bad: validate(document: $bad) { valid problems entries }
            } } }
            """,
            Map.of("document", V2, "bad", "events: [{feature: chat}]"));

    Map<String, Object> catalog = at(answer, "data", "telemetry", "catalog");
    assertNull(answer.get("errors"), Json.write(answer));
    assertEquals(1, (int) at(catalog, "diff", "fromVersion"));
    assertEquals(2, (int) at(catalog, "diff", "newlyExported"));
    assertEquals(Map.of("valid", true, "problems", List.of(), "entries", 1), catalog.get("good"));
    assertEquals(false, at(catalog, "bad", "valid"));
    assertTrue(
        ((List<?>) at(catalog, "bad", "problems")).contains("events[0].action: must be provided"));
    assertEquals(1, db.queryLong("SELECT max(version) FROM event_catalog_versions"));
    assertEquals(2, db.queryLong("SELECT count(*) FROM held_events"));

    Map<String, Object> invalid =
        run(
            admin(),
            "query D($d: String!) { telemetry { catalog { diff(document: $d) { newlyHeld } } } }",
            Map.of("d", "events: 3"));
    assertEquals("INVALID_CATALOG", at(invalid, "errors", 0, "extensions", "code"));
  }
}
