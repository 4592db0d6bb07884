package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalogfile.CatalogFiles;
import dev.tally.catalogfile.DraftWriter;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The observed catalog through the real invoker, as CI would ask for it with an admin token: events
 * recorded over HTTP come back as observed events, judged by the instance's allowlist, and as a
 * draft catalog file.
 */
@ExtendWith(PostgresExtension.class)
class ObservedCatalogIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static RecordEventUnderTest recordEvent;

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    recordEvent =
        RecordEventUnderTest.start(
            db, 7, Map.of("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "editor::opened::languageId"));
    db.execute(
        "TRUNCATE event_logs, event_usage_daily, event_usage_users, event_usage_last_seen,"
            + " event_catalog_keys, event_catalog_outcomes, event_catalog_versions;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0");
  }

  @AfterAll
  static void stop() throws Exception {
    if (recordEvent != null) {
      recordEvent.close();
    }
  }

  private static Map<String, Object> event(
      String feature, String action, Map<String, Object> privateMetadata) {
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("version", 1);
    parameters.put("metadata", List.of(Map.of("key", "durationMs", "value", 7)));
    parameters.put("privateMetadata", privateMetadata);
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", "VSCode", "clientVersion", "1.90.0"));
    event.put("parameters", parameters);
    return event;
  }

  @Test
  void anAdministratorPullsTheObservedCatalog_andNoOneElseCan() throws Exception {
    JsonNode recorded =
        recordEvent.graphQl(
            recordEvent.userToken(),
            "mutation($events: [TelemetryEventInput!]!) {"
                + " telemetry { recordEvents(events: $events) { alwaysNil } } }",
            Map.of(
                "events",
                List.of(
                    event("editor", "opened", Map.of("languageId", "go", "path", "/home/me")),
                    event("editor", "opened", Map.of("languageId", "java")),
                    event("search", "submitted", null))));
    assertFalse(recorded.has("errors"), recorded.toString());
    String query =
        """
        { telemetry { catalog {
            observed(days: 7) { feature action events7d clients { name events }
              metadataKeys { name events } privateKeys { key events leaves }
              entry planned draftEntry }
            draft(days: 7) } } }
        """;

    JsonNode answer = recordEvent.graphQl(recordEvent.adminToken(), query, Map.of());

    assertFalse(answer.has("errors"), answer.toString());
    JsonNode observed = answer.at("/data/telemetry/catalog/observed");
    assertEquals(2, observed.size(), observed.toString());
    JsonNode editor = observed.get(0);
    assertEquals("editor", editor.get("feature").asText());
    assertEquals(2, editor.get("events7d").asInt());
    assertEquals(
        JSON.readTree(
            "[{\"key\":\"languageId\",\"events\":2,\"leaves\":true},"
                + "{\"key\":\"path\",\"events\":1,\"leaves\":false}]"),
        editor.get("privateKeys"));
    assertTrue(editor.get("entry").isNull());
    assertFalse(editor.get("planned").asBoolean());
    Catalog pasted = CatalogFiles.read("events:\n" + editor.get("draftEntry").asText());
    assertEquals(
        new CatalogEntry.PrivateKey(true, DraftWriter.JUSTIFICATION_PLACEHOLDER, null),
        pasted.entries().get(0).privateMetadata().get("languageId"));
    Catalog draft = CatalogFiles.read(answer.at("/data/telemetry/catalog/draft").asText());
    assertEquals(
        List.of("editor.opened", "search.submitted"),
        draft.entries().stream().map(CatalogEntry::name).toList());

    JsonNode refused = recordEvent.graphQl(recordEvent.userToken(), query, Map.of());

    assertTrue(refused.has("errors"), refused.toString());
    assertTrue(
        refused.get("errors").get(0).get("message").asText().contains("site-admin"),
        refused.toString());
    assertTrue(refused.at("/data/telemetry").isNull(), refused.toString());
  }
}
