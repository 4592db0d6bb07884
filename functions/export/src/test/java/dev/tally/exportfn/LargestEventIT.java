package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.EventLimits;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.PubSubEmulator;
import dev.tally.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Everything record-event stores can be exported: the largest and deepest event that the highest
 * settings of the event bounds allow goes from record-event through the queue, export and the
 * gateway to Pub/Sub, and arrives whole. Each function runs in the real invoker, against a real
 * PostgreSQL and the Pub/Sub emulator.
 */
@ExtendWith(PostgresExtension.class)
class LargestEventIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static Pipeline pipeline;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    Map<String, String> recordEnv = new HashMap<>();
    // Private metadata leaves the instance whole only when everything is exported.
    recordEnv.put("TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA", "true");
    recordEnv.put("TELEMETRY_MAX_REQUEST_BYTES", String.valueOf(16 * 1024 * 1024));
    recordEnv.put(EventLimits.MAX_EVENT_BYTES, String.valueOf(EventLimits.EVENT_BYTES_CEILING));
    recordEnv.put(
        EventLimits.MAX_PRIVATE_METADATA_BYTES, String.valueOf(EventLimits.EVENT_BYTES_CEILING));
    recordEnv.put(EventLimits.MAX_KEY_BYTES, String.valueOf(EventLimits.KEY_BYTES_CEILING));
    recordEnv.put(
        EventLimits.MAX_PRIVATE_METADATA_DEPTH, String.valueOf(EventLimits.DEPTH_CEILING));
    pipeline = Pipeline.start(db.url(), db.user(), recordEnv);
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  /**
   * Private metadata {@code depth} objects deep, the outermost included, with {@code text} at the
   * bottom.
   */
  private static Map<String, Object> nested(int depth, String text) {
    Map<String, Object> inner = new LinkedHashMap<>(Map.of("text", text));
    for (int level = depth; level > 1; level--) {
      inner = new LinkedHashMap<>(Map.of("level" + level, inner));
    }
    return inner;
  }

  @Test
  void theLargestAndDeepestEventTheBoundsAllow_isPublishedWhole() throws Exception {
    // 100 metadata keys of the longest length; all would become Pub/Sub attributes.
    List<Map<String, Object>> metadata = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String key = String.format("recordsPrivateMetadata%03d", i);
      metadata.add(
          Map.of(
              "key", key + "x".repeat(EventLimits.KEY_BYTES_CEILING - key.length()), "value", 1));
    }
    // Control characters: one byte each in protobuf, six in the JSON published to Pub/Sub.
    String text = "\u0001".repeat(EventLimits.EVENT_BYTES_CEILING - 30 * 1024);
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", "largest.event");
    event.put("action", "exported");
    event.put("source", Map.of("client", "limits-test"));
    event.put(
        "parameters",
        Map.of(
            "version",
            1,
            "metadata",
            metadata,
            "privateMetadata",
            nested(EventLimits.DEPTH_CEILING, text)));

    HttpResponse<String> recorded =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(pipeline.recordEvent().uri("/.api/graphql"))
                    .timeout(Duration.ofMinutes(1))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            JSON.writeValueAsString(
                                Map.of(
                                    "query",
                                    "mutation($e: TelemetryEventInput!) { telemetry {"
                                        + " recordEvent(event: $e) { alwaysNil } } }",
                                    "variables",
                                    Map.of("e", event)))))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, recorded.statusCode(), recorded.body());
    assertFalse(recorded.body().contains("errors"), recorded.body());
    long storedBytes =
        db.queryLong("SELECT octet_length(payload_pb) FROM telemetry_events_export_queue");
    assertTrue(
        storedBytes > EventLimits.EVENT_BYTES_CEILING - 8 * 1024, "near the bound: " + storedBytes);

    JsonNode run = pipeline.runExport();
    assertEquals(1, run.path("exported").asInt(), run.toString());

    List<PubSubEmulator.Message> published =
        pipeline.emulator().pull(Pipeline.SUBSCRIPTION, 1, Duration.ofSeconds(60));
    assertEquals(1, published.size());
    JsonNode exported = JSON.readTree(published.get(0).data()).path("event");
    assertEquals("largest.event", exported.path("feature").asText());
    JsonNode deepest = exported.path("parameters").path("privateMetadata");
    for (int level = 2; level <= EventLimits.DEPTH_CEILING; level++) {
      deepest = deepest.path("level" + level);
    }
    assertEquals(text, deepest.path("text").asText(), "the deepest value arrived whole");
    assertEquals(100, exported.path("parameters").path("metadata").size());
    assertTrue(published.get(0).data().length < 10_000_000, "within Pub/Sub's message size");
    Map<String, String> attributes = published.get(0).attributes();
    assertEquals(100, attributes.size(), "as many attributes as Pub/Sub allows, no more");
    assertEquals("5", attributes.get("event.omittedAttributes"), "95 of the 100 flags fit");
  }
}
