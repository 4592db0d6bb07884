package dev.tally.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tally.event.MarketingField;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What the egress ledger reads of an event: read from its encoded payload ({@link
 * FieldPaths#egress(byte[])}, what export does so as to send the payload without decoding it), it
 * must be exactly what the decoded event says ({@link FieldPaths#egress(Event)}).
 */
class FieldPathsTest {
  private static final String CHARS = "abcXYZ09 .-_\"\\/<>&='\n\t\u0001éß€\u2028";

  private final Random random = new Random(28);

  @Test
  void egressOfThePayload_isThatOfTheDecodedEvent() throws Exception {
    for (int i = 0; i < 5_000; i++) {
      Event event = event();
      byte[] payload = event.toByteArray();
      assertEquals(FieldPaths.egress(event), FieldPaths.egress(payload), event::toString);
    }
  }

  @Test
  void egressOfThePayload_followsProtobufsMergeOfRepeatedFields() throws Exception {
    // Two encoded events one after the other are one event: names last-wins, messages merged.
    for (int i = 0; i < 2_000; i++) {
      ByteArrayOutputStream merged = new ByteArrayOutputStream();
      for (int k = 1 + random.nextInt(3); k > 0; k--) {
        merged.writeBytes(event().toByteArray());
      }
      byte[] payload = merged.toByteArray();
      assertEquals(
          FieldPaths.egress(Event.parseFrom(payload)), FieldPaths.egress(payload), "merge " + i);
    }
  }

  @Test
  void egressOfThePayload_treatsFieldsOfAnotherWireTypeAsUnknown() throws Exception {
    // feature (3) as a varint, parameters (6) as a fixed64, marketing tracking (9) as a varint,
    // and a field the schema does not have: all unknown fields to protobuf.
    byte[] unknown = {0x18, 0x01, 0x31, 1, 2, 3, 4, 5, 6, 7, 8, 0x48, 0x05, (byte) 0xf8, 0x07, 1};
    Event event = event();
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    payload.writeBytes(event.toByteArray());
    payload.writeBytes(unknown);
    byte[] bytes = payload.toByteArray();

    assertEquals(FieldPaths.egress(Event.parseFrom(bytes)), FieldPaths.egress(bytes));
    assertEquals(FieldPaths.egress(event), FieldPaths.egress(bytes));
  }

  @Test
  void egressOfThePayload_refusesWhatProtobufRefusesAtTheTop() {
    for (byte[] payload :
        List.of(
            new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff},
            new byte[] {0x1a, 0x05, 'a'}, // feature announces 5 bytes, 1 follows
            new byte[] {0x1a, 0x02, (byte) 0xc3, 0x28}, // feature not UTF-8
            new byte[] {0x0c}, // an end-group tag outside a group
            new byte[] {0x32, 0x03, 0x1a, 0x05, 0x0a}, // private metadata cut short
            new byte[] {0x4a, 0x02, 0x0a, 0x05})) { // a marketing field cut short
      assertThrows(InvalidProtocolBufferException.class, () -> Event.parseFrom(payload));
      assertThrows(
          InvalidProtocolBufferException.class,
          () -> FieldPaths.egress(payload),
          () -> Arrays.toString(payload));
    }
  }

  @Test
  void egressOfThePayload_neverRefusesAnEventProtobufReads() throws Exception {
    // Corrupted payloads: whatever egress(byte[]) refuses, protobuf refuses too; whatever both
    // read, they read alike. (What it accepts, protobuf may still refuse: it reads less.)
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] payload = event().toByteArray();
      if (payload.length == 0) {
        continue;
      }
      if (random.nextBoolean()) {
        payload[random.nextInt(payload.length)] = (byte) random.nextInt(256);
      } else {
        payload = Arrays.copyOf(payload, random.nextInt(payload.length));
      }
      Event decoded;
      try {
        decoded = Event.parseFrom(payload);
      } catch (InvalidProtocolBufferException e) {
        refused++;
        continue;
      }
      assertEquals(FieldPaths.egress(decoded), FieldPaths.egress(payload), "corruption " + i);
    }
    assertTrue(refused > 100, "some corruptions are refused: " + refused);
  }

  private Event event() {
    Event.Builder event = Event.newBuilder();
    if (often()) {
      event.setId(text());
    }
    if (often()) {
      event.setTimestamp(Timestamp.newBuilder().setSeconds(random.nextInt()).setNanos(1));
    }
    if (often()) {
      event.setFeature(text());
    }
    if (often()) {
      event.setAction(text());
    }
    if (often()) {
      EventParameters.Builder parameters = EventParameters.newBuilder().setVersion(1);
      for (int i = random.nextInt(3); i > 0; i--) {
        parameters.putMetadata(text(), random.nextDouble());
      }
      if (often()) {
        Struct.Builder privateMetadata = Struct.newBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
          privateMetadata.putFields(text(), value(2));
        }
        parameters.setPrivateMetadata(privateMetadata);
      }
      event.setParameters(parameters);
    }
    if (often()) {
      event.setUser(EventUser.newBuilder().setUserId(random.nextInt(1000)));
    }
    if (often()) {
      EventMarketingTracking.Builder tracking = EventMarketingTracking.newBuilder();
      for (MarketingField field : MarketingField.values()) {
        if (random.nextInt(3) == 0) {
          field.set(tracking, random.nextBoolean() ? "" : text());
        }
      }
      event.setMarketingTracking(tracking);
    }
    return event.build();
  }

  private Value value(int depth) {
    return switch (depth == 0 ? random.nextInt(3) : random.nextInt(5)) {
      case 0 -> Value.newBuilder().setStringValue(text()).build();
      case 1 -> Value.newBuilder().setNumberValue(random.nextDouble()).build();
      case 2 -> Value.newBuilder().setBoolValue(random.nextBoolean()).build();
      case 3 ->
          Value.newBuilder()
              .setListValue(ListValue.newBuilder().addValues(value(depth - 1)))
              .build();
      default ->
          Value.newBuilder()
              .setStructValue(Struct.newBuilder().putFields(text(), value(depth - 1)))
              .build();
    };
  }

  private boolean often() {
    return random.nextInt(4) != 0;
  }

  private String text() {
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(8); i > 0; i--) {
      text.append(CHARS.charAt(random.nextInt(CHARS.length())));
    }
    return text.toString();
  }
}
