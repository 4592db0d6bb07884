package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventIngesterTest {

  @Test
  void ingest_sendsAnEventTooLargeForPubSubToTheDeadLetterTopic() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    RecordingPublisher deadLetters = new RecordingPublisher(data -> false);
    EventIngester ingester = new EventIngester(publisher, deadLetters, Duration.ofSeconds(5));
    Event huge =
        GatewayServiceTest.event("big", "huge.event").toBuilder()
            .setParameters(
                EventParameters.newBuilder()
                    .setPrivateMetadata(
                        Struct.newBuilder()
                            .putFields(
                                "blob",
                                Value.newBuilder().setStringValue("x".repeat(10_500_000)).build())))
            .build();
    Event small = GatewayServiceTest.event("small", "small.event");

    EventIngester.Result result =
        ingester.ingest(
            GatewayServiceTest.metadata("instance-1"),
            EventMessages.metadataJson(GatewayServiceTest.metadata("instance-1")),
            List.of(huge, small));

    assertEquals(List.of("big", "small"), result.succeeded());
    assertEquals(1, result.published());
    assertEquals(1, result.rejected());
    assertEquals(1, deadLetters.published.size());
    RecordingPublisher.Published dead = deadLetters.published.get(0);
    assertTrue(dead.attributes().get("deadLetter.reason").contains("too large for Pub/Sub"));
    assertTrue(dead.data().length() < 10_000, "only what identifies the event is dead-lettered");
    assertTrue(dead.data().contains("\"id\":\"big\""));
  }

  @Test
  void ingest_withoutADeadLetterTopicDropsInvalidEventsButAcknowledgesThem() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    EventIngester ingester = new EventIngester(publisher, null, Duration.ofSeconds(5));

    EventIngester.Result result =
        ingester.ingest(
            GatewayServiceTest.metadata("instance-1"),
            EventMessages.metadataJson(GatewayServiceTest.metadata("instance-1")),
            List.of(GatewayServiceTest.event("bad", "Bad")));

    assertEquals(List.of("bad"), result.succeeded());
    assertEquals(0, publisher.published.size());
    assertEquals("success", result.outcome());
  }
}
