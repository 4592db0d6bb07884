package dev.tally.proto.telemetrygateway.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks every message field of the contract by name: number, type, repetition and whether it is a
 * proto3 {@code optional} field (which changes the generated API and the JSON of unset values).
 */
class ContractSchemaTest {

  private static final String OPT = "optional";
  private static final String ONE = "singular";
  private static final String REP = "repeated";

  static Stream<Arguments> contractFields() {
    return Stream.of(
        field("Identifier", "licensed_instance", 1, "MESSAGE", ONE),
        field("Identifier", "unlicensed_instance", 2, "MESSAGE", ONE),
        field("Identifier", "managed_service", 3, "MESSAGE", ONE),
        field("Identifier.LicensedInstanceIdentifier", "license_key", 1, "STRING", ONE),
        field("Identifier.LicensedInstanceIdentifier", "instance_id", 2, "STRING", ONE),
        field("Identifier.LicensedInstanceIdentifier", "external_url", 3, "STRING", ONE),
        field("Identifier.UnlicensedInstanceIdentifier", "instance_id", 1, "STRING", ONE),
        field("Identifier.UnlicensedInstanceIdentifier", "external_url", 2, "STRING", ONE),
        field("Identifier.ManagedServiceIdentifier", "service_id", 1, "STRING", ONE),
        field("Identifier.ManagedServiceIdentifier", "service_environment", 2, "STRING", OPT),
        field("RecordEventsRequestMetadata", "request_id", 1, "STRING", ONE),
        field("RecordEventsRequestMetadata", "identifier", 2, "MESSAGE", ONE),
        field("RecordEventsRequest", "metadata", 1, "MESSAGE", ONE),
        field("RecordEventsRequest", "events", 2, "MESSAGE", ONE),
        field("RecordEventsRequest.EventsPayload", "events", 1, "MESSAGE", REP),
        field("RecordEventsResponse", "succeeded_events", 1, "STRING", REP),
        field("RecordEventRequest", "metadata", 1, "MESSAGE", ONE),
        field("RecordEventRequest", "event", 2, "MESSAGE", ONE),
        field("Event", "id", 1, "STRING", ONE),
        field("Event", "timestamp", 2, "MESSAGE", ONE),
        field("Event", "feature", 3, "STRING", ONE),
        field("Event", "action", 4, "STRING", ONE),
        field("Event", "source", 5, "MESSAGE", ONE),
        field("Event", "parameters", 6, "MESSAGE", ONE),
        field("Event", "user", 7, "MESSAGE", OPT),
        field("Event", "feature_flags", 8, "MESSAGE", OPT),
        field("Event", "marketing_tracking", 9, "MESSAGE", OPT),
        field("Event", "interaction", 10, "MESSAGE", OPT),
        field("EventSource", "server", 1, "MESSAGE", ONE),
        field("EventSource", "client", 2, "MESSAGE", OPT),
        field("EventSource.Server", "version", 1, "STRING", ONE),
        field("EventSource.Client", "name", 1, "STRING", ONE),
        field("EventSource.Client", "version", 2, "STRING", OPT),
        field("EventParameters", "version", 1, "INT32", ONE),
        field("EventParameters", "legacy_metadata", 2, "MESSAGE", REP),
        field("EventParameters", "metadata", 5, "MESSAGE", REP),
        field("EventParameters", "private_metadata", 3, "MESSAGE", OPT),
        field("EventParameters", "billing_metadata", 4, "MESSAGE", OPT),
        field("EventBillingMetadata", "product", 1, "STRING", ONE),
        field("EventBillingMetadata", "category", 2, "STRING", ONE),
        field("EventUser", "user_id", 1, "INT64", OPT),
        field("EventUser", "anonymous_user_id", 2, "STRING", OPT),
        field("EventUser", "sams_external_id", 3, "STRING", OPT),
        field("EventFeatureFlags", "flags", 1, "MESSAGE", REP),
        field("EventMarketingTracking", "url", 1, "STRING", OPT),
        field("EventMarketingTracking", "first_source_url", 2, "STRING", OPT),
        field("EventMarketingTracking", "cohort_id", 3, "STRING", OPT),
        field("EventMarketingTracking", "referrer", 4, "STRING", OPT),
        field("EventMarketingTracking", "last_source_url", 5, "STRING", OPT),
        field("EventMarketingTracking", "device_session_id", 6, "STRING", OPT),
        field("EventMarketingTracking", "session_referrer", 7, "STRING", OPT),
        field("EventMarketingTracking", "session_first_url", 8, "STRING", OPT),
        field("EventInteraction", "trace_id", 1, "STRING", OPT),
        field("EventInteraction", "interaction_id", 2, "STRING", OPT),
        field("EventInteraction", "geolocation", 3, "MESSAGE", OPT),
        field("EventInteraction.Geolocation", "country_code", 1, "STRING", ONE));
  }

