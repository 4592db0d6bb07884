package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventMessagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Identifier UNLICENSED =
      Identifier.newBuilder()
          .setUnlicensedInstance(
              Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId("instance-1"))
          .build();

  private static Event event(EventParameters.Builder parameters) {
    return Event.newBuilder()
        .setId("e1")
        .setFeature("cody.chat")
        .setAction("submitted")
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000))
        .setParameters(parameters)
        .build();
  }

  @Test
  void attributes_anEmptyPrivateMetadataStructStillCounts() {
    Map<String, String> attributes =
        EventMessages.attributes(
            UNLICENSED,
            event(EventParameters.newBuilder().setPrivateMetadata(Struct.newBuilder())));

    assertEquals("true", attributes.get("event.hasPrivateMetadata"));
    assertEquals("unlicensed_instance", attributes.get("publisher.source"));
    assertEquals("cody.chat", attributes.get("event.feature"));
    assertEquals("submitted", attributes.get("event.action"));
  }

  @Test
  void attributes_flagRecordsPrivateMetadataKeysWithAPositiveValue() {
    Map<String, String> attributes =
        EventMessages.attributes(
            UNLICENSED,
            event(
                EventParameters.newBuilder()
                    .putMetadata("recordsPrivateMetadataTranscript", 1)
                    .putMetadata("recordTranscript", 1)
                    .putMetadata("recordsPrivateMetadataOff", 0)
                    .putMetadata("recordsPrivateMetadataX", 1)));

    assertEquals("true", attributes.get("event.recordsPrivateMetadataTranscript"));
    assertFalse(attributes.containsKey("event.recordTranscript"));
    assertFalse(attributes.containsKey("event.recordsPrivateMetadataOff"), "value must be > 0");
    assertFalse(attributes.containsKey("event.recordsPrivateMetadataX"), "needs 2 more characters");
    assertEquals("false", attributes.get("event.hasPrivateMetadata"));
  }

  /**
   * An event with {@code count} metadata keys recordsPrivateMetadataKey000, ...001, ... set to 1.
   */
  private static Event withFlags(int count) {
    EventParameters.Builder parameters = EventParameters.newBuilder();
    for (int i = 0; i < count; i++) {
      parameters.putMetadata(String.format("recordsPrivateMetadataKey%03d", i), 1);
    }
    return event(parameters);
  }

  /** What production Pub/Sub enforces and the emulator does not. */
  private static void assertWithinPubSubLimits(Map<String, String> attributes) {
    assertTrue(attributes.size() <= 100, attributes.size() + " attributes");
    attributes.forEach(
        (key, value) -> {
          assertTrue(key.getBytes(StandardCharsets.UTF_8).length <= 256, "key " + key);
          assertTrue(value.getBytes(StandardCharsets.UTF_8).length <= 1024, "value of " + key);
        });
  }

  @ParameterizedTest(name = "{0} flags: {1} kept, {2} left out")
  @CsvSource({"0, 0, 0", "1, 1, 0", "95, 95, 0", "96, 96, 0", "97, 95, 2", "150, 95, 55"})
  void attributes_keepFlagsInKeyOrderUpToOneHundredAttributesAndCountTheRest(
      int flags, int kept, int omitted) {
    Map<String, String> attributes = EventMessages.attributes(UNLICENSED, withFlags(flags));

    assertWithinPubSubLimits(attributes);
    List<String> flagKeys =
        attributes.keySet().stream().filter(k -> k.startsWith("event.records")).toList();
    assertEquals(kept, flagKeys.size());
    for (int i = 0; i < kept; i++) {
      assertEquals(String.format("event.recordsPrivateMetadataKey%03d", i), flagKeys.get(i));
    }
    assertEquals(
        omitted == 0 ? null : String.valueOf(omitted),
        attributes.get(EventMessages.OMITTED_ATTRIBUTES));
    assertEquals("cody.chat", attributes.get("event.feature"), "the fixed attributes stay");
  }

  @Test
  void attributes_leaveOutKeysLongerThan256BytesAndCountThem() {
    String tooLong = "recordsPrivateMetadata" + "Ü".repeat(120); // 22 + 240 + "event." > 256
    Map<String, String> attributes =
        EventMessages.attributes(
            UNLICENSED,
            event(
                EventParameters.newBuilder()
                    .putMetadata(tooLong, 1)
                    .putMetadata("recordsPrivateMetadataShort", 1)));

    assertWithinPubSubLimits(attributes);
    assertEquals("true", attributes.get("event.recordsPrivateMetadataShort"));
    assertFalse(attributes.containsKey("event." + tooLong));
    assertEquals("1", attributes.get(EventMessages.OMITTED_ATTRIBUTES));
  }

  @Test
  void attributes_cutALongValueAtACharacterBoundary() {
    String serviceId = "s" + "é".repeat(600); // 1 + 1200 bytes
    Map<String, String> attributes =
        EventMessages.attributes(
            Identifier.newBuilder()
                .setManagedService(
                    Identifier.ManagedServiceIdentifier.newBuilder().setServiceId(serviceId))
                .build(),
            withFlags(1));

    assertWithinPubSubLimits(attributes);
    String source = attributes.get("publisher.source");
    assertEquals("s" + "é".repeat(511), source, "1023 bytes: the next character would not fit");
    assertEquals(1023, source.getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void attributes_keepASlotForWhatTheCallerAdds() {
    Map<String, String> attributes = EventMessages.attributes(UNLICENSED, withFlags(150), 1);

    assertEquals(99, attributes.size());
    assertEquals("56", attributes.get(EventMessages.OMITTED_ATTRIBUTES));
  }

  @Test
  void identifying_keepsOnlyFieldsThatPrint() {
    Event unprintable =
        event(EventParameters.newBuilder().putMetadata("n", 1)).toBuilder()
            .setTimestamp(Timestamp.newBuilder().setNanos(-1))
            .build();

    Event stub = EventMessages.identifying(unprintable);

    assertEquals(
        Event.newBuilder().setId("e1").setFeature("cody.chat").setAction("submitted").build(),
        stub);
    assertTrue(new String(EventMessages.data("{}", stub), StandardCharsets.UTF_8).contains("e1"));
  }

  @Test
  void source_namesEveryKindOfSender() {
    assertEquals(
        "licensed_instance",
        EventMessages.source(
            Identifier.newBuilder()
                .setLicensedInstance(Identifier.LicensedInstanceIdentifier.getDefaultInstance())
                .build()));
    assertEquals(
        "cody-gateway",
        EventMessages.source(
            Identifier.newBuilder()
                .setManagedService(
                    Identifier.ManagedServiceIdentifier.newBuilder().setServiceId("cody-gateway"))
                .build()));
    assertEquals("unknown", EventMessages.source(Identifier.getDefaultInstance()));
  }

  @Test
  void data_isTheCanonicalJsonOfMetadataAndEventWithoutTheLicenseKey() throws Exception {
    RecordEventsRequestMetadata metadata =
        RecordEventsRequestMetadata.newBuilder()
            .setRequestId("req-1")
            .setIdentifier(
                Identifier.newBuilder()
                    .setLicensedInstance(
                        Identifier.LicensedInstanceIdentifier.newBuilder()
                            .setLicenseKey("secret-license-key")
                            .setInstanceId("instance-1")))
            .build();
    Event event =
        event(EventParameters.newBuilder().putMetadata("n", 2)).toBuilder()
            .setUser(EventUser.newBuilder().setUserId(1234))
            .build();

    String data =
        new String(
            EventMessages.data(
                EventMessages.metadataJson(EventMessages.publishable(metadata)), event),
            java.nio.charset.StandardCharsets.UTF_8);

    assertFalse(data.contains("secret-license-key"), "the license key is not published in clear");
    JsonNode json = JSON.readTree(data);
    assertEquals("req-1", json.path("metadata").path("requestId").asText());
    assertEquals(
        "sha256:" + InstanceTokens.sha256Hex("secret-license-key"),
        json.path("metadata")
            .path("identifier")
            .path("licensedInstance")
            .path("licenseKey")
            .asText());
    assertEquals(
        "instance-1",
        json.path("metadata")
            .path("identifier")
            .path("licensedInstance")
            .path("instanceId")
            .asText());
    assertEquals("e1", json.path("event").path("id").asText());
    assertEquals("2023-11-14T22:13:20Z", json.path("event").path("timestamp").asText());
    assertTrue(json.path("event").path("user").path("userId").isTextual(), "int64 as a string");
    assertEquals("1234", json.path("event").path("user").path("userId").asText());
  }
}
