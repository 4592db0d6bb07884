package dev.tally.proto.telemetrygateway.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Decodes a fully populated event without its schema, by raw tag numbers, so that renumbering or
 * retyping any field of {@link Event} breaks this test.
 */
class EventWireFormatTest {

  @Test
  void event_topLevelFieldsHaveTheirContractNumbers() throws Exception {
    UnknownFieldSet event = UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray());

    assertEquals("0190a5c4-7b6e-7c1d-9f00-1234567890ab", string(event, 1));
    UnknownFieldSet timestamp = message(event, 2);
    assertEquals(List.of(1_700_000_000L), timestamp.getField(1).getVarintList());
    assertEquals(List.of(123_000_000L), timestamp.getField(2).getVarintList());
    assertEquals("cody.completion", string(event, 3));
    assertEquals("accepted", string(event, 4));
    assertTrue(event.hasField(5), "source is field 5");
    assertTrue(event.hasField(6), "parameters is field 6");
    assertTrue(event.hasField(7), "user is field 7");
    assertTrue(event.hasField(8), "feature_flags is field 8");
    assertTrue(event.hasField(9), "marketing_tracking is field 9");
    assertTrue(event.hasField(10), "interaction is field 10");
    assertEquals(10, event.asMap().size(), "no field beyond the ten of the contract");
  }

  @Test
  void eventSource_serverIsOneAndClientIsTwo() throws Exception {
    UnknownFieldSet source =
        message(UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray()), 5);

    assertEquals("5.2.0", string(message(source, 1), 1));
    UnknownFieldSet client = message(source, 2);
    assertEquals("VSCode.Cody", string(client, 1));
    assertEquals("1.0", string(client, 2));
  }

  @Test
  void eventParameters_keepTheirNumbersIncludingMetadataAtFive() throws Exception {
    UnknownFieldSet parameters =
        message(UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray()), 6);

    assertEquals(List.of(3L), parameters.getField(1).getVarintList(), "version is varint 1");

    UnknownFieldSet legacyEntry = message(parameters, 2);
    assertEquals("legacyCount", string(legacyEntry, 1));
    assertEquals(List.of(42L), legacyEntry.getField(2).getVarintList(), "legacy values are int64");

    UnknownFieldSet metadataEntry = message(parameters, 5);
    assertEquals("latencyMs", string(metadataEntry, 1));
    assertEquals(
        List.of(Double.doubleToRawLongBits(12.5)),
        metadataEntry.getField(2).getFixed64List(),
        "metadata values are doubles (fixed64)");

    UnknownFieldSet privateMetadata = message(parameters, 3);
    UnknownFieldSet structEntry = message(privateMetadata, 1);
    assertEquals("query", string(structEntry, 1));
    assertEquals("secret", string(message(structEntry, 2), 3), "Value.string_value is 3");

    UnknownFieldSet billing = message(parameters, 4);
    assertEquals("cody", string(billing, 1));
    assertEquals("core", string(billing, 2));
  }

  @Test
  void eventUser_numbersAndTypes() throws Exception {
    UnknownFieldSet user = message(UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray()), 7);

    assertEquals(List.of(1234L), user.getField(1).getVarintList(), "user_id is a varint");
    assertEquals("anon-1", string(user, 2));
    assertEquals("sams-1", string(user, 3));
  }

  @Test
  void featureFlags_areAStringMapAtOne() throws Exception {
    UnknownFieldSet flags =
        message(UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray()), 8);

    UnknownFieldSet entry = message(flags, 1);
    assertEquals("telemetry-export", string(entry, 1));
    assertEquals("true", string(entry, 2));
  }

  @Test
  void marketingTracking_numbersOneToEight() throws Exception {
    UnknownFieldSet marketing =
        message(UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray()), 9);

    Map<Integer, String> byNumber = new HashMap<>();
    for (int number = 1; number <= 8; number++) {
      byNumber.put(number, string(marketing, number));
    }
    assertEquals(
        Map.of(1, "u1", 2, "u2", 3, "u3", 4, "u4", 5, "u5", 6, "u6", 7, "u7", 8, "u8"), byNumber);
  }

  @Test
  void interaction_traceInteractionAndGeolocation() throws Exception {
    UnknownFieldSet interaction =
        message(UnknownFieldSet.parseFrom(SampleEvents.full().toByteArray()), 10);

    assertEquals("trace-1", string(interaction, 1));
    assertEquals("interaction-1", string(interaction, 2));
    assertEquals("NL", string(message(interaction, 3), 1));
  }

  @Test
  void recordEventsRequest_metadataThenEventsPayload() throws Exception {
    RecordEventsRequest metadata =
        RecordEventsRequest.newBuilder()
            .setMetadata(
                RecordEventsRequestMetadata.newBuilder()
                    .setRequestId("req-1")
                    .setIdentifier(
                        Identifier.newBuilder()
                            .setLicensedInstance(
                                Identifier.LicensedInstanceIdentifier.newBuilder()
                                    .setLicenseKey("key")
                                    .setInstanceId("instance")
                                    .setExternalUrl("https://example.com"))))
            .build();
    UnknownFieldSet metadataMessage = message(UnknownFieldSet.parseFrom(metadata.toByteArray()), 1);
    assertEquals("req-1", string(metadataMessage, 1));
    UnknownFieldSet licensed = message(message(metadataMessage, 2), 1);
    assertEquals("key", string(licensed, 1));
    assertEquals("instance", string(licensed, 2));
    assertEquals("https://example.com", string(licensed, 3));

    RecordEventsRequest events =
        RecordEventsRequest.newBuilder()
            .setEvents(
                RecordEventsRequest.EventsPayload.newBuilder().addEvents(SampleEvents.full()))
            .build();
    UnknownFieldSet payload = message(UnknownFieldSet.parseFrom(events.toByteArray()), 2);
    assertEquals(
        SampleEvents.full(), Event.parseFrom(payload.getField(1).getLengthDelimitedList().get(0)));
  }

  @Test
  void identifiers_unlicensedIsTwoAndManagedServiceIsThree() throws Exception {
    Identifier unlicensed =
        Identifier.newBuilder()
            .setUnlicensedInstance(
                Identifier.UnlicensedInstanceIdentifier.newBuilder()
                    .setInstanceId("instance")
                    .setExternalUrl("https://example.com"))
            .build();
    UnknownFieldSet u = message(UnknownFieldSet.parseFrom(unlicensed.toByteArray()), 2);
    assertEquals("instance", string(u, 1));
    assertEquals("https://example.com", string(u, 2));

    Identifier managed =
        Identifier.newBuilder()
            .setManagedService(
                Identifier.ManagedServiceIdentifier.newBuilder()
                    .setServiceId("cody-gateway")
                    .setServiceEnvironment("prod"))
            .build();
    UnknownFieldSet m = message(UnknownFieldSet.parseFrom(managed.toByteArray()), 3);
    assertEquals("cody-gateway", string(m, 1));
    assertEquals("prod", string(m, 2));
  }

  @Test
  void responsesAndUnaryRequest_keepTheirNumbers() throws Exception {
    RecordEventsResponse response =
        RecordEventsResponse.newBuilder().addSucceededEvents("a").addSucceededEvents("b").build();
    assertEquals(
        List.of(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("b")),
        UnknownFieldSet.parseFrom(response.toByteArray()).getField(1).getLengthDelimitedList());

    RecordEventRequest unary =
        RecordEventRequest.newBuilder()
            .setMetadata(RecordEventsRequestMetadata.newBuilder().setRequestId("req-2"))
            .setEvent(SampleEvents.full())
            .build();
    UnknownFieldSet fields = UnknownFieldSet.parseFrom(unary.toByteArray());
    assertEquals("req-2", string(message(fields, 1), 1));
    assertEquals(
        SampleEvents.full(), Event.parseFrom(fields.getField(2).getLengthDelimitedList().get(0)));
  }

  private static ByteString only(UnknownFieldSet fields, int number) {
    List<ByteString> values = fields.getField(number).getLengthDelimitedList();
    assertEquals(1, values.size(), "one length-delimited value at field " + number);
    return values.get(0);
  }

  private static String string(UnknownFieldSet fields, int number) {
    return only(fields, number).toStringUtf8();
  }

  private static UnknownFieldSet message(UnknownFieldSet fields, int number)
      throws InvalidProtocolBufferException {
    return UnknownFieldSet.parseFrom(only(fields, number));
  }
}
