package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.gateway.InstanceTokens;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.PubSubEmulator;
import dev.tally.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Export over native gRPC, as a telemetry V2 instance that only speaks native gRPC does: the
 * gateway runs as {@code GatewayServer} from the gateway module's own jars in a process of its own
 * (as its container on Cloud Run runs it), the export function in the real invoker sends to it at a
 * {@code grpc://} address, and the events arrive on the Pub/Sub emulator.
 */
@ExtendWith(PostgresExtension.class)
class NativeGrpcExportIT {
  private static final String TOKEN = "native-export-token";
  private static final String INSTANCE = "instance-native";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestDatabase db;
  private static PubSubEmulator emulator;
  private static FunctionProcess server;
  private static FunctionProcess export;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    emulator = PubSubEmulator.start();
    emulator.createTopic("events");
    emulator.createSubscription("events-sub", "events");
    server =
        FunctionProcess.startMain(
            "gateway",
            "dev.tally.gatewayfn.GatewayServer",
            Map.of(
                "PUBSUB_PROJECT_ID",
                PubSubEmulator.PROJECT,
                "PUBSUB_EMULATOR_HOST",
                emulator.hostPort(),
                "TELEMETRY_GATEWAY_TOPIC",
                "events",
                "TELEMETRY_GATEWAY_INSTANCE_TOKENS",
                "instance:" + INSTANCE + "=" + InstanceTokens.sha256Hex(TOKEN)));
    export =
        FunctionProcess.start(
            "export",
            "dev.tally.exportfn.ExportFunction",
            Map.of(
                "DATABASE_URL",
                db.url(),
                "DATABASE_USER",
                db.user(),
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR",
                "grpc://127.0.0.1:" + server.port(),
                "TELEMETRY_GATEWAY_EXPORTER_TOKEN",
                TOKEN,
                "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID",
                INSTANCE));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable closeable : new AutoCloseable[] {export, server, emulator}) {
      if (closeable != null) {
        closeable.close();
      }
    }
  }

  @Test
  void recordedEvents_exportOverNativeGrpcAndArriveOnTheTopic() throws Exception {
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
    EventRecorder recorder =
        new EventRecorder(
            new EventBuilder(Clock.systemUTC(), "1.0.0"),
            new FeatureFlags(db.dataSource()),
            new TeeStore(
                db.dataSource(),
                new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())),
            RecordingLimits.DEFAULTS);
    List<EventInput> inputs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      inputs.add(
          EventInput.backend("native.export", "sent", EventInput.Parameters.of(1, Map.of("i", i))));
    }
    Set<String> recorded = new HashSet<>();
    for (Event event : recorder.record(inputs, Actor.user(3), null, null)) {
      recorded.add(event.getId());
    }

    HttpResponse<String> run =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(export.uri("/"))
                    .timeout(Duration.ofMinutes(2))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertEquals(200, run.statusCode(), run.body());
    assertEquals(300, JSON.readTree(run.body()).path("exported").asInt(), run.body());
    Set<String> published = new HashSet<>();
    for (PubSubEmulator.Message message :
        emulator.pull("events-sub", 300, Duration.ofSeconds(60))) {
      JsonNode data = JSON.readTree(message.data());
      published.add(data.path("event").path("id").asText());
      assertEquals("unlicensed_instance", message.attributes().get("publisher.source"));
    }
    assertEquals(recorded, published);
  }
}
