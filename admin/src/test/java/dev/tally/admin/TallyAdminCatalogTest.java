package dev.tally.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.CatalogSource;
import dev.tally.catalog.Policy;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.json.Json;
import dev.tally.privacy.PrivacySettings;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code tally-admin catalog diff | apply | release} against a real PostgreSQL. */
@ExtendWith(PostgresExtension.class)
class TallyAdminCatalogTest {
  private static final String V1 =
      """
      # Hold what is not planned; chat.sent is proposed.
      policy:
        unplannedEvents: hold
      events:
        - feature: chat
          action: sent
          status: proposed
      """;

  private static final String V2 =
      """
      policy:
        unplannedEvents: hold
      events:
        - feature: chat
          action: sent
          status: approved
          owner: chat-team
          privateMetadata:
            model: {export: true, justification: which models are used}
      """;

  private final TestDatabase db;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  @TempDir Path files;

  TallyAdminCatalogTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, held_events,"
            + " event_catalog_versions, feature_flags CASCADE;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    return TallyAdmin.run(
        List.of(args),
        env,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String file(String name, String text) throws IOException {
    Path file = files.resolve(name);
    Files.writeString(file, text);
    return file.toString();
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** Events recorded while a catalog that holds every event is in force: held. */
  private List<Event> held(int times) {
    Redactor redactor =
        new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn());
    EventRecorder recorder =
        new EventRecorder(
            new EventBuilder(Clock.systemUTC(), "1.0.0"),
            new FeatureFlags(db.dataSource()),
            new TeeStore(db.dataSource(), redactor),
            RecordingLimits.DEFAULTS,
            PrivacySettings.DEFAULTS,
            CatalogSource.fixed(
                CatalogRules.of(
                    1,
                    new Catalog(
                        new Policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
                        List.of()),
                    redactor)));
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      events.addAll(
          recorder.record(
              List.of(
                  new EventInput(
                      "chat",
                      "sent",
                      null,
                      new EventInput.Client("VSCode.Cody", "1.0"),
                      new EventInput.Parameters(
                          1, Map.of(), Map.of("model", "m1", "prompt", "secret"), null, null),
                      null)),
              Actor.user(7),
              null,
              null));
    }
    assertEquals(times, db.queryLong("SELECT count(*) FROM held_events"));
    return events;
  }

  @Test
  void catalogApply_storesTheVersion_printsItsDiff_andReleasesTheHeldEvents() throws Exception {
    assertEquals(0, run("catalog", "apply", file("v1.yaml", V1)), err());
    assertTrue(out().startsWith("applied version 1 of the catalog\n"), out());
    held(3);

    assertEquals(0, run("catalog", "apply", file("v2.yaml", V2), "--days", "7"), err());

    assertTrue(out().startsWith("applied version 2 of the catalog\n"), out());
    assertTrue(
        out()
            .contains(
                "against version 1, replaying 3 stored event(s) of the last 7"
                    + " day(s): 3 newly exported, 0 newly held"),
        out());
    assertTrue(out().contains("chat.sent: status proposed -> approved"), out());
    assertTrue(out().contains("private key model: newly leaves with 3"), out());
    assertTrue(out().contains("released 3 held event(s) for export\n"), out());
    assertTrue(err().contains("\"message\":\"held events released\""), "the audit line: " + err());
    assertEquals(3, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(
        "tally-admin:" + System.getProperty("user.name"),
        db.queryString("SELECT applied_by FROM event_catalog_versions WHERE version = 2"));
    assertEquals(V2, db.queryString("SELECT source FROM event_catalog_versions WHERE version = 2"));
  }

  @Test
  void catalogApply_refusesAnInvalidFile_withItsProblemsOnStandardError() throws Exception {
    String invalid = file("bad.yaml", "events:\n  - feature: chat\n    status: sometimes\n");

    assertEquals(1, run("catalog", "apply", invalid));

    assertTrue(err().contains("the catalog cannot be applied:"), err());
    assertTrue(err().contains("  events[0].action: must be provided"), err());
    assertTrue(err().contains("  events[0].status: must be one of"), err());
    assertEquals("", out());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_catalog_versions"));
    assertEquals(1, run("catalog", "diff", invalid));
    assertEquals(1, run("catalog", "apply", files.resolve("missing.yaml").toString()));
    assertTrue(err().startsWith("cannot read "), err());
  }

  @Test
  void catalogDiff_printsThePreview_asTextOrJson_andStoresNothing() throws Exception {
    run("catalog", "apply", file("v1.yaml", V1));
    held(2);
    String v2 = file("v2.yaml", V2);

    assertEquals(0, run("catalog", "diff", v2), err());
    assertTrue(out().contains("2 newly exported"), out());
    assertTrue(out().contains("  chat.sent  (entry chat.sent)  newly exported 2\n"), out());

    assertEquals(0, run("catalog", "diff", v2, "--format", "json", "--days", "3"), err());
    Map<?, ?> json = (Map<?, ?>) Json.read(out());
    assertEquals(1, json.get("fromVersion"));
    assertEquals(3, json.get("days"));
    assertEquals(2, json.get("newlyExported"));
    assertEquals(1, db.queryLong("SELECT max(version) FROM event_catalog_versions"));
    assertEquals(2, db.queryLong("SELECT count(*) FROM held_events"));
  }

  @Test
  void catalogRelease_queuesWhatTheVersionInForceNoLongerHolds() throws Exception {
    run("catalog", "apply", file("v2.yaml", V2));
    assertEquals(0, run("catalog", "release"), err());
    assertEquals("released 0 held event(s) for export by version 1\n", out());

    held(2);
    assertEquals(0, run("catalog", "release"), err());

    assertEquals("released 2 held event(s) for export by version 1\n", out());
    assertEquals(2, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    assertEquals(2, db.queryLong("SELECT released FROM event_catalog_versions"));
  }

  @Test
  void catalog_wrongUsage_exitsWith2BeforeTouchingTheDatabase() throws Exception {
    String v1 = file("v1.yaml", V1);
    for (String[] args :
        List.of(
            new String[] {"catalog"},
            new String[] {"catalog", "push", v1},
            new String[] {"catalog", "diff"},
            new String[] {"catalog", "diff", v1, "--days", "0"},
            new String[] {"catalog", "diff", v1, "--days", "367"},
            new String[] {"catalog", "diff", v1, "--format", "xml"},
            new String[] {"catalog", "apply", v1, "--format", "json"},
            new String[] {"catalog", "apply", v1, v1},
            new String[] {"catalog", "release", "now"})) {
      assertEquals(2, run(args), String.join(" ", args));
      assertTrue(err().contains("usage: tally-admin [--verbose] catalog validate FILE"), err());
      assertTrue(err().contains(" | diff FILE [--days N] [--format text|json] | apply"), err());
    }
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_catalog_versions"));

    assertEquals(0, run("help", "catalog"));
    assertTrue(out().contains("diff FILE is the replay preview"), out());
    assertTrue(out().contains("validate FILE checks a catalog file"), out());
    assertFalse(out().contains("\t"), out());
  }
}
