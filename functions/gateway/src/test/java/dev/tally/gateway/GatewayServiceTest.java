package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway service over real (in-process) gRPC, publishing to in-memory fakes. */
class GatewayServiceTest {
  private static final String TOKEN = "instance-token";
  private static final String SERVICE_TOKEN = "service-token";
  private static final String LICENSED_TOKEN = "licensed-instance-token";

  private final RecordingPublisher publisher =
      new RecordingPublisher(data -> data.contains("\"fail."));
  private final RecordingPublisher deadLetters = new RecordingPublisher(data -> false);
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = UUID.randomUUID().toString();
    server =
        InProcessServerBuilder.forName(name)
            .addService(
                ServerInterceptors.intercept(
                    new GatewayService(
                            new GatewayCalls(
                                new EventIngester(publisher, deadLetters, Duration.ofSeconds(5))))
                        .definition(),
                    new InstanceAuthInterceptor(
                        InstanceTokens.parse(
                            "instance-1="
                                + InstanceTokens.sha256Hex(TOKEN)
                                + ",service:cody-gateway="
                                + InstanceTokens.sha256Hex(SERVICE_TOKEN)
                                + ",licensed-instance:licensed-1="
                                + InstanceTokens.sha256Hex(LICENSED_TOKEN)))))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private TelemeteryGatewayServiceGrpc.TelemeteryGatewayServiceStub stub(String token) {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(InstanceAuthInterceptor.AUTHORIZATION, "Bearer " + token);
    }
    return TelemeteryGatewayServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  static RecordEventsRequestMetadata metadata(String instanceId) {
    return RecordEventsRequestMetadata.newBuilder()
        .setRequestId("req-1")
        .setIdentifier(
            Identifier.newBuilder()
                .setUnlicensedInstance(
                    Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId(instanceId)))
        .build();
  }

