package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tally.grpcweb.GrpcWebFrames;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The requests export writes from the queued payloads are, byte for byte, those protobuf writes for
 * the decoded events: what the gateway receives does not change.
 */
class EncodedRequestsTest {
  private static final RecordEventsRequestMetadata METADATA =
      RecordEventsRequestMetadata.newBuilder()
          .setRequestId("request")
          .setIdentifier(
              Identifier.newBuilder()
                  .setUnlicensedInstance(
                      Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId("i")))
          .build();

  private final Random random = new Random(28);

  @Test
  void eventsMessage_isWhatProtobufWritesForTheEvents() {
    // Sizes around each varint length (1, 2 and 3 bytes), for the events and for their sum.
    for (int size : new int[] {0, 1, 100, 127, 128, 200, 16_383, 16_384, 70_000, 2_100_000}) {
      List<Event> events = new ArrayList<>();
      int bytes = 0;
      do {
        Event event = event(random.nextInt(Math.max(1, size)));
        events.add(event);
        bytes += event.getSerializedSize();
      } while (bytes < size);
      assertArrayEquals(protobufs(events), EncodedRequests.eventsMessage(payloads(events)));
    }
    assertArrayEquals(protobufs(List.of()), EncodedRequests.eventsMessage(List.of()));
  }

  @Test
  void grpcWebBody_isTheFramesOfTheMetadataAndOfEachEventsMessage() {
    List<List<Event>> frames = new ArrayList<>();
    for (int f = 0; f < 4; f++) {
      List<Event> frame = new ArrayList<>();
      for (int e = 1 + random.nextInt(200); e > 0; e--) {
        frame.add(event(random.nextInt(400)));
      }
      frames.add(frame);
    }
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(
        GrpcWebFrames.frame(
            GrpcWebFrames.DATA,
            RecordEventsRequest.newBuilder().setMetadata(METADATA).build().toByteArray()));
    List<List<byte[]>> encoded = new ArrayList<>();
    for (List<Event> frame : frames) {
      expected.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, protobufs(frame)));
      encoded.add(payloads(frame));
    }

    assertArrayEquals(expected.toByteArray(), EncodedRequests.grpcWebBody(METADATA, encoded));
  }

  private static byte[] protobufs(List<Event> events) {
    return RecordEventsRequest.newBuilder()
        .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(events))
        .build()
        .toByteArray();
  }

  private static List<byte[]> payloads(List<Event> events) {
    return events.stream().map(Event::toByteArray).toList();
  }

  /** An event of about {@code padding} bytes more than its names and time. */
  private Event event(int padding) {
    return Event.newBuilder()
        .setId("id-" + random.nextInt())
        .setFeature("export.test")
        .setAction("encoded")
        .setTimestamp(Timestamp.newBuilder().setSeconds(random.nextInt(1 << 30)))
        .setParameters(
            EventParameters.newBuilder()
                .putMetadata("n", random.nextDouble())
                .setPrivateMetadata(
                    Struct.newBuilder()
                        .putFields(
                            "pad", Value.newBuilder().setStringValue("x".repeat(padding)).build())))
        .build();
  }
}
