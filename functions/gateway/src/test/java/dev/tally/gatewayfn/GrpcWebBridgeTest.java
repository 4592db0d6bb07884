package dev.tally.gatewayfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.tally.gateway.EventIngester;
import dev.tally.gateway.GatewayCalls;
import dev.tally.gateway.InstanceTokens;
import dev.tally.gateway.RecordingPublisher;
import dev.tally.grpcweb.GrpcWebFrames;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * gRPC-web requests through the bridge to the gateway's calls, publishing to in-memory fakes: the
 * frames, statuses and answers a gRPC-web client sees.
 */
class GrpcWebBridgeTest {
  private static final String RECORD_EVENTS = "/" + GrpcWebBridge.RECORD_EVENTS;
  private static final String RECORD_EVENT = "/" + GrpcWebBridge.RECORD_EVENT;
  private static final InstanceTokens.Sender INSTANCE_1 =
      new InstanceTokens.Sender(InstanceTokens.Kind.INSTANCE, "instance-1");

  private final RecordingPublisher publisher =
      new RecordingPublisher(data -> data.contains("\"fail."), data -> data.contains("\"hang."));
  private final RecordingPublisher deadLetters = new RecordingPublisher(data -> false);

  private GrpcWebBridge bridge(RecordingPublisher publisher, Duration publishTimeout) {
    return new GrpcWebBridge(
        new GatewayCalls(new EventIngester(publisher, deadLetters, publishTimeout)), 120_000, 10);
  }

  private GrpcWebBridge bridge() {
    return bridge(publisher, Duration.ofMinutes(1));
  }

  /** What a client reads of an answer: its messages, then the status and its message. */
  record Answer(List<byte[]> messages, int status, String message) {
    List<List<String>> acknowledged() throws InvalidProtocolBufferException {
      List<List<String>> ids = new ArrayList<>();
      for (byte[] message : messages) {
        ids.add(RecordEventsResponse.parseFrom(message).getSucceededEventsList());
      }
      return ids;
    }

    String statusLine() {
      return status + " " + message;
    }
  }

  static Answer read(GrpcWebBridge.Response response) throws Exception {
    if (response.headers().containsKey("grpc-status")) {
      assertEquals(0, response.body().length, "trailers-only: the status is in the headers");
      return new Answer(
          List.of(),
          Integer.parseInt(response.headers().get("grpc-status")),
          GrpcWebFrames.decodeMessage(response.headers().get("grpc-message")));
    }
    List<GrpcWebFrames.Frame> frames = GrpcWebFrames.decode(response.body());
    GrpcWebFrames.Frame last = frames.get(frames.size() - 1);
    assertTrue(last.isTrailers(), "the trailers come last");
    List<byte[]> messages = new ArrayList<>();
    for (GrpcWebFrames.Frame frame : frames.subList(0, frames.size() - 1)) {
      assertEquals(GrpcWebFrames.DATA, frame.flags());
      messages.add(frame.payload());
    }
    Map<String, String> trailers = GrpcWebFrames.parseTrailers(last.payload());
    return new Answer(
        messages,
        Integer.parseInt(trailers.get("grpc-status")),
        GrpcWebFrames.decodeMessage(trailers.get("grpc-message")));
  }

  private static Answer call(GrpcWebBridge bridge, String path, byte[]... messages)
      throws Exception {
    return read(bridge.handle(path, false, null, INSTANCE_1, frames(messages)));
  }