  static Event event(String id, String feature) {
    return Event.newBuilder()
        .setId(id)
        .setFeature(feature)
        .setAction("done")
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000))
        .setParameters(EventParameters.newBuilder().putLegacyMetadata("old", 3))
        .build();
  }

  static RecordEventsRequest events(Event... events) {
    return RecordEventsRequest.newBuilder()
        .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(List.of(events)))
        .build();
  }

  static RecordEventsRequest metadataRequest(String instanceId) {
    return RecordEventsRequest.newBuilder().setMetadata(metadata(instanceId)).build();
  }

  /** Sends the requests, half-closes, and returns the responses or the error status. */
  private Outcome stream(String token, RecordEventsRequest... requests) throws Exception {
    List<RecordEventsResponse> responses = new ArrayList<>();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    StreamObserver<RecordEventsRequest> out =
        stub(token)
            .recordEvents(
                new StreamObserver<>() {
                  @Override
                  public void onNext(RecordEventsResponse value) {
                    responses.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    closed.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    closed.complete(Status.OK);
                  }
                });
    for (RecordEventsRequest request : requests) {
      out.onNext(request);
    }
    out.onCompleted();
    return new Outcome(responses, closed.get(10, TimeUnit.SECONDS));
  }

  record Outcome(List<RecordEventsResponse> responses, Status status) {}

  @Test
  void recordEvents_acknowledgesPublishedEventsPerBatch() throws Exception {
    Outcome outcome =
        stream(
            TOKEN,
            metadataRequest("instance-1"),
            events(event("a", "one.feature"), event("b", "two.feature")),
            events(event("c", "three.feature")));

    assertEquals(Status.Code.OK, outcome.status().getCode());
    assertEquals(List.of("a", "b"), outcome.responses().get(0).getSucceededEventsList());
    assertEquals(List.of("c"), outcome.responses().get(1).getSucceededEventsList());
    assertEquals(3, publisher.published.size());
    assertTrue(
        publisher.published.get(0).data().contains("\"metadata\":{\"old\":3.0}"),
        "legacy metadata merged: " + publisher.published.get(0).data());
    assertTrue(!publisher.published.get(0).data().contains("legacyMetadata"));
  }

  @Test
  void recordEvents_leavesOutEventsWhosePublishFailed() throws Exception {
    Outcome outcome =
        stream(
            TOKEN,
            metadataRequest("instance-1"),
            events(event("a", "ok.feature"), event("b", "fail.feature"), event("c", "ok.feature")));

    assertEquals(List.of("a", "c"), outcome.responses().get(0).getSucceededEventsList());
  }

  @Test
  void recordEvents_deadLettersInvalidEventsAndAcknowledgesThem() throws Exception {
    Event noTimestamp = event("b", "ok.feature").toBuilder().clearTimestamp().build();
    Outcome outcome =
        stream(
            TOKEN,
            metadataRequest("instance-1"),
            events(event("a", "ok.feature"), noTimestamp, event("c", "Bad_Feature")));

    assertEquals(List.of("a", "b", "c"), outcome.responses().get(0).getSucceededEventsList());
    assertEquals(1, publisher.published.size());
    assertEquals(2, deadLetters.published.size());
    assertEquals(
        "'timestamp' must be set",
        deadLetters.published.get(0).attributes().get("deadLetter.reason"));
  }

  @Test
  void recordEvents_unprintableEventsBetweenValidOnesAffectOnlyThemselves() throws Exception {
    Event badTimestamp =
        event("bad-time", "ok.feature").toBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000).setNanos(-1))
            .build();
    Event notANumber =
        event("bad-nan", "ok.feature").toBuilder()
            .setParameters(
                EventParameters.newBuilder()
                    .setPrivateMetadata(
                        Struct.newBuilder()
                            .putFields(
                                "score", Value.newBuilder().setNumberValue(Double.NaN).build())))
            .build();

    Outcome outcome =
        stream(
            TOKEN,
            metadataRequest("instance-1"),
            events(event("good1", "ok.feature")),
            events(event("good2", "ok.feature"), badTimestamp),
            events(notANumber, event("good3", "ok.feature")));

    assertEquals(Status.Code.OK, outcome.status().getCode(), outcome.status().toString());
    assertEquals(List.of("good1"), outcome.responses().get(0).getSucceededEventsList());
    assertEquals(List.of("good2", "bad-time"), outcome.responses().get(1).getSucceededEventsList());
    assertEquals(List.of("bad-nan", "good3"), outcome.responses().get(2).getSucceededEventsList());
    assertEquals(
        List.of("good1", "good2", "good3"),
        publisher.published.stream().map(p -> idOf(p.data())).toList(),
        "each valid event published once");
    assertEquals(
        List.of("bad-time", "bad-nan"),
        deadLetters.published.stream().map(p -> idOf(p.data())).toList());
    assertTrue(
        deadLetters
            .published
            .get(0)
            .attributes()
            .get("deadLetter.reason")
            .startsWith("'timestamp' is not a valid time"),
        deadLetters.published.get(0).attributes().toString());
    assertTrue(
        deadLetters
            .published
            .get(1)
            .attributes()
            .get("deadLetter.reason")
            .startsWith("event cannot be printed as JSON"),
        deadLetters.published.get(1).attributes().toString());
  }

  /** An event whose private metadata nests {@code levels} Structs, 3 message levels each. */
  static Event nested(String id, int levels) {
    Value value = Value.newBuilder().setStringValue("bottom").build();
    for (int i = 0; i < levels; i++) {
      value =
          Value.newBuilder().setStructValue(Struct.newBuilder().putFields("next", value)).build();
    }
    return event(id, "ok.feature").toBuilder()
        .setParameters(
            EventParameters.newBuilder()
                .setPrivateMetadata(Struct.newBuilder().putFields("top", value)))
        .build();
  }

  @Test
  void recordEvents_anEventNestedAsDeeplyAsAnInstanceCanSendIsReadOnItsOwn() throws Exception {
    Event deep = nested("deep", 32); // about 100 levels from the event: all an instance reads
    assertEquals(deep, Event.parseFrom(deep.toByteArray()), "an instance's queue reads it");
    assertThrows(
        com.google.protobuf.InvalidProtocolBufferException.class,
        () -> RecordEventsRequest.parseFrom(events(event("x", "ok.feature"), deep).toByteArray()),
        "protobuf's default limit would refuse the whole frame");

    Outcome outcome =
        stream(
            TOKEN,
            metadataRequest("instance-1"),
            events(event("good1", "ok.feature"), deep, event("good2", "ok.feature")));

    assertEquals(Status.Code.OK, outcome.status().getCode(), outcome.status().toString());
    assertEquals(
        List.of("good1", "deep", "good2"), outcome.responses().get(0).getSucceededEventsList());
    assertEquals(3, publisher.published.size());
  }

  private static String idOf(String data) {
    int start = data.indexOf("\"event\":{\"id\":\"") + 15;
    return data.substring(start, data.indexOf('"', start));
  }

  @Test
  void recordEvents_streamRules() throws Exception {
    assertEquals(
        Status.INVALID_ARGUMENT.withDescription("received metadata more than once").toString(),
        stream(TOKEN, metadataRequest("instance-1"), metadataRequest("instance-1"))
            .status()
            .toString());
    assertEquals(
        Status.INVALID_ARGUMENT
            .withDescription("got events when metadata not yet received")
            .toString(),
        stream(TOKEN, events(event("a", "ok.feature"))).status().toString());
    assertEquals(
        Status.Code.UNIMPLEMENTED,
        stream(
                TOKEN,
                RecordEventsRequest.newBuilder()
                    .setMetadata(RecordEventsRequestMetadata.newBuilder().setRequestId("r"))
                    .build())
            .status()
            .getCode());
    assertEquals(
        Status.INVALID_ARGUMENT.withDescription("instance requires 'instance_id'").toString(),
        stream(TOKEN, metadataRequest("")).status().toString());
  }

  @Test
  void authentication_missingOrUnknownTokenIsUnauthenticated() throws Exception {
    assertEquals(
        Status.Code.UNAUTHENTICATED,
        stream(null, metadataRequest("instance-1")).status().getCode());
    assertEquals(
        Status.Code.UNAUTHENTICATED,
        stream("other-token", metadataRequest("instance-1")).status().getCode());
  }

  @Test
  void authentication_aTokenOnlySendsForItsOwnInstance() throws Exception {
    Outcome outcome =
        stream(TOKEN, metadataRequest("instance-2"), events(event("a", "ok.feature")));

    assertEquals(Status.Code.PERMISSION_DENIED, outcome.status().getCode());
    assertEquals(
        "the token does not belong to instance 'instance-2'", outcome.status().getDescription());
    assertEquals(0, publisher.published.size());
  }

  @Test
  void authentication_aTokenBindsTheKindOfSenderNotJustItsId() throws Exception {
    Outcome instanceAsService =
        stream(TOKEN, managedService("instance-1"), events(event("a", "ok.feature")));
    Outcome serviceAsInstance =
        stream(SERVICE_TOKEN, metadataRequest("cody-gateway"), events(event("b", "ok.feature")));
    Outcome serviceAsLicensed =
        stream(
            SERVICE_TOKEN,
            RecordEventsRequest.newBuilder()
                .setMetadata(
                    RecordEventsRequestMetadata.newBuilder()
                        .setRequestId("r")
                        .setIdentifier(
                            Identifier.newBuilder()
                                .setLicensedInstance(
                                    Identifier.LicensedInstanceIdentifier.newBuilder()
                                        .setInstanceId("cody-gateway")
                                        .setLicenseKey("any-key"))))
                .build(),
            events(event("c", "ok.feature")));
    Outcome service =
        stream(SERVICE_TOKEN, managedService("cody-gateway"), events(event("d", "ok.feature")));

    assertEquals(
        "the token does not belong to service 'instance-1'",
        instanceAsService.status().getDescription());
    assertEquals(Status.Code.PERMISSION_DENIED, instanceAsService.status().getCode());
    assertEquals(Status.Code.PERMISSION_DENIED, serviceAsInstance.status().getCode());
    assertEquals(Status.Code.PERMISSION_DENIED, serviceAsLicensed.status().getCode());
    assertEquals(Status.Code.OK, service.status().getCode());
    assertEquals(List.of("d"), service.responses().get(0).getSucceededEventsList());
    assertEquals(1, publisher.published.size(), "only the service's own event");
  }

  @Test
  void authentication_anUnlicensedInstancesTokenCannotPublishAsLicensed() throws Exception {
    Outcome outcome =
        stream(TOKEN, licensedInstance("instance-1", "any-key"), events(event("a", "ok.feature")));

    assertEquals(Status.Code.PERMISSION_DENIED, outcome.status().getCode());
    assertEquals(
        "the token of instance 'instance-1' may publish only as an unlicensed instance (the"
            + " gateway cannot check a license key): to publish as a licensed instance, the"
            + " gateway's operator lists the token as"
            + " licensed-instance:instance-1=<the token's SHA-256> in"
            + " TELEMETRY_GATEWAY_INSTANCE_TOKENS",
        outcome.status().getDescription());
    assertEquals(0, publisher.published.size(), "nothing published as licensed_instance");
  }

  @Test
  void authentication_aLicensedInstancesTokenPublishesAsLicensedOrUnlicensed() throws Exception {
    Outcome licensed =
        stream(
            LICENSED_TOKEN,
            licensedInstance("licensed-1", "the-key"),
            events(event("a", "ok.feature")));
    Outcome lapsed =
        stream(LICENSED_TOKEN, metadataRequest("licensed-1"), events(event("b", "ok.feature")));
    Outcome otherInstance =
        stream(
            LICENSED_TOKEN,
            licensedInstance("instance-1", "the-key"),
            events(event("c", "ok.feature")));

    assertEquals(Status.Code.OK, licensed.status().getCode());
    assertEquals(Status.Code.OK, lapsed.status().getCode());
    assertEquals(
        List.of("licensed_instance", "unlicensed_instance"),
        publisher.published.stream().map(p -> p.attributes().get("publisher.source")).toList());
    assertEquals(Status.Code.PERMISSION_DENIED, otherInstance.status().getCode());
    assertEquals(
        "the token does not belong to licensed instance 'instance-1'",
        otherInstance.status().getDescription());
  }

  static RecordEventsRequest licensedInstance(String instanceId, String licenseKey) {
    return RecordEventsRequest.newBuilder()
        .setMetadata(
            RecordEventsRequestMetadata.newBuilder()
                .setRequestId("r")
                .setIdentifier(
                    Identifier.newBuilder()
                        .setLicensedInstance(
                            Identifier.LicensedInstanceIdentifier.newBuilder()
                                .setInstanceId(instanceId)
                                .setLicenseKey(licenseKey))))
        .build();
  }

  static RecordEventsRequest managedService(String serviceId) {
    return RecordEventsRequest.newBuilder()
        .setMetadata(
            RecordEventsRequestMetadata.newBuilder()
                .setRequestId("r")
                .setIdentifier(
                    Identifier.newBuilder()
                        .setManagedService(
                            Identifier.ManagedServiceIdentifier.newBuilder()
                                .setServiceId(serviceId))))
        .build();
  }

  @Test
  void recordEvent_unaryPublishesOneEvent() {
    TelemeteryGatewayServiceGrpc.TelemeteryGatewayServiceBlockingStub blocking =
        TelemeteryGatewayServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization(TOKEN)));

    blocking.recordEvent(
        RecordEventRequest.newBuilder()
            .setMetadata(metadata("instance-1"))
            .setEvent(event("a", "ok.feature"))
            .build());

    assertEquals(1, publisher.published.size());
    StatusRuntimeException failed =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                blocking.recordEvent(
                    RecordEventRequest.newBuilder()
                        .setMetadata(metadata("instance-1"))
                        .setEvent(event("b", "fail.feature"))
                        .build()));
    assertEquals(Status.Code.UNAVAILABLE, failed.getStatus().getCode());
  }

  private static Metadata authorization(String token) {
    Metadata headers = new Metadata();
    headers.put(InstanceAuthInterceptor.AUTHORIZATION, "Bearer " + token);
    return headers;
  }
}
