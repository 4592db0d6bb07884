package dev.tally.export;

import com.google.protobuf.CodedOutputStream;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code RecordEvents} request messages written straight from the queued payloads, each an encoded
 * {@code Event}: a repeated message field on the wire is each message's tag, length and bytes, so
 * an events message is the payloads with those in front, and none is decoded and encoded again. The
 * bytes are those protobuf writes for the same events ({@code RecordEventsRequest} with {@code
 * events} set to an {@code EventsPayload} of them).
 */
final class EncodedRequests {
  /** Tag of {@code RecordEventsRequest.events}: field 2, length-delimited. */
  private static final int EVENTS_TAG = (RecordEventsRequest.EVENTS_FIELD_NUMBER << 3) | 2;

  /** Tag of {@code EventsPayload.events}: field 1, length-delimited. */
  private static final int EVENT_TAG =
      (RecordEventsRequest.EventsPayload.EVENTS_FIELD_NUMBER << 3) | 2;

  /** Bytes of a gRPC-web frame's header: a flag byte and a 4-byte length. */
  private static final int FRAME_HEADER = 5;

  private EncodedRequests() {}

  /** The encoded {@code RecordEventsRequest} carrying these encoded events. */
  static byte[] eventsMessage(List<byte[]> events) {
    byte[] message = new byte[eventsMessageSize(events)];
    CodedOutputStream out = CodedOutputStream.newInstance(message);
    try {
      writeEventsMessage(out, events);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("an array of the exact size cannot overflow", e);
    }
    return message;
  }

  /**
   * The gRPC-web body of a {@code RecordEvents} call: a frame with the metadata, then one frame per
   * list of encoded events, written at once into one array of its exact size.
   */
  static byte[] grpcWebBody(RecordEventsRequestMetadata metadata, List<List<byte[]>> frames) {
    RecordEventsRequest first = RecordEventsRequest.newBuilder().setMetadata(metadata).build();
    int size = FRAME_HEADER + first.getSerializedSize();
    int[] messageSizes = new int[frames.size()];
    for (int i = 0; i < frames.size(); i++) {
      messageSizes[i] = eventsMessageSize(frames.get(i));
      size += FRAME_HEADER + messageSizes[i];
    }
    byte[] body = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(body);
    try {
      writeFrameHeader(out, first.getSerializedSize());
      first.writeTo(out);
      for (int i = 0; i < frames.size(); i++) {
        writeFrameHeader(out, messageSizes[i]);
        writeEventsMessage(out, frames.get(i));
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("an array of the exact size cannot overflow", e);
    }
    return body;
  }

  private static int eventsPayloadSize(List<byte[]> events) {
    int size = 0;
    for (byte[] event : events) {
      size += 1 + CodedOutputStream.computeUInt32SizeNoTag(event.length) + event.length;
    }
    return size;
  }

  private static int eventsMessageSize(List<byte[]> events) {
    int payload = eventsPayloadSize(events);
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(payload) + payload;
  }

  private static void writeEventsMessage(CodedOutputStream out, List<byte[]> events)
      throws IOException {
    out.writeUInt32NoTag(EVENTS_TAG);
    out.writeUInt32NoTag(eventsPayloadSize(events));
    for (byte[] event : events) {
      out.writeUInt32NoTag(EVENT_TAG);
      out.writeUInt32NoTag(event.length);
      out.writeRawBytes(event);
    }
  }

  /** A data frame's header: flag 0 and the message's length, big-endian. */
  private static void writeFrameHeader(CodedOutputStream out, int length) throws IOException {
    out.writeRawByte((byte) 0);
    out.writeRawByte((byte) (length >>> 24));
    out.writeRawByte((byte) (length >>> 16));
    out.writeRawByte((byte) (length >>> 8));
    out.writeRawByte((byte) length);
  }
}