  private static Arguments field(
      String message, String name, int number, String type, String cardinality) {
    return Arguments.of(message, name, number, type, cardinality);
  }

  @ParameterizedTest(name = "{0}.{1} = {2}")
  @MethodSource("contractFields")
  void fieldMatchesTheContract(
      String message, String name, int number, String type, String cardinality) {
    Descriptor descriptor = find(message);
    FieldDescriptor field = descriptor.findFieldByName(name);
    assertNotNull(field, message + " has a field " + name);

    assertEquals(number, field.getNumber(), "number of " + message + "." + name);
    assertEquals(type, field.getType().name(), "type of " + message + "." + name);
    String actual = field.isRepeated() ? REP : field.toProto().getProto3Optional() ? OPT : ONE;
    assertEquals(cardinality, actual, "cardinality of " + message + "." + name);
  }

  @Test
  void mapFields_haveTheContractKeyAndValueTypes() {
    assertMap("EventParameters", "legacy_metadata", "STRING", "INT64");
    assertMap("EventParameters", "metadata", "STRING", "DOUBLE");
    assertMap("EventFeatureFlags", "flags", "STRING", "STRING");
  }

  @Test
  void wellKnownTypes_areTimestampAndStruct() {
    assertEquals(
        "google.protobuf.Timestamp",
        Event.getDescriptor().findFieldByName("timestamp").getMessageType().getFullName());
    assertEquals(
        "google.protobuf.Struct",
        EventParameters.getDescriptor()
            .findFieldByName("private_metadata")
            .getMessageType()
            .getFullName());
  }

  @Test
  void identifier_kindsShareOneOneof() {
    var oneof =
        Identifier.getDescriptor().findFieldByName("licensed_instance").getContainingOneof();
    assertEquals("identifier", oneof.getName());
    assertEquals(3, oneof.getFieldCount());
    var payload =
        RecordEventsRequest.getDescriptor().findFieldByName("metadata").getContainingOneof();
    assertEquals("payload", payload.getName());
    assertEquals(2, payload.getFieldCount());
  }

  @Test
  void service_keepsItsMisspelledNameAndMethodKinds() {
    assertEquals(
        "telemetrygateway.v1.TelemeteryGatewayService/RecordEvents",
        TelemeteryGatewayServiceGrpc.getRecordEventsMethod().getFullMethodName());
    assertEquals(
        MethodType.BIDI_STREAMING, TelemeteryGatewayServiceGrpc.getRecordEventsMethod().getType());
    assertEquals(
        "telemetrygateway.v1.TelemeteryGatewayService/RecordEvent",
        TelemeteryGatewayServiceGrpc.getRecordEventMethod().getFullMethodName());
    assertEquals(MethodType.UNARY, TelemeteryGatewayServiceGrpc.getRecordEventMethod().getType());
  }

  private static void assertMap(String message, String name, String keyType, String valueType) {
    FieldDescriptor field = find(message).findFieldByName(name);
    assertEquals(true, field.isMapField(), message + "." + name + " is a map");
    Descriptor entry = field.getMessageType();
    assertEquals(keyType, entry.findFieldByName("key").getType().name());
    assertEquals(valueType, entry.findFieldByName("value").getType().name());
  }

  private static Descriptor find(String message) {
    String[] path = message.split("\\.");
    Descriptor descriptor = TelemetryGatewayProto.getDescriptor().findMessageTypeByName(path[0]);
    for (int i = 1; i < path.length && descriptor != null; i++) {
      descriptor = descriptor.findNestedTypeByName(path[i]);
    }
    assertNotNull(descriptor, "message " + message + " exists in telemetrygateway.v1");
    assertEquals("telemetrygateway.v1", descriptor.getFile().getPackage());
    return descriptor;
  }
}
