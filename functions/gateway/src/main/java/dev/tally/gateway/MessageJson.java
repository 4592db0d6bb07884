package dev.tally.gateway;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.Timestamps;
import dev.tally.event.MarketingField;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventBillingMetadata;
import dev.tally.proto.telemetrygateway.v1.EventFeatureFlags;
import dev.tally.proto.telemetrygateway.v1.EventInteraction;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.EventSource;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * Prints an {@link Event} in protobuf's canonical JSON, character for character as {@link
 * JsonFormat}'s compact printer does, from the generated accessors instead of descriptors and
 * reflection: the gateway prints every event it publishes, and the general printer spent about half
 * of the gateway's CPU on it (its timestamps alone a sixth, through {@code SimpleDateFormat}).
 *
 * <p>Fields come in field-number order, each only when present (proto3: a plain scalar when not its
 * default, an {@code optional} one or a message when set, a map when not empty), under its JSON
 * name; 64-bit integers as strings; doubles as {@link Double#toString} or {@code "NaN"}, {@code
 * "Infinity"}, {@code "-Infinity"}; strings escaped as Gson escapes them (the HTML characters too).
 * What is rare is left to {@link JsonFormat}: a {@code Struct} of private metadata, and timestamps
 * before 1970 (the general printer's calendar is Julian before 1582), loaded only when needed.
 * {@code MessageJsonTest} compares the two on random messages.
 */
final class MessageJson {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private MessageJson() {}

  /** The general printer, for what is rare: loaded on first use. */
  private static final class General {
    static final JsonFormat.Printer PRINTER =
        JsonFormat.printer().omittingInsignificantWhitespace();
  }

  /** Appends the metadata's JSON. */
  static void metadata(RecordEventsRequestMetadata metadata, StringBuilder out) {
    Fields fields = new Fields(out);
    if (!metadata.getRequestId().isEmpty()) {
      fields.name("requestId").string(metadata.getRequestId());
    }
    if (metadata.hasIdentifier()) {
      fields.name("identifier");
      identifier(metadata.getIdentifier(), out);
    }
    fields.end();
  }

  private static void identifier(Identifier identifier, StringBuilder out) {
    Fields fields = new Fields(out);
    switch (identifier.getIdentifierCase()) {
      case LICENSED_INSTANCE -> {
        Identifier.LicensedInstanceIdentifier licensed = identifier.getLicensedInstance();
        fields.name("licensedInstance");
        Fields object = new Fields(out);
        if (!licensed.getLicenseKey().isEmpty()) {
          object.name("licenseKey").string(licensed.getLicenseKey());
        }
        if (!licensed.getInstanceId().isEmpty()) {
          object.name("instanceId").string(licensed.getInstanceId());
        }
        if (!licensed.getExternalUrl().isEmpty()) {
          object.name("externalUrl").string(licensed.getExternalUrl());
        }
        object.end();
      }
      case UNLICENSED_INSTANCE -> {
        Identifier.UnlicensedInstanceIdentifier unlicensed = identifier.getUnlicensedInstance();
        fields.name("unlicensedInstance");
        Fields object = new Fields(out);
        if (!unlicensed.getInstanceId().isEmpty()) {
          object.name("instanceId").string(unlicensed.getInstanceId());
        }
        if (!unlicensed.getExternalUrl().isEmpty()) {
          object.name("externalUrl").string(unlicensed.getExternalUrl());
        }
        object.end();
      }
      case MANAGED_SERVICE -> {
        Identifier.ManagedServiceIdentifier service = identifier.getManagedService();
        fields.name("managedService");
        Fields object = new Fields(out);
        if (!service.getServiceId().isEmpty()) {
          object.name("serviceId").string(service.getServiceId());
        }
        if (service.hasServiceEnvironment()) {
          object.name("serviceEnvironment").string(service.getServiceEnvironment());
        }
        object.end();
      }
      case IDENTIFIER_NOT_SET -> {
        // nothing to print
      }
    }
    fields.end();
  }

  /**
   * Appends the event's JSON.
   *
   * @throws IllegalArgumentException when it cannot be printed: an invalid timestamp, or a number
   *     in its private metadata that JSON cannot hold (NaN, infinity)
   */
  static void event(Event event, StringBuilder out) {
    Fields fields = new Fields(out);
    if (!event.getId().isEmpty()) {
      fields.name("id").string(event.getId());
    }
    if (event.hasTimestamp()) {
      fields.name("timestamp");
      timestamp(event.getTimestamp(), out);
    }
    if (!event.getFeature().isEmpty()) {
      fields.name("feature").string(event.getFeature());
    }
    if (!event.getAction().isEmpty()) {
      fields.name("action").string(event.getAction());
    }
    if (event.hasSource()) {
      fields.name("source");
      source(event.getSource(), out);
    }
    if (event.hasParameters()) {
      fields.name("parameters");
      parameters(event.getParameters(), out);
    }
    if (event.hasUser()) {
      fields.name("user");
      user(event.getUser(), out);
    }
    if (event.hasFeatureFlags()) {
      fields.name("featureFlags");
      featureFlags(event.getFeatureFlags(), out);
    }
    if (event.hasMarketingTracking()) {
      fields.name("marketingTracking");
      marketingTracking(event.getMarketingTracking(), out);
    }
    if (event.hasInteraction()) {
      fields.name("interaction");
      interaction(event.getInteraction(), out);
    }
    fields.end();
  }

  private static void source(EventSource source, StringBuilder out) {
    Fields fields = new Fields(out);
    if (source.hasServer()) {
      fields.name("server");
      Fields server = new Fields(out);
      if (!source.getServer().getVersion().isEmpty()) {
        server.name("version").string(source.getServer().getVersion());
      }
      server.end();
    }
    if (source.hasClient()) {
      fields.name("client");
      Fields client = new Fields(out);
      if (!source.getClient().getName().isEmpty()) {
        client.name("name").string(source.getClient().getName());
      }
      if (source.getClient().hasVersion()) {
        client.name("version").string(source.getClient().getVersion());
      }
      client.end();
    }
    fields.end();
  }

  private static void parameters(EventParameters parameters, StringBuilder out) {
    Fields fields = new Fields(out);
    if (parameters.getVersion() != 0) {
      fields.name("version");
      out.append(parameters.getVersion());
    }
    if (parameters.getLegacyMetadataCount() > 0) {
      fields.name("legacyMetadata");
      Fields map = new Fields(out);
      for (Map.Entry<String, Long> entry : parameters.getLegacyMetadataMap().entrySet()) {
        map.name(entry.getKey());
        out.append('"').append(entry.getValue().longValue()).append('"');
      }
      map.end();
    }
    if (parameters.hasPrivateMetadata()) {
      fields.name("privateMetadata");
      try {
        General.PRINTER.appendTo(parameters.getPrivateMetadata(), out);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot print the private metadata: " + e.getMessage(), e);
      }
    }
    if (parameters.hasBillingMetadata()) {
      fields.name("billingMetadata");
      EventBillingMetadata billing = parameters.getBillingMetadata();
      Fields object = new Fields(out);
      if (!billing.getProduct().isEmpty()) {
        object.name("product").string(billing.getProduct());
      }
      if (!billing.getCategory().isEmpty()) {
        object.name("category").string(billing.getCategory());
      }
      object.end();
    }
    if (parameters.getMetadataCount() > 0) {
      fields.name("metadata");
      Fields map = new Fields(out);
      for (Map.Entry<String, Double> entry : parameters.getMetadataMap().entrySet()) {
        map.name(entry.getKey());
        number(entry.getValue(), out);
      }
      map.end();
    }
    fields.end();
  }

  private static void user(EventUser user, StringBuilder out) {
    Fields fields = new Fields(out);
    if (user.hasUserId()) {
      fields.name("userId");
      out.append('"').append(user.getUserId()).append('"');
    }
    if (user.hasAnonymousUserId()) {
      fields.name("anonymousUserId").string(user.getAnonymousUserId());
    }
    if (user.hasSamsExternalId()) {
      fields.name("samsExternalId").string(user.getSamsExternalId());
    }
    fields.end();
  }

  private static void featureFlags(EventFeatureFlags flags, StringBuilder out) {
    Fields fields = new Fields(out);
    if (flags.getFlagsCount() > 0) {
      fields.name("flags");
      Fields map = new Fields(out);
      for (Map.Entry<String, String> entry : flags.getFlagsMap().entrySet()) {
        map.name(entry.getKey()).string(entry.getValue());
      }
      map.end();
    }
    fields.end();
  }

  private static void marketingTracking(EventMarketingTracking tracking, StringBuilder out) {
    Fields fields = new Fields(out);
    for (MarketingField field : MarketingField.values()) {
      String value = field.valueIn(tracking);
      if (value != null) {
        fields.name(field.jsonName()).string(value);
      }
    }
    fields.end();
  }

  private static void interaction(EventInteraction interaction, StringBuilder out) {
    Fields fields = new Fields(out);
    if (interaction.hasTraceId()) {
      fields.name("traceId").string(interaction.getTraceId());
    }
    if (interaction.hasInteractionId()) {
      fields.name("interactionId").string(interaction.getInteractionId());
    }
    if (interaction.hasGeolocation()) {
      fields.name("geolocation");
      Fields geolocation = new Fields(out);
      if (!interaction.getGeolocation().getCountryCode().isEmpty()) {
        geolocation.name("countryCode").string(interaction.getGeolocation().getCountryCode());
      }
      geolocation.end();
    }
    fields.end();
  }

  /** RFC 3339 in UTC, with 0, 3, 6 or 9 fractional digits, as {@link Timestamps#toString}. */
  private static void timestamp(Timestamp timestamp, StringBuilder out) {
    if (timestamp.getSeconds() < 0 || !Timestamps.isValid(timestamp)) {
      // Before 1970 (rare, and calendars differ there), or invalid: the general printer's words.
      out.append('"').append(Timestamps.toString(timestamp)).append('"');
      return;
    }
    LocalDateTime time = LocalDateTime.ofEpochSecond(timestamp.getSeconds(), 0, ZoneOffset.UTC);
    out.append('"');
    digits(out, time.getYear(), 4).append('-');
    digits(out, time.getMonthValue(), 2).append('-');
    digits(out, time.getDayOfMonth(), 2).append('T');
    digits(out, time.getHour(), 2).append(':');
    digits(out, time.getMinute(), 2).append(':');
    digits(out, time.getSecond(), 2);
    int nanos = timestamp.getNanos();
    if (nanos != 0) {
      out.append('.');
      if (nanos % 1_000_000 == 0) {
        digits(out, nanos / 1_000_000, 3);
      } else if (nanos % 1_000 == 0) {
        digits(out, nanos / 1_000, 6);
      } else {
        digits(out, nanos, 9);
      }
    }
    out.append("Z\"");
  }

  private static StringBuilder digits(StringBuilder out, int value, int width) {
    String text = Integer.toString(value);
    for (int i = text.length(); i < width; i++) {
      out.append('0');
    }
    return out.append(text);
  }

  private static void number(double value, StringBuilder out) {
    if (Double.isNaN(value)) {
      out.append("\"NaN\"");
    } else if (Double.isInfinite(value)) {
      out.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      out.append(Double.toString(value));
    }
  }

  /** A JSON string of {@code value}, escaped as Gson escapes (the HTML characters included). */
  static void string(String value, StringBuilder out) {
    out.append('"');
    int plain = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      String escape = escape(c);
      if (escape == null) {
        continue;
      }
      out.append(value, plain, i).append(escape);
      plain = i + 1;
    }
    out.append(value, plain, value.length()).append('"');
  }

  private static String escape(char c) {
    if (c >= 0x20 && c < 0x7f) {
      return switch (c) {
        case '"' -> "\\\"";
        case '\\' -> "\\\\";
        case '<', '>', '&', '=', '\'' -> unicode(c);
        default -> null;
      };
    }
    return switch (c) {
      case '\t' -> "\\t";
      case '\b' -> "\\b";
      case '\n' -> "\\n";
      case '\r' -> "\\r";
      case '\f' -> "\\f";
      case '\u2028', '\u2029' -> unicode(c);
      default -> c < 0x20 ? unicode(c) : null;
    };
  }

  private static String unicode(char c) {
    return new String(
        new char[] {
          '\\', 'u', HEX[c >> 12], HEX[(c >> 8) & 0xf], HEX[(c >> 4) & 0xf], HEX[c & 0xf]
        });
  }

  /** The fields of one JSON object, written as they come: a comma before all but the first. */
  private static final class Fields {
    private final StringBuilder out;
    private boolean first = true;

    Fields(StringBuilder out) {
      this.out = out;
      out.append('{');
    }

    /** Starts a field: its name and the colon. */
    Fields name(String name) {
      if (!first) {
        out.append(',');
      }
      first = false;
      MessageJson.string(name, out);
      out.append(':');
      return this;
    }

    /** A string value for the field just named. */
    void string(String value) {
      MessageJson.string(value, out);
    }

    void end() {
      out.append('}');
    }
  }
}
