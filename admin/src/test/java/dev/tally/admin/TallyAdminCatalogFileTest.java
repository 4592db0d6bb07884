package dev.tally.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.Status;
import dev.tally.catalogfile.CatalogFiles;
import dev.tally.catalogfile.DraftWriter;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.json.Json;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code tally-admin catalog validate} (offline) and {@code catalog pull} (the database). */
@ExtendWith(PostgresExtension.class)
class TallyAdminCatalogFileTest {
  private static final String VALID =
      """
      policy: {unplannedEvents: shadow}
      events:
        - feature: search
          action: submitted
          status: approved
          owner: team-search
          metadata:
            intent: {enum: {fallback: 0, chat: 1, edit: 2}}
      """;

  private final TestDatabase db;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  @TempDir Path dir;

  TallyAdminCatalogFileTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, event_usage_daily, event_usage_users, event_usage_last_seen,"
            + " event_catalog_keys, event_catalog_outcomes, event_catalog_versions"
            + " RESTART IDENTITY; UPDATE event_usage_rollup_state SET rolled_up_to = 0");
  }

  private int run(Map<String, String> env, String... args) {
    return TallyAdmin.run(
        List.of(args),
        env,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** Offline: no database in the environment. */
  private int offline(String... args) {
    return run(Map.of(), args);
  }

  private int withDatabase(String... args) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    env.put("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "editor::opened::languageId");
    return run(env, args);
  }

  private String file(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file.toString();
  }

  @Test
  void validate_acceptsAValidFileWithoutADatabase() throws Exception {
    String file = file("catalog.yaml", VALID);

    assertEquals(0, offline("catalog", "validate", file), err.toString());

    assertEquals(file + ": valid, 1 entry\n", out.toString());
    assertEquals("", err.toString());
  }

  @Test
  void validate_printsEachProblemOnItsOwnLine_andExitsWithOne() throws Exception {
    String file =
        file(
            "catalog.yaml",
            VALID.replace("owner: team-search", "owner:")
                + """
                  - feature: Search
                    action: opened
                    status: proposed
                    privateMetadata:
                      query: {export: true}
                """);

    assertEquals(1, offline("catalog", "validate", file));

    assertEquals(
        List.of(
            "events[1].privateMetadata.query.justification: must be provided when export is"
                + " true: why the key may leave the instance",
            "events[0].owner: must be provided when the status is approved: who answers for these"
                + " events (a team or a person)",
            "events[1].feature: must be a lowercase letter, then letters, dashes and dots (2 to"
                + " 64 characters), got 'Search'"),
        err.toString().lines().toList());
    assertEquals("", out.toString());
  }

  @Test
  void validate_withThePreviousVersions_refusesACodeGivenToAnotherName() throws Exception {
    String first = file("v1.yaml", VALID);
    String second = file("v2.yaml", VALID.replace("chat: 1, edit: 2", "edit: 2"));
    String candidate = file("v3.yaml", VALID.replace("chat: 1, edit: 2", "edit: 2, search: 1"));

    assertEquals(0, offline("catalog", "validate", candidate), err.toString());
    out.reset();
    assertEquals(1, offline("catalog", "validate", candidate, "--previous", first, second));

    assertEquals(
        List.of(
            "events[0].metadata.intent.enum.search: code 1 was given to 'chat' in an applied"
                + " version: a code is never given to another name, even once its name is removed"
                + " (give 'search' a new code)"),
        err.toString().lines().toList());
    err.reset();
    assertEquals(
        0,
        offline("catalog", "validate", second, "--previous", first, "--previous", second),
        err.toString());
    assertEquals(second + ": valid, 1 entry, against 2 previous version(s)\n", out.toString());
  }

  @Test
  void validate_wrongUsage_exitsWithTwo() throws Exception {
    String valid = file("catalog.yaml", VALID);
    String broken = file("broken.yaml", "events: [");
    for (List<String> args :
        List.of(
            List.of("catalog"),
            List.of("catalog", "frob"),
            List.of("catalog", "validate"),
            List.of("catalog", "validate", valid, valid),
            List.of("catalog", "validate", valid, "--strict"),
            List.of("catalog", "validate", valid, "--previous"),
            List.of("catalog", "validate", dir.resolve("missing.yaml").toString()),
            List.of("catalog", "validate", valid, "--previous", broken))) {
      err.reset();

      assertEquals(2, offline(args.toArray(String[]::new)), args.toString());

      assertTrue(!err.toString().isBlank(), args.toString());
    }
    assertEquals("", out.toString());
    err.reset();
    offline("catalog", "validate", valid, "--previous", broken);
    assertTrue(
        err.toString()
            .startsWith(broken + " (--previous): the document is not YAML or JSON (line 1)"),
        err.toString());
  }

  @Test
  void help_saysWhatValidateAndPullDo() {
    assertEquals(0, offline("help", "catalog"));

    String help = out.toString();
    assertTrue(
        help.startsWith(
            "usage: tally-admin [--verbose] catalog validate FILE [--previous FILE...] | pull"
                + " [--days N] [--output FILE]"),
        help);
    assertTrue(help.contains("validate FILE checks a catalog file"), help);
    assertTrue(help.contains("pull writes the observed catalog as a draft file"), help);
    out.reset();
    assertEquals(0, offline("--help"));
    assertTrue(out.toString().contains("  catalog validate FILE"), out.toString());
  }

  private void record(String feature, String action, Map<String, Object> privateMetadata) {
    TeeStore store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
    EventBuilder builder = new EventBuilder(Clock.systemUTC(), "1.0.0");
    store.store(
        List.of(
            builder.build(
                EventInput.backend(
                    feature,
                    action,
                    new EventInput.Parameters(
                        1, Map.of("durationMs", 5), privateMetadata, null, null)),
                EventContext.of(Actor.user(3)))),
        false);
  }

  @Test
  void pull_writesTheCatalogInForceThenEachEventNoEntryMatches() throws Exception {
    db.execute(
        "INSERT INTO event_catalog_versions (version, applied_at, applied_by, document, source,"
            + " diff) VALUES (4, now(), 'test', '"
            + Json.write(CatalogFiles.read(VALID).toJson())
            + "', 'source', '{}')");
    record("search", "submitted", null);
    record("editor", "opened", Map.of("languageId", "go", "path", "/home/me"));
    String output = dir.resolve("draft.yaml").toString();

    assertEquals(
        0, withDatabase("catalog", "pull", "--days", "7", "--output", output), err.toString());

    assertEquals(
        "wrote "
            + output
            + ": 1 entry in force (version 4), 1 proposed from the events of the last 7 days\n",
        out.toString());
    String draft = Files.readString(Path.of(output));
    Catalog read = CatalogFiles.read(draft);
    assertEquals(CatalogFiles.read(VALID).entries().get(0), read.entries().get(0));
    assertEquals(
        new CatalogEntry(
            "editor",
            "opened",
            Status.PROPOSED,
            null,
            null,
            null,
            Map.of("durationMs", new CatalogEntry.MetadataKey(null, Map.of())),
            // languageId leaves by the allowlist of the environment: to be justified.
            Map.of(
                "languageId",
                new CatalogEntry.PrivateKey(true, DraftWriter.JUSTIFICATION_PLACEHOLDER, null),
                "path",
                new CatalogEntry.PrivateKey(false, null, null)),
            null),
        read.entries().get(1));
    assertTrue(draft.contains("made by tally-admin catalog pull"), draft);
  }

  @Test
  void pull_writesToStandardOutputWhenNoFileIsNamed() {
    record("search", "submitted", null);

    assertEquals(0, withDatabase("catalog", "pull"), err.toString());

    Catalog read = CatalogFiles.read(out.toString());
    assertEquals(
        List.of("search.submitted"), read.entries().stream().map(CatalogEntry::name).toList());
    assertEquals(List.of(), CatalogFiles.check(out.toString(), List.of()).problems());
  }

  @Test
  void pull_wrongUsage_exitsWithTwoBeforeTheDatabase() {
    for (List<String> args :
        List.of(
            List.of("catalog", "pull", "--days", "0"),
            List.of("catalog", "pull", "--days", "367"),
            List.of("catalog", "pull", "--days", "many"),
            List.of("catalog", "pull", "--days"),
            List.of("catalog", "pull", "--output"),
            List.of("catalog", "pull", "draft.yaml"))) {
      err.reset();

      assertEquals(2, offline(args.toArray(String[]::new)), args.toString());

      assertTrue(err.toString().contains("usage: tally-admin"), err.toString());
    }
    err.reset();
    assertEquals(2, offline("catalog", "pull"));
    assertTrue(err.toString().contains("DATABASE_URL"), err.toString());
  }
}
