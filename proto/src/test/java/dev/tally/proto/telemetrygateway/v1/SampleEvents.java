package dev.tally.proto.telemetrygateway.v1;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;

/** Events shared by the wire-format tests. */
final class SampleEvents {
  private SampleEvents() {}

  /** An event with every field of the contract set, each to a distinct value. */
  static Event full() {
    return Event.newBuilder()
        .setId("0190a5c4-7b6e-7c1d-9f00-1234567890ab")
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(123_000_000))
        .setFeature("cody.completion")
        .setAction("accepted")
        .setSource(
            EventSource.newBuilder()
                .setServer(EventSource.Server.newBuilder().setVersion("5.2.0"))
                .setClient(
                    EventSource.Client.newBuilder().setName("VSCode.Cody").setVersion("1.0")))
        .setParameters(
            EventParameters.newBuilder()
                .setVersion(3)
                .putLegacyMetadata("legacyCount", 42L)
                .putMetadata("latencyMs", 12.5)
                .setPrivateMetadata(
                    Struct.newBuilder()
                        .putFields("query", Value.newBuilder().setStringValue("secret").build()))
                .setBillingMetadata(
                    EventBillingMetadata.newBuilder().setProduct("cody").setCategory("core")))
        .setUser(
            EventUser.newBuilder()
                .setUserId(1234L)
                .setAnonymousUserId("anon-1")
                .setSamsExternalId("sams-1"))
        .setFeatureFlags(EventFeatureFlags.newBuilder().putFlags("telemetry-export", "true"))
        .setMarketingTracking(
            EventMarketingTracking.newBuilder()
                .setUrl("u1")
                .setFirstSourceUrl("u2")
                .setCohortId("u3")
                .setReferrer("u4")
                .setLastSourceUrl("u5")
                .setDeviceSessionId("u6")
                .setSessionReferrer("u7")
                .setSessionFirstUrl("u8"))
        .setInteraction(
            EventInteraction.newBuilder()
                .setTraceId("trace-1")
                .setInteractionId("interaction-1")
                .setGeolocation(EventInteraction.Geolocation.newBuilder().setCountryCode("NL")))
        .build();
  }
}
