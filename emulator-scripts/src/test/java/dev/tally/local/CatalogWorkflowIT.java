package dev.tally.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.catalogstore.LiveCatalog;
import dev.tally.local.StackScripts.Result;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event catalog's workflow on a fresh local stack, as a new user follows it in the README:
 * record events of a few names, {@code catalog pull} drafts them, edit, {@code validate}, {@code
 * diff}, apply with unplanned events in {@code shadow} and then {@code hold}, see the counters, the
 * inbox and a held event in the console, then approve the held entry and watch its held events
 * reach Pub/Sub while an opted-out user's stay local.
 */
class CatalogWorkflowIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path localDir;
  @TempDir static Path work;

  private static StackScripts scripts;
  private static StackUser user;

  @BeforeAll
  static void start() throws Exception {
    scripts = new StackScripts(localDir);
    // The launcher builds tally-admin when its sources are newer than its last build: not while
    // the stack's functions run from the same jars.
    Result help =
        StackScripts.run(
            new ProcessBuilder(StackScripts.ROOT.resolve("admin/tally-admin").toString(), "--help")
                .redirectErrorStream(true));
    assertEquals(0, help.exitCode(), help.output());
    Result started = scripts.script("run-local.sh", "--detach", "--no-build");
    assertEquals(0, started.exitCode(), started.output());
    user = new StackUser(scripts, EnvFile.read(scripts.envFile()));
  }

  @AfterAll
  static void stop() throws Exception {
    Result stopped = scripts.script("stop-local.sh");
    assertEquals(0, stopped.exitCode(), stopped.output());
  }

  @Test
  void pullEditValidateDiffShadowHoldApprove_releasesHeldEventsButNotAnOptedOutUsers()
      throws Exception {
    // 1. Events of two names leave as they do without a catalog.
    String firstSearch = user.record(user.get("ACCESS_TOKEN"), search());
    user.record(user.get("ACCESS_TOKEN"), docs());
    user.awaitPublished(firstSearch);

    // 2. catalog pull drafts every name seen, with the keys seen, as proposed entries.
    Path draft = work.resolve("draft.yaml");
    Result pulled = user.admin("catalog pull --output " + draft);
    assertEquals(0, pulled.exitCode(), pulled.output());
    String drafted = Files.readString(draft);
    for (String expected :
        List.of(
            "feature: search.query",
            "action: submitted",
            "feature: docs.page",
            "action: viewed",
            "status: proposed",
            "resultCount",
            "language",
            "query")) {
      assertTrue(drafted.contains(expected), expected + " in the draft:\n" + drafted);
    }
    Result draftChecked = user.admin("catalog validate " + draft);
    assertEquals(0, draftChecked.exitCode(), draftChecked.output());

    // 3. An edit that exports a private key without saying why is refused offline.
    Path careless = write("careless.yaml", catalog("shadow", "proposed", "export: true"));
    Result refused = user.admin("catalog validate " + careless);
    assertEquals(1, refused.exitCode(), refused.output());
    assertTrue(refused.output().contains("justification"), refused.output());

    // 4. The reviewed file: search approved, its language exported with a justification, the
    // query withheld; docs.page only proposed; unplanned events counted (shadow).
    Path shadow =
        write(
            "shadow.yaml",
            catalog(
                "shadow",
                "proposed",
                "export: true\n        justification: the editor language, one of a fixed list"));
    Result validated = user.admin("catalog validate " + shadow);
    assertEquals(0, validated.exitCode(), validated.output());
    Result diff = user.admin("catalog diff " + shadow + " --format json");
    assertEquals(0, diff.exitCode(), diff.output());
    JsonNode preview = JSON.readTree(jsonPart(diff.output()));
    JsonNode searchDiff = eventDiff(preview, "search.query", "submitted");
    assertEquals(1, keyDiff(searchDiff, "language").path("newlyLeaving").asInt(), diff.output());
    assertEquals(0, preview.path("newlyHeld").asInt(), diff.output());
    Result applied = user.admin("catalog apply " + shadow);
    assertEquals(0, applied.exitCode(), applied.output());
    assertTrue(applied.output().contains("applied version 1 of the catalog"), applied.output());
    awaitEveryInstanceSwitched();

    // 5. From now on the language leaves, the query does not; docs.page still leaves, counted.
    String secondSearch = user.record(user.get("ACCESS_TOKEN"), search());
    String countedDocs = user.record(user.get("ACCESS_TOKEN"), docs());
    user.awaitPublished(secondSearch);
    JsonNode searchEvent = exported(secondSearch);
    assertEquals(
        "go", searchEvent.path("parameters").path("privateMetadata").path("language").asText());
    assertTrue(
        searchEvent.path("parameters").path("privateMetadata").path("query").isMissingNode());
    // Shadow: still queued (its copy on the topic was read by the watch above, which reads every
    // message it pulls), and counted as one the catalog would hold.
    assertEquals("docs.page", exported(countedDocs).path("feature").asText());
    String counted = user.console("/catalog/counters?days=7");
    assertTrue(counted.contains("Would hold 1 event; held 0 events."), counted);

    // 6. Hold: the preview says which stored events it would have kept; apply it.
    Path hold =
        write(
            "hold.yaml",
            catalog(
                "hold",
                "proposed",
                "export: true\n        justification: the editor language, one of a fixed list"));
    Result holdDiff = user.admin("catalog diff " + hold + " --format json");
    assertEquals(0, holdDiff.exitCode(), holdDiff.output());
    assertEquals(
        2,
        eventDiff(JSON.readTree(jsonPart(holdDiff.output())), "docs.page", "viewed")
            .path("newlyHeld")
            .asInt(),
        holdDiff.output());
    Result holding = user.admin("catalog apply " + hold);
    assertEquals(0, holding.exitCode(), holding.output());
    awaitEveryInstanceSwitched();

    // 7. A held event stays on the instance; an opted-out user's event is kept local as before.
    String optedOutToken = createToken(2);
    HttpResponse<String> optOut =
        user.post(
            optedOutToken,
            "{\"query\":\"mutation { telemetry { setExportOptOut(optOut: true) { alwaysNil } } }\"}");
    assertEquals(200, optOut.statusCode(), optOut.body());
    String held = user.record(user.get("ACCESS_TOKEN"), docs());
    String optedOut = user.record(optedOutToken, docs());
    assertEquals("unplanned", keptLocalReason(held));
    assertEquals("opt_out", keptLocalReason(optedOut));
    assertFalse(queued(held));
    String heldCounters = user.console("/catalog/counters?days=7");
    assertTrue(heldCounters.contains("Would hold 1 event; held 1 event."), heldCounters);
    String heldPage = user.console("/events/" + held);
    assertTrue(heldPage.contains("Held on this instance by the event catalog"), heldPage);
    String inbox = user.console("/catalog/inbox");
    assertTrue(inbox.contains("docs.page"), inbox);

    // 8. Approving docs.page releases the held event: it reaches Pub/Sub (watch-event.sh follows
    // it there); the opted-out user's stays local.
    Path approved =
        write(
            "approved.yaml",
            catalog(
                "hold",
                "approved",
                "export: true\n        justification: the editor language, one of a fixed list"));
    Result release = user.admin("catalog apply " + approved);
    assertEquals(0, release.exitCode(), release.output());
    assertTrue(release.output().contains("released 1"), release.output());
    user.awaitPublished(held);
    assertNull(keptLocalReason(held));
    assertEquals("opt_out", keptLocalReason(optedOut));
    assertFalse(queued(optedOut));
  }

  /**
   * The bound the README gives for a version applied elsewhere (here by tally-admin) to reach
   * record-event: its next request after {@link LiveCatalog#REFRESH_INTERVAL} reads it.
   */
  private static void awaitEveryInstanceSwitched() throws InterruptedException {
    Thread.sleep(LiveCatalog.REFRESH_INTERVAL.plusMillis(500).toMillis());
  }

  /** A catalog file for the two names, as the user edits it. */
  private static String catalog(String unplannedEvents, String docsStatus, String languageExport) {
    return """
        # yaml-language-server: $schema=../catalog/src/main/resources/dev/tally/catalogfile/catalog.schema.json
        policy:
          unplannedEvents: %s
          unplannedMetadataKeys: off
          unplannedPrivateKeys: drop
        events:
          - feature: search.query
            action: submitted
            status: approved
            owner: search-team
            description: A search was run.
            metadata:
              resultCount: {description: results shown}
            privateMetadata:
              language:
                %s
              query:
                export: false
          - feature: docs.page
            action: viewed
            status: %s
            owner: docs-team
            metadata:
              scrollDepth: {}
        """
        .formatted(unplannedEvents, languageExport, docsStatus);
  }

  private static String search() {
    return "{feature: \\\"search.query\\\", action: \\\"submitted\\\", source: {client: \\\"it\\\"},"
        + " parameters: {version: 0, metadata: [{key: \\\"resultCount\\\", value: 3}],"
        + " privateMetadata: {language: \\\"go\\\", query: \\\"secret plans\\\"}}}";
  }

  private static String docs() {
    return "{feature: \\\"docs.page\\\", action: \\\"viewed\\\", source: {client: \\\"it\\\"},"
        + " parameters: {version: 0, metadata: [{key: \\\"scrollDepth\\\", value: 1}]}}";
  }

  /** What export sent of a stored event (the queued copy), as the console shows it. */
  private static JsonNode exported(String eventId) throws Exception {
    JsonNode event =
        user.graphQl("{ telemetry { recordedEvent(id: \"" + eventId + "\") { exported } } }")
            .path("data")
            .path("telemetry")
            .path("recordedEvent")
            .path("exported");
    assertFalse(event.isMissingNode() || event.isNull(), "event " + eventId + " was queued");
    return event;
  }

  private static JsonNode eventDiff(JsonNode preview, String feature, String action) {
    for (JsonNode event : preview.path("events")) {
      if (event.path("feature").asText().equals(feature)
          && event.path("action").asText().equals(action)) {
        return event;
      }
    }
    throw new AssertionError(feature + "." + action + " not in the preview: " + preview);
  }

  private static JsonNode keyDiff(JsonNode eventDiff, String key) {
    for (JsonNode k : eventDiff.path("privateKeys")) {
      if (k.path("key").asText().equals(key)) {
        return k;
      }
    }
    throw new AssertionError(key + " not in " + eventDiff);
  }

  /** The JSON document a command printed (its first '{' to its last '}'). */
  private static String jsonPart(String output) {
    return output.substring(output.indexOf('{'), output.lastIndexOf('}') + 1);
  }

  private static String keptLocalReason(String eventId) throws Exception {
    try (Connection db = user.database();
        PreparedStatement query =
            db.prepareStatement(
                "SELECT kept_local_reason FROM event_logs WHERE event_id = ?::uuid")) {
      query.setString(1, eventId);
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        return row.getString(1);
      }
    }
  }

  private static boolean queued(String eventId) throws Exception {
    try (Connection db = user.database();
        PreparedStatement query =
            db.prepareStatement("SELECT 1 FROM telemetry_events_export_queue WHERE id = ?::uuid")) {
      query.setString(1, eventId);
      try (ResultSet row = query.executeQuery()) {
        return row.next();
      }
    }
  }

  private static String createToken(long userId) throws Exception {
    Result created = user.admin("create-token " + userId);
    assertEquals(0, created.exitCode(), created.output());
    return created
        .output()
        .lines()
        .filter(line -> line.startsWith("tly_"))
        .findFirst()
        .orElseThrow();
  }

  private static Path write(String name, String text) throws IOException {
    return Files.writeString(work.resolve(name), text);
  }
}
