package dev.tally.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Pub/Sub message of one event: data {@code {"metadata": ..., "event": ...}} in protobuf's
 * canonical JSON, and attributes subscribers can filter on.
 */
public final class EventMessages {
  /** Prefix of metadata keys that flag an event as carrying private metadata of some kind. */
  static final String RECORDS_PRIVATE_METADATA = "recordsPrivateMetadata";

  /** Prefix that replaces a license key in published metadata. */
  public static final String LICENSE_KEY_HASH_PREFIX = "sha256:";

  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private EventMessages() {}

  /**
   * The metadata as published: a licensed instance's license key is replaced by {@code
   * sha256:<hex>}, which identifies the license without repeating it on every message.
   */
  public static RecordEventsRequestMetadata publishable(RecordEventsRequestMetadata metadata) {
    if (!metadata.getIdentifier().hasLicensedInstance()
        || metadata.getIdentifier().getLicensedInstance().getLicenseKey().isEmpty()) {
      return metadata;
    }
    Identifier.LicensedInstanceIdentifier licensed = metadata.getIdentifier().getLicensedInstance();
    return metadata.toBuilder()
        .setIdentifier(
            Identifier.newBuilder()
                .setLicensedInstance(
                    licensed.toBuilder()
                        .setLicenseKey(
                            LICENSE_KEY_HASH_PREFIX
                                + InstanceTokens.sha256Hex(licensed.getLicenseKey()))))
        .build();
  }

  /** The JSON of already {@linkplain #publishable publishable} metadata, printed once per call. */
  public static String metadataJson(RecordEventsRequestMetadata publishableMetadata) {
    return print(publishableMetadata);
  }

  /** The message data of one event. */
  public static byte[] data(String metadataJson, Event event) {
    return ("{\"metadata\":" + metadataJson + ",\"event\":" + print(event) + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Prints a sample event and its metadata as {@link #data} does: a cold start runs it ahead of the
   * first call, which then finds the JSON printer loaded.
   */
  public static void warmUp() {
    Event event =
        new EventBuilder(Clock.systemUTC(), "warm-up")
            .build(
                EventInput.backend(
                    "tally.gateway", "warmed", EventInput.Parameters.of(1, Map.of("ready", 1))),
                EventContext.of(Actor.unknown()));
    RecordEventsRequestMetadata metadata =
        RecordEventsRequestMetadata.newBuilder()
            .setRequestId("warm-up")
            .setIdentifier(
                Identifier.newBuilder()
                    .setLicensedInstance(
                        Identifier.LicensedInstanceIdentifier.newBuilder()
                            .setInstanceId("warm-up")
                            .setLicenseKey("warm-up")))
            .build();
    data(metadataJson(publishable(metadata)), event);
    attributes(metadata.getIdentifier(), event);
  }

  /** The message attributes of one event. */
  public static Map<String, String> attributes(Identifier identifier, Event event) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("publisher.source", source(identifier));
    attributes.put("event.feature", event.getFeature());
    attributes.put("event.action", event.getAction());
    attributes.put(
        "event.hasPrivateMetadata", String.valueOf(event.getParameters().hasPrivateMetadata()));
    event
        .getParameters()
        .getMetadataMap()
        .forEach(
            (key, value) -> {
              if (key.startsWith(RECORDS_PRIVATE_METADATA)
                  && key.length() >= RECORDS_PRIVATE_METADATA.length() + 2
                  && value > 0) {
                attributes.put("event." + key, "true");
              }
            });
    return attributes;
  }

  /** {@code licensed_instance}, {@code unlicensed_instance}, the service ID, or {@code unknown}. */
  public static String source(Identifier identifier) {
    return switch (identifier.getIdentifierCase()) {
      case LICENSED_INSTANCE -> "licensed_instance";
      case UNLICENSED_INSTANCE -> "unlicensed_instance";
      case MANAGED_SERVICE -> identifier.getManagedService().getServiceId();
      case IDENTIFIER_NOT_SET -> "unknown";
    };
  }

  private static String print(MessageOrBuilder message) {
    try {
      return JSON.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }
}
