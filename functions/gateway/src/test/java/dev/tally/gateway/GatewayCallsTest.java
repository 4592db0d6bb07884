package dev.tally.gateway;

import static dev.tally.gateway.GatewayServiceTest.event;
import static dev.tally.gateway.GatewayServiceTest.events;
import static dev.tally.gateway.GatewayServiceTest.licensedInstance;
import static dev.tally.gateway.GatewayServiceTest.managedService;
import static dev.tally.gateway.GatewayServiceTest.metadata;
import static dev.tally.gateway.GatewayServiceTest.metadataRequest;
import static dev.tally.gateway.GatewayServiceTest.nested;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventResponse;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The gateway's calls without a transport, publishing to in-memory fakes. */
class GatewayCallsTest {
  private static final InstanceTokens.Sender INSTANCE_1 =
      new InstanceTokens.Sender(InstanceTokens.Kind.INSTANCE, "instance-1");

  private final RecordingPublisher deadLetters = new RecordingPublisher(data -> false);

  private GatewayCalls calls(RecordingPublisher publisher) {
    return new GatewayCalls(new EventIngester(publisher, deadLetters, Duration.ofSeconds(30)));
  }

  @Test
  void recordEvents_startsPublishingEveryEventsMessageAtOnceAndAnswersEachWithItsOwnEvents() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false, data -> true);
    RecordEventsCall call = calls(publisher).recordEvents(INSTANCE_1);

    assertEquals(Optional.empty(), call.next(metadataRequest("instance-1")));
    CompletableFuture<RecordEventsResponse> first =
        call.next(events(event("a", "one.feature"), event("b", "one.feature"))).orElseThrow();
    CompletableFuture<RecordEventsResponse> second =
        call.next(events(event("c", "two.feature"))).orElseThrow();
    CompletableFuture<RecordEventsResponse> third =
        call.next(events(event("d", "three.feature"))).orElseThrow();

    assertEquals(4, publisher.held(), "every events message is handed to Pub/Sub at once");
    assertFalse(first.isDone(), "answered only once Pub/Sub accepted its events");
    publisher.release(); // the last publish first

    assertEquals(List.of("a", "b"), first.join().getSucceededEventsList());
    assertEquals(List.of("c"), second.join().getSucceededEventsList());
    assertEquals(List.of("d"), third.join().getSucceededEventsList());
  }

  static Stream<Arguments> brokenCalls() {
    RecordEventsRequest noIdentifier =
        RecordEventsRequest.newBuilder()
            .setMetadata(RecordEventsRequestMetadata.newBuilder().setRequestId("r"))
            .build();
    return Stream.of(
        Arguments.of(
            List.of(metadataRequest("instance-1"), metadataRequest("instance-1")),
            Status.INVALID_ARGUMENT.withDescription("received metadata more than once")),
        Arguments.of(
            List.of(events(event("a", "ok.feature"))),
            Status.INVALID_ARGUMENT.withDescription("got events when metadata not yet received")),
        Arguments.of(
            List.of(metadataRequest("instance-1"), RecordEventsRequest.getDefaultInstance()),
            Status.INVALID_ARGUMENT.withDescription("a request must carry metadata or events")),
        Arguments.of(
            List.of(noIdentifier),
            Status.UNIMPLEMENTED.withDescription("unsupported or missing identifier kind")),
        Arguments.of(
            List.of(metadataRequest("")),
            Status.INVALID_ARGUMENT.withDescription("instance requires 'instance_id'")),
        Arguments.of(
            List.of(managedService("")),
            Status.INVALID_ARGUMENT.withDescription("managed service requires 'service_id'")),
        Arguments.of(
            List.of(metadataRequest("instance-2")),
            Status.PERMISSION_DENIED.withDescription(
                "the token does not belong to instance 'instance-2'")),
        Arguments.of(
            List.of(managedService("instance-1")),
            Status.PERMISSION_DENIED.withDescription(
                "the token does not belong to service 'instance-1'")),
        Arguments.of(
            List.of(licensedInstance("instance-1", "any-key")),
            Status.PERMISSION_DENIED.withDescription(
                "the token of instance 'instance-1' may publish only as an unlicensed instance"
                    + " (the gateway cannot check a license key): to publish as a licensed"
                    + " instance, the gateway's operator lists the token as"
                    + " licensed-instance:instance-1=<the token's SHA-256> in"
                    + " TELEMETRY_GATEWAY_INSTANCE_TOKENS")));
  }

  @ParameterizedTest
  @MethodSource("brokenCalls")
  void recordEvents_aMessageThatBreaksTheRulesEndsTheCallWithItsStatus(
      List<RecordEventsRequest> requests, Status expected) {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    RecordEventsCall call = calls(publisher).recordEvents(INSTANCE_1);
    for (RecordEventsRequest accepted : requests.subList(0, requests.size() - 1)) {
      call.next(accepted);
    }

    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class, () -> call.next(requests.get(requests.size() - 1)));

    assertEquals(expected.toString(), refused.getStatus().toString());
    assertThrows(
        IllegalStateException.class,
        () -> call.next(events(event("late", "ok.feature"))),
        "an ended call takes no more messages");
    assertEquals(0, publisher.published.size());
  }

  @Test
  void recordEvent_answersOnceTheEventIsPublished() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);

    RecordEventResponse response =
        calls(publisher).recordEvent(INSTANCE_1, unary(event("a", "ok.feature"))).join();

    assertEquals(RecordEventResponse.getDefaultInstance(), response);
    assertEquals(1, publisher.published.size());
  }

  @Test
  void recordEvent_saysWhyTheEventWasNotRecorded() {
    RecordingPublisher publisher = new RecordingPublisher(data -> data.contains("\"fail."));
    GatewayCalls calls = calls(publisher);

    Status failed = failure(calls.recordEvent(INSTANCE_1, unary(event("a", "fail.feature"))));
    Status invalid =
        failure(
            calls.recordEvent(
                INSTANCE_1, unary(event("b", "ok.feature").toBuilder().clearTimestamp().build())));

    assertEquals(
        Status.UNAVAILABLE
            .withDescription("the event could not be published; send it again")
            .toString(),
        failed.toString());
    assertEquals(
        Status.INVALID_ARGUMENT
            .withDescription("the event is invalid: 'timestamp' must be set")
            .toString(),
        invalid.toString());
    assertEquals(1, deadLetters.published.size(), "the invalid event is dead-lettered");
  }

  @Test
  void recordEvent_publishesAsLicensedOnlyWithALicensedInstancesToken() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    GatewayCalls calls = calls(publisher);
    RecordEventRequest licensed =
        RecordEventRequest.newBuilder()
            .setMetadata(licensedInstance("instance-1", "any-key").getMetadata())
            .setEvent(event("a", "ok.feature"))
            .build();

    StatusRuntimeException unlicensedToken =
        assertThrows(StatusRuntimeException.class, () -> calls.recordEvent(INSTANCE_1, licensed));
    calls
        .recordEvent(
            new InstanceTokens.Sender(InstanceTokens.Kind.LICENSED_INSTANCE, "instance-1"),
            licensed)
        .join();

    assertEquals(Status.Code.PERMISSION_DENIED, unlicensedToken.getStatus().getCode());
    assertEquals(1, publisher.published.size());
    assertEquals(
        "licensed_instance", publisher.published.get(0).attributes().get("publisher.source"));
  }

  @Test
  void recordEvent_refusesARequestWithoutAnEventOrFromAnotherSender() {
    RecordingPublisher publisher = new RecordingPublisher(data -> false);
    GatewayCalls calls = calls(publisher);

    StatusRuntimeException noEvent =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                calls.recordEvent(
                    INSTANCE_1,
                    RecordEventRequest.newBuilder().setMetadata(metadata("instance-1")).build()));
    StatusRuntimeException otherSender =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                calls.recordEvent(
                    new InstanceTokens.Sender(InstanceTokens.Kind.INSTANCE, "instance-2"),
                    unary(event("a", "ok.feature"))));

    assertEquals(
        Status.INVALID_ARGUMENT.withDescription("'event' must be set").toString(),
        noEvent.getStatus().toString());
    assertEquals(Status.Code.PERMISSION_DENIED, otherSender.getStatus().getCode());
    assertEquals(0, publisher.published.size());
  }

  @Test
  void parse_readsAnEventNestedAsDeeplyAsAnInstanceCanSend() {
    Event deep = nested("deep", 32); // about 100 levels from the event: all an instance reads

    RecordEventsRequest parsed =
        GatewayCalls.parse(RecordEventsRequest.parser(), events(deep).toByteArray());

    assertEquals(deep, parsed.getEvents().getEvents(0));
  }

  @Test
  void parse_bytesThatAreNotTheMessageAreUnknownNamingTheProblem() {
    byte[] tooDeep = events(nested("too-deep", 70)).toByteArray(); // over 200 levels
    for (byte[] bytes :
        List.of(new byte[] {(byte) 0xff, 1, 2}, new byte[] {0x0a, 0x10, 1}, tooDeep)) {
      StatusRuntimeException refused =
          assertThrows(
              StatusRuntimeException.class,
              () -> GatewayCalls.parse(RecordEventsRequest.parser(), bytes));

      assertEquals(Status.Code.UNKNOWN, refused.getStatus().getCode());
      assertTrue(
          refused.getStatus().getDescription().startsWith("the request message cannot be read: "),
          refused.getStatus().toString());
    }
  }

  private static Status failure(CompletableFuture<?> response) {
    CompletionException failed = assertThrows(CompletionException.class, response::join);
    return ((StatusRuntimeException) failed.getCause()).getStatus();
  }

  private static RecordEventRequest unary(Event event) {
    return RecordEventRequest.newBuilder()
        .setMetadata(metadata("instance-1"))
        .setEvent(event)
        .build();
  }
}