  static byte[] frames(byte[]... messages) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] message : messages) {
      body.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, message));
    }
    return body.toByteArray();
  }

  static byte[] metadata(String instanceId) {
    return RecordEventsRequest.newBuilder()
        .setMetadata(metadataOf(instanceId))
        .build()
        .toByteArray();
  }

  private static RecordEventsRequestMetadata metadataOf(String instanceId) {
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
        .build();
  }

  static byte[] events(Event... events) {
    return RecordEventsRequest.newBuilder()
        .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(List.of(events)))
        .build()
        .toByteArray();
  }

  private static byte[] unary(Event event) {
    return RecordEventRequest.newBuilder()
        .setMetadata(metadataOf("instance-1"))
        .setEvent(event)
        .build()
        .toByteArray();
  }

  @Test
  void recordEvents_answersEachEventsFrameInOrderThenTheTrailers() throws Exception {
    Answer answer =
        call(
            bridge(),
            RECORD_EVENTS,
            metadata("instance-1"),
            events(event("a", "ok.feature"), event("b", "fail.feature"), event("c", "ok.feature")),
            events(event("d", "ok.feature")));

    assertEquals("0 ", answer.statusLine());
    assertEquals(List.of(List.of("a", "c"), List.of("d")), answer.acknowledged());
    assertEquals(3, publisher.published.size());
  }

  @Test
  void recordEvents_textBodiesAreReadAsBase64() throws Exception {
    byte[] body = frames(metadata("instance-1"), events(event("a", "ok.feature")));

    Answer answer =
        read(bridge().handle(RECORD_EVENTS, true, null, INSTANCE_1, GrpcWebBridge.toText(body)));

    assertEquals(List.of(List.of("a")), answer.acknowledged());
  }

  @Test
  void recordEvents_publishesAsManyEventsFramesAtOnceAsItMay() throws Exception {
    // Holds every publish until the test answers the oldest: a frame may start only when fewer
    // than FRAMES_IN_FLIGHT frames before it are unanswered.
    RecordingPublisher holding = new RecordingPublisher(data -> false, data -> true);
    GrpcWebBridge bridge = bridge(holding, Duration.ofMinutes(1));
    CompletableFuture<Answer> answer =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return call(
                    bridge,
                    RECORD_EVENTS,
                    metadata("instance-1"),
                    events(event("a", "ok.feature")),
                    events(event("b", "ok.feature")),
                    events(event("c", "ok.feature")),
                    events(event("d", "ok.feature")));
              } catch (Exception e) {
                throw new CompletionException(e);
              }
            });

    for (int answered = 0; answered < 4; answered++) {
      awaitHeld(holding, Math.min(GrpcWebBridge.FRAMES_IN_FLIGHT, 4 - answered));
      holding.releaseOldest();
    }

    Answer done = answer.get(30, TimeUnit.SECONDS);
    assertEquals("0 ", done.statusLine());
    assertEquals(
        List.of(List.of("a"), List.of("b"), List.of("c"), List.of("d")), done.acknowledged());
    assertEquals(GrpcWebBridge.FRAMES_IN_FLIGHT, holding.mostHeldAtOnce());
  }

  /** Waits until {@code count} publishes are held (at most 30 s). */
  private static void awaitHeld(RecordingPublisher publisher, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (publisher.held() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never held " + count + " publishes: " + publisher.held());
      }
      Thread.sleep(1);
    }
  }

  @Test
  void recordEvents_aRefusedFrameEndsTheCallAfterTheAnswersBeforeIt() throws Exception {
    Answer twice =
        call(
            bridge(),
            RECORD_EVENTS,
            metadata("instance-1"),
            events(event("a", "ok.feature")),
            metadata("instance-1"),
            events(event("late", "ok.feature")));
    Answer unreadable =
        call(
            bridge(),
            RECORD_EVENTS,
            metadata("instance-1"),
            events(event("b", "ok.feature")),
            new byte[] {(byte) 0xff, 1, 2},
            events(event("late", "ok.feature")));

    assertEquals(List.of(List.of("a")), twice.acknowledged());
    assertEquals("3 received metadata more than once", twice.statusLine());
    assertEquals(List.of(List.of("b")), unreadable.acknowledged());
    assertEquals(2, unreadable.status(), "UNKNOWN, as grpc-java's server answers");
    assertTrue(
        unreadable.message().startsWith("the request message cannot be read: "),
        unreadable.statusLine());
    assertEquals(2, publisher.published.size(), "nothing after the refused frame");
  }

  @Test
  void refusals_withoutAnswersAreTrailersOnly() throws Exception {
    GrpcWebBridge bridge = bridge();
    byte[] valid = metadata("instance-1");
    byte[] frame = GrpcWebFrames.frame(GrpcWebFrames.DATA, valid);
    byte[][] eleven = new byte[11][];
    Arrays.fill(eleven, new byte[0]);

    assertEquals(
        "12 unknown method /" + GrpcWebBridge.RECORD_EVENTS + "X",
        call(bridge, RECORD_EVENTS + "X", valid).statusLine());
    assertEquals("12 unknown method /RecordEvents", call(bridge, "/RecordEvents").statusLine());
    assertEquals(
        "12 compressed messages are not supported",
        read(bridge.handle(
                RECORD_EVENTS,
                false,
                null,
                INSTANCE_1,
                GrpcWebFrames.frame(GrpcWebFrames.COMPRESSED, valid)))
            .statusLine());
    assertEquals(
        3,
        read(bridge.handle(
                RECORD_EVENTS, false, null, INSTANCE_1, Arrays.copyOf(frame, frame.length - 1)))
            .status(),
        "a truncated frame is INVALID_ARGUMENT");
    assertEquals(
        "8 the request may hold at most 10 frames (limit set by"
            + " TELEMETRY_GATEWAY_MAX_FRAMES_PER_CALL); send fewer, larger frames or smaller"
            + " batches",
        call(bridge, RECORD_EVENTS, eleven).statusLine());
    assertEquals(
        "3 RecordEvent takes exactly one message, got 2",
        call(bridge, RECORD_EVENT, unary(event("a", "ok.feature")), unary(event("b", "ok.feature")))
            .statusLine());
    assertEquals(
        "3 RecordEvent takes exactly one message, got 0", call(bridge, RECORD_EVENT).statusLine());
    assertEquals(
        "7 the token does not belong to instance 'instance-2'",
        call(bridge, RECORD_EVENTS, metadata("instance-2"), events(event("a", "ok.feature")))
            .statusLine());
    assertEquals(
        "3 got events when metadata not yet received",
        call(bridge, RECORD_EVENTS, events(event("a", "ok.feature"))).statusLine());
    assertEquals(2, call(bridge, RECORD_EVENT, new byte[] {(byte) 0xff, 1, 2}).status());
    assertEquals(0, publisher.published.size());
  }

  @Test
  void recordEvent_answersOneMessageOrTheReasonItWasNotRecorded() throws Exception {
    Answer recorded = call(bridge(), RECORD_EVENT, unary(event("a", "ok.feature")));
    Answer failed = call(bridge(), RECORD_EVENT, unary(event("b", "fail.feature")));

    assertEquals("0 ", recorded.statusLine());
    assertEquals(1, recorded.messages().size());
    assertEquals(0, recorded.messages().get(0).length, "an empty RecordEventResponse");
    assertEquals("14 the event could not be published; send it again", failed.statusLine());
    assertEquals(0, failed.messages().size());
  }

  @Test
  void deadline_endsTheCallAfterTheAnswersCompleteByThen() throws Exception {
    GrpcWebBridge bridge = bridge();

    Answer events =
        read(
            bridge.handle(
                RECORD_EVENTS,
                false,
                "100m",
                INSTANCE_1,
                frames(
                    metadata("instance-1"),
                    events(event("a", "ok.feature")),
                    events(event("b", "hang.feature")))));
    Answer unary =
        read(
            bridge.handle(
                RECORD_EVENT,
                false,
                "100m",
                INSTANCE_1,
                frames(unary(event("c", "hang.feature")))));

    assertEquals(List.of(List.of("a")), events.acknowledged());
    assertEquals("4 the call did not finish within its deadline", events.statusLine());
    assertEquals("4 the call did not finish within its deadline", unary.statusLine());
    assertEquals(0, unary.messages().size());
  }

  @Test
  void warmUp_isARefusedCallThatPublishesNothing() throws Exception {
    Answer answer = read(bridge().warmUp());

    assertEquals(7, answer.status(), answer.statusLine());
    assertEquals(0, publisher.published.size());
  }
}
