package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

  private static EventIngester.Result ingest(EventIngester ingester, Event... events) {
    return ingester.ingest(
        GatewayServiceTest.metadata("instance-1"),
        EventMessages.metadataJson(GatewayServiceTest.metadata("instance-1")),
        List.of(events));
  }

  @Test
  void ingest_deadLettersAnEventThatCannotBePrintedWithWhatIdentifiesIt() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    RecordingPublisher deadLetters = new RecordingPublisher(data -> false);
    EventIngester ingester = new EventIngester(publisher, deadLetters, Duration.ofSeconds(5));
    Event infinite =
        GatewayServiceTest.event("inf", "some.feature").toBuilder()
            .setParameters(
                EventParameters.newBuilder()
                    .setPrivateMetadata(
                        Struct.newBuilder()
                            .putFields(
                                "secret",
                                Value.newBuilder()
                                    .setNumberValue(Double.POSITIVE_INFINITY)
                                    .build())))
            .build();

    EventIngester.Result result =
        ingest(ingester, GatewayServiceTest.event("ok", "some.feature"), infinite);

    assertEquals(List.of("ok", "inf"), result.succeeded());
    assertEquals(1, result.published());
    assertEquals(1, result.rejected());
    RecordingPublisher.Published dead = deadLetters.published.get(0);
    assertTrue(dead.data().contains("\"id\":\"inf\""), dead.data());
    assertFalse(dead.data().contains("secret"), "only what prints and identifies the event");
    assertTrue(
        dead.attributes().get("deadLetter.reason").startsWith("event cannot be printed as JSON"));
    assertEquals("some.feature", dead.attributes().get("event.feature"));
  }

  @Test
  void ingest_publishesAnEventWithOneHundredFiftyFlagsWithinTheAttributeLimits() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    EventIngester ingester = new EventIngester(publisher, null, Duration.ofSeconds(5));
    EventParameters.Builder parameters = EventParameters.newBuilder();
    for (int i = 0; i < 150; i++) {
      parameters.putMetadata("recordsPrivateMetadataKey" + i, 1);
    }
    Event flagged =
        GatewayServiceTest.event("flags", "some.feature").toBuilder()
            .setParameters(parameters)
            .build();

    EventIngester.Result result = ingest(ingester, flagged);

    assertEquals(List.of("flags"), result.succeeded());
    assertEquals(1, result.published());
    Map<String, String> attributes = publisher.published.get(0).attributes();
    assertEquals(100, attributes.size());
    assertEquals("55", attributes.get(EventMessages.OMITTED_ATTRIBUTES));
    assertTrue(
        publisher.published.get(0).data().contains("recordsPrivateMetadataKey149"),
        "the data keeps everything");
  }

  @Test
  void ingest_aPublisherThatThrowsLeavesOnlyThatEventUnacknowledged() {
    EventPublisher throwing =
        (data, attributes) -> {
          if (new String(data, java.nio.charset.StandardCharsets.UTF_8).contains("\"boom\"")) {
            throw new IllegalStateException("publisher is shut down");
          }
          return java.util.concurrent.CompletableFuture.completedFuture("m");
        };
    EventIngester ingester = new EventIngester(throwing, null, Duration.ofSeconds(5));

    EventIngester.Result result =
        ingest(
            ingester,
            GatewayServiceTest.event("a", "some.feature"),
            GatewayServiceTest.event("boom", "some.feature"),
            GatewayServiceTest.event("c", "some.feature"));

    assertEquals(List.of("a", "c"), result.succeeded(), "the sender retries 'boom'");
    assertEquals(1, result.failed());
  }
}
