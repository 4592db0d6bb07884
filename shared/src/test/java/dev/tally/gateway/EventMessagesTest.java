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
import java.util.Map;
import org.junit.jupiter.api.Test;

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
