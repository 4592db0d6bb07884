package dev.tally.gatewayfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.tally.grpcweb.GrpcWebClient;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PubSubEmulator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** When Pub/Sub does not accept events, the gateway acknowledges none of them. */
class GatewayPublishFailureIT {
  private static PubSubEmulator emulator;
  private static FunctionProcess function;

  @BeforeAll
  static void start() throws Exception {
    emulator = PubSubEmulator.start();
    emulator.createTopic("events");
    function =
        FunctionProcess.start(
            "gateway",
            "dev.tally.gatewayfn.GatewayFunction",
            Map.of(
                "PUBSUB_PROJECT_ID",
                PubSubEmulator.PROJECT,
                "PUBSUB_EMULATOR_HOST",
                emulator.hostPort(),
                "TELEMETRY_GATEWAY_TOPIC",
                "events",
                "TELEMETRY_GATEWAY_PUBLISH_TIMEOUT",
                "2s",
                "TELEMETRY_GATEWAY_INSTANCE_TOKENS",
                GatewayIT.TOKENS));
  }

  @AfterAll
  static void stop() throws Exception {
    function.close();
    emulator.close();
  }

  @Test
  void publishingFailures_leaveEventsUnacknowledged() throws Exception {
    GrpcWebClient client = new GrpcWebClient(Duration.ofSeconds(5));
    Event warmUp = event();
    GrpcWebClient.Result before =
        client.call(
            function.uri("/"),
            GatewayIT.RECORD_EVENTS,
            GatewayIT.stream(GatewayIT.metadata(GatewayIT.INSTANCE), List.of(warmUp)),
            Map.of("Authorization", "Bearer " + GatewayIT.TOKEN),
            false,
            Duration.ofSeconds(30));
    assertEquals(
        List.of(warmUp.getId()),
        RecordEventsResponse.parseFrom(before.messages().get(0)).getSucceededEventsList());

    emulator.stop();
    long start = System.nanoTime();
    GrpcWebClient.Result after =
        client.call(
            function.uri("/"),
            GatewayIT.RECORD_EVENTS,
            GatewayIT.stream(GatewayIT.metadata(GatewayIT.INSTANCE), List.of(event(), event())),
            Map.of("Authorization", "Bearer " + GatewayIT.TOKEN),
            false,
            Duration.ofSeconds(30));

    assertTrue(after.isOk(), after.grpcMessage());
    assertEquals(
        List.of(),
        RecordEventsResponse.parseFrom(after.messages().get(0)).getSucceededEventsList(),
        "no event is acknowledged that Pub/Sub did not accept");
    assertTrue(
        System.nanoTime() - start < Duration.ofSeconds(20).toNanos(),
        "the gateway answers within its publish timeout, it does not hang");
  }

  private static Event event() {
    return Event.newBuilder()
        .setId(UUID.randomUUID().toString())
        .setFeature("failure.check")
        .setAction("sent")
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000))
        .setParameters(EventParameters.getDefaultInstance())
        .build();
  }
}
