package dev.tally.gateway;

import com.google.protobuf.util.Timestamps;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Pub/Sub message of one event: data {@code {"metadata": ..., "event": ...}} in protobuf's
 * canonical JSON, and attributes subscribers can filter on.
 */
public final class EventMessages {
  /** Prefix of metadata keys that flag an event as carrying private metadata of some kind. */
  static final String RECORDS_PRIVATE_METADATA = "recordsPrivateMetadata";

  /** Most attributes of a Pub/Sub message. */
  static final int MAX_ATTRIBUTES = 100;

  /** Longest attribute key of a Pub/Sub message, in bytes. */
  static final int MAX_ATTRIBUTE_KEY_BYTES = 256;

  /** Longest attribute value of a Pub/Sub message, in bytes. */
  static final int MAX_ATTRIBUTE_VALUE_BYTES = 1024;

  /** Says how many {@code event.recordsPrivateMetadata*} flags were left out; set only then. */
  public static final String OMITTED_ATTRIBUTES = "event.omittedAttributes";

  /** Prefix that replaces a license key in published metadata. */
  public static final String LICENSE_KEY_HASH_PREFIX = "sha256:";

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
    StringBuilder json = new StringBuilder(256);
    MessageJson.metadata(publishableMetadata, json);
    return json.toString();
  }

  /**
   * The message data of one event.
   *
   * @throws IllegalArgumentException when the event cannot be printed as JSON (an invalid
   *     timestamp, NaN or infinity in a {@code Struct})
   */
  public static byte[] data(String metadataJson, Event event) {
    // Printed into one buffer, sized for a typical event, and encoded once.
    StringBuilder data = new StringBuilder(metadataJson.length() + 1024);
    data.append("{\"metadata\":").append(metadataJson).append(",\"event\":");
    MessageJson.event(event, data);
    return data.append('}').toString().getBytes(StandardCharsets.UTF_8);
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

  /** The message attributes of one event, within Pub/Sub's limits; see {@link #attributes}. */
  public static Map<String, String> attributes(Identifier identifier, Event event) {
    return attributes(identifier, event, 0);
  }

  /**
   * The message attributes of one event, kept within Pub/Sub's limits (at most {@value
   * #MAX_ATTRIBUTES} attributes, keys of at most {@value #MAX_ATTRIBUTE_KEY_BYTES} bytes, values of
   * at most {@value #MAX_ATTRIBUTE_VALUE_BYTES} bytes) by this rule; the message data always keeps
   * everything:
   *
   * <ol>
   *   <li>the fixed attributes {@code publisher.source}, {@code event.feature}, {@code
   *       event.action}, {@code event.hasPrivateMetadata}, each value cut to {@value
   *       #MAX_ATTRIBUTE_VALUE_BYTES} bytes at a UTF-8 character boundary when longer;
   *   <li>{@code event.recordsPrivateMetadata<X>=true} for each metadata key {@code
   *       recordsPrivateMetadata<X>} ({@code X} at least 2 characters) with a value above 0, in the
   *       order of their keys, leaving out keys longer than {@value #MAX_ATTRIBUTE_KEY_BYTES}
   *       bytes, as many as fit;
   *   <li>when any flag was left out, {@value #OMITTED_ATTRIBUTES} with how many, in the slot kept
   *       for it.
   * </ol>
   *
   * @param reserved slots kept free for attributes the caller adds, such as a dead letter's reason
   */
  static Map<String, String> attributes(Identifier identifier, Event event, int reserved) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("publisher.source", truncate(source(identifier), MAX_ATTRIBUTE_VALUE_BYTES));
    attributes.put("event.feature", truncate(event.getFeature(), MAX_ATTRIBUTE_VALUE_BYTES));
    attributes.put("event.action", truncate(event.getAction(), MAX_ATTRIBUTE_VALUE_BYTES));
    attributes.put(
        "event.hasPrivateMetadata", String.valueOf(event.getParameters().hasPrivateMetadata()));
    List<String> flags = new ArrayList<>();
    event
        .getParameters()
        .getMetadataMap()
        .forEach(
            (key, value) -> {
              if (key.startsWith(RECORDS_PRIVATE_METADATA)
                  && key.length() >= RECORDS_PRIVATE_METADATA.length() + 2
                  && value > 0) {
                flags.add("event." + key);
              }
            });
    flags.sort(null);
    List<String> fitting =
        flags.stream().filter(key -> utf8Length(key) <= MAX_ATTRIBUTE_KEY_BYTES).toList();
    int room = MAX_ATTRIBUTES - reserved - attributes.size();
    boolean omitting = fitting.size() < flags.size() || fitting.size() > room;
    int kept = Math.max(0, Math.min(fitting.size(), omitting ? room - 1 : room));
    for (String key : fitting.subList(0, kept)) {
      attributes.put(key, "true");
    }
    if (omitting) {
      attributes.put(OMITTED_ATTRIBUTES, String.valueOf(flags.size() - kept));
    }
    return attributes;
  }

  /** {@code value} cut to at most {@code maxBytes} bytes of UTF-8, never inside a character. */
  static String truncate(String value, int maxBytes) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= maxBytes) {
      return value;
    }
    int end = maxBytes;
    // bytes[end] is the first byte left out: when it continues a character, leave that out too.
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }

  private static int utf8Length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * What identifies an event, and prints for sure: its ID, feature and action (each cut to {@value
   * #MAX_ATTRIBUTE_VALUE_BYTES} bytes), and its timestamp when valid. A dead letter carries it when
   * the whole event cannot travel.
   */
  static Event identifying(Event event) {
    Event.Builder stub =
        Event.newBuilder()
            .setId(truncate(event.getId(), MAX_ATTRIBUTE_VALUE_BYTES))
            .setFeature(truncate(event.getFeature(), MAX_ATTRIBUTE_VALUE_BYTES))
            .setAction(truncate(event.getAction(), MAX_ATTRIBUTE_VALUE_BYTES));
    if (event.hasTimestamp() && Timestamps.isValid(event.getTimestamp())) {
      stub.setTimestamp(event.getTimestamp());
    }
    return stub.build();
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
}
