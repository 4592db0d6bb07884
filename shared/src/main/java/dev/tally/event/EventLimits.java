package dev.tally.event;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.EventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Bounds on one recorded event, chosen so that whatever is stored can also be exported: every step
 * after the queue (the exporter's requests, the gateway's protobuf parsing and JSON printing,
 * Pub/Sub's message and attribute limits) carries any event within them. {@link #check} applies
 * them, with the rules for text and time, to a built event.
 *
 * @param maxEventBytes encoded size of the event ({@value #MAX_EVENT_BYTES})
 * @param maxPrivateMetadataBytes encoded size of its private metadata ({@value
 *     #MAX_PRIVATE_METADATA_BYTES})
 * @param maxMetadataKeys numeric metadata entries ({@value #MAX_METADATA_KEYS})
 * @param maxKeyBytes UTF-8 length of a metadata or private metadata key ({@value #MAX_KEY_BYTES})
 * @param maxPrivateMetadataDepth objects and lists nested in private metadata, the outermost object
 *     included ({@value #MAX_PRIVATE_METADATA_DEPTH})
 * @param maxPrivateMetadataKeys keys in private metadata, at all levels together ({@value
 *     #MAX_PRIVATE_METADATA_KEYS})
 * @param maxPast how far before the server's time a client's timestamp may be ({@value
 *     #TIMESTAMP_MAX_PAST})
 * @param maxFuture how far after the server's time a client's timestamp may be ({@value
 *     #TIMESTAMP_MAX_FUTURE})
 */
public record EventLimits(
    int maxEventBytes,
    int maxPrivateMetadataBytes,
    int maxMetadataKeys,
    int maxKeyBytes,
    int maxPrivateMetadataDepth,
    int maxPrivateMetadataKeys,
    Duration maxPast,
    Duration maxFuture) {

  public static final String MAX_EVENT_BYTES = "TELEMETRY_MAX_EVENT_BYTES";
  public static final String MAX_PRIVATE_METADATA_BYTES = "TELEMETRY_MAX_PRIVATE_METADATA_BYTES";
  public static final String MAX_METADATA_KEYS = "TELEMETRY_MAX_METADATA_KEYS";
  public static final String MAX_KEY_BYTES = "TELEMETRY_MAX_METADATA_KEY_BYTES";
  public static final String MAX_PRIVATE_METADATA_DEPTH = "TELEMETRY_MAX_PRIVATE_METADATA_DEPTH";
  public static final String MAX_PRIVATE_METADATA_KEYS = "TELEMETRY_MAX_PRIVATE_METADATA_KEYS";
  public static final String TIMESTAMP_MAX_PAST = "TELEMETRY_TIMESTAMP_MAX_PAST";
  public static final String TIMESTAMP_MAX_FUTURE = "TELEMETRY_TIMESTAMP_MAX_FUTURE";

  /**
   * The largest event any setting allows: its JSON on Pub/Sub (at most six bytes per encoded byte,
   * for escaped control characters) stays under Pub/Sub's 10 MB per message.
   */
  public static final int EVENT_BYTES_CEILING = 1024 * 1024;

  /** The longest key any setting allows: {@code event.<key>} fits Pub/Sub's 256-byte keys. */
  public static final int KEY_BYTES_CEILING = 250;

  /**
   * The deepest private metadata any setting allows. protobuf parses at most 100 nested messages; a
   * gateway request takes 7 to reach the outermost value, each further level 3.
   */
  public static final int DEPTH_CEILING = 20;

  /**
   * 64 KiB per event, 32 KiB of private metadata, 100 metadata keys of at most 128 bytes, private
   * metadata 10 levels deep with at most 1,000 keys, timestamps from 90 days before to 1 day after
   * the server's time: beyond what telemetry clients send, and what a buffered web SDK or an IDE
   * extension that was offline for weeks holds.
   */
  public static final EventLimits DEFAULTS =
      new EventLimits(
          64 * 1024, 32 * 1024, 100, 128, 10, 1000, Duration.ofDays(90), Duration.ofDays(1));

  public EventLimits {
    if (maxEventBytes < 1 || maxEventBytes > EVENT_BYTES_CEILING) {
      throw new IllegalArgumentException("maxEventBytes out of range: " + maxEventBytes);
    }
    if (maxKeyBytes < 1 || maxKeyBytes > KEY_BYTES_CEILING) {
      throw new IllegalArgumentException("maxKeyBytes out of range: " + maxKeyBytes);
    }
    if (maxPrivateMetadataDepth < 1 || maxPrivateMetadataDepth > DEPTH_CEILING) {
      throw new IllegalArgumentException(
          "maxPrivateMetadataDepth out of range: " + maxPrivateMetadataDepth);
    }
    if (maxPrivateMetadataBytes < 0 || maxMetadataKeys < 0 || maxPrivateMetadataKeys < 0) {
      throw new IllegalArgumentException("limits must not be negative");
    }
    if (maxPast.isNegative() || maxFuture.isNegative()) {
      throw new IllegalArgumentException("the timestamp window must not be negative");
    }
  }

  /** These limits with other sizes of the event and of its private metadata. */
  public EventLimits withSizes(int maxEventBytes, int maxPrivateMetadataBytes) {
    return new EventLimits(
        maxEventBytes,
        maxPrivateMetadataBytes,
        maxMetadataKeys,
        maxKeyBytes,
        maxPrivateMetadataDepth,
        maxPrivateMetadataKeys,
        maxPast,
        maxFuture);
  }

  /**
   * Checks a built event: its timestamp lies in the window around {@code now}, all its text can be
   * stored ({@link StorableText}) and keeps within its bound ({@link TextBounds}), and it keeps
   * within every bound of its own.
   *
   * @throws InvalidEventException naming the field when the timestamp or a text is refused
   * @throws LimitExceededException naming the bound and its setting when one is exceeded
   */
  public void check(Event event, Instant now) {
    checkTimestamp(event, now);
    checkText(event);
    EventParameters parameters = event.getParameters();
    checkMetadata(parameters.getMetadataMap());
    if (parameters.hasPrivateMetadata()) {
      new PrivateMetadataWalk().struct(parameters.getPrivateMetadata(), "privateMetadata", 1);
      int privateBytes = parameters.getPrivateMetadata().getSerializedSize();
      if (privateBytes > maxPrivateMetadataBytes) {
        throw new LimitExceededException(
            "private metadata may take at most "
                + maxPrivateMetadataBytes
                + " bytes, got "
                + privateBytes,
            MAX_PRIVATE_METADATA_BYTES);
      }
    }
    int eventBytes = event.getSerializedSize();
    if (eventBytes > maxEventBytes) {
      throw new LimitExceededException(
          "an event may take at most " + maxEventBytes + " bytes, got " + eventBytes,
          MAX_EVENT_BYTES);
    }
  }

  private void checkTimestamp(Event event, Instant now) {
    Instant timestamp =
        Instant.ofEpochSecond(event.getTimestamp().getSeconds(), event.getTimestamp().getNanos());
    if (timestamp.isBefore(now.minus(maxPast)) || timestamp.isAfter(now.plus(maxFuture))) {
      throw new InvalidEventException(
          "'timestamp' must lie between "
              + Durations.describe(maxPast)
              + " before and "
              + Durations.describe(maxFuture)
              + " after the server's time ("
              + now
              + "), got "
              + timestamp
              + " (window set by "
              + TIMESTAMP_MAX_PAST
              + " and "
              + TIMESTAMP_MAX_FUTURE
              + ")");
    }
  }

  private static void checkText(Event event) {
    if (event.getSource().hasClient()) {
      EventSource.Client client = event.getSource().getClient();
      text(client.getName(), TextBounds.CLIENT_BYTES, "'source.client'");
      text(client.getVersion(), TextBounds.CLIENT_VERSION_BYTES, "'source.clientVersion'");
    }
    text(
        event.getUser().getAnonymousUserId(),
        TextBounds.ANONYMOUS_USER_ID_BYTES,
        "the anonymous user ID (X-Sourcegraph-Actor-Anonymous-UID)");
    text(
        event.getInteraction().getInteractionId(),
        TextBounds.INTERACTION_ID_BYTES,
        "the interaction ID");
    EventParameters parameters = event.getParameters();
    text(
        parameters.getBillingMetadata().getProduct(),
        TextBounds.BILLING_BYTES,
        "'parameters.billingMetadata.product'");
    text(
        parameters.getBillingMetadata().getCategory(),
        TextBounds.BILLING_BYTES,
        "'parameters.billingMetadata.category'");
    if (event.hasMarketingTracking()) {
      EventMarketingTracking tracking = event.getMarketingTracking();
      for (MarketingField field : MarketingField.values()) {
        String value = field.valueIn(tracking);
        if (value != null) {
          text(value, field.maxBytes(), "'marketingTracking." + field.inputName() + "'");
        }
      }
    }
  }

  private static void text(String value, int maxBytes, String field) {
    StorableText.check(value, field);
    TextBounds.check(value, maxBytes, field);
  }

  private void checkMetadata(Map<String, Double> metadata) {
    if (metadata.size() > maxMetadataKeys) {
      throw new LimitExceededException(
          "metadata may have at most " + maxMetadataKeys + " keys, got " + metadata.size(),
          MAX_METADATA_KEYS);
    }
    for (String key : metadata.keySet()) {
      StorableText.check(key, "metadata key " + StorableText.quote(key));
      checkKeyLength(key, "metadata key");
    }
  }

  private void checkKeyLength(String key, String what) {
    int bytes = StorableText.utf8Length(key);
    if (bytes > maxKeyBytes) {
      throw new LimitExceededException(
          what
              + " "
              + StorableText.quote(key)
              + " may be at most "
              + maxKeyBytes
              + " bytes long (UTF-8), got "
              + bytes,
          MAX_KEY_BYTES);
    }
  }

  /**
   * Checks a JSON value sent as text (the {@code argument} of a legacy event) by the rules of
   * private metadata: objects and lists at most {@link #maxPrivateMetadataDepth()} deep, at most
   * {@link #maxPrivateMetadataKeys()} keys at all levels, every key at most {@link #maxKeyBytes()}
   * long, all text storable, numbers finite. Its size is the caller's to check.
   *
   * @param json a {@link Map}, {@link List}, {@link String}, {@link Number}, {@link Boolean} or
   *     {@code null}, nested freely, as {@link dev.tally.json.Json#read(String)} returns
   * @param field names the value in errors, such as {@code argument}
   * @throws InvalidEventException naming the place when a text or number is refused
   * @throws LimitExceededException naming the bound and its setting when one is exceeded
   */
  public void checkJson(Object json, String field) {
    new JsonWalk().value(json, field, 0);
  }

  /** Walks a plain JSON value once, counting keys and checking depth, keys and text. */
  private final class JsonWalk {
    private int keys;

    void value(Object value, String path, int depth) {
      if (value instanceof Map<?, ?> map) {
        checkDepth(path, depth + 1);
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          String key = String.valueOf(entry.getKey());
          if (++keys > maxPrivateMetadataKeys) {
            throw new LimitExceededException(
                "'" + path + "' may have at most " + maxPrivateMetadataKeys + " keys in all",
                MAX_PRIVATE_METADATA_KEYS);
          }
          StorableText.check(key, "a key of '" + path + "'");
          checkKeyLength(key, "a key of '" + path + "',");
          value(entry.getValue(), path + "." + key, depth + 1);
        }
      } else if (value instanceof List<?> list) {
        checkDepth(path, depth + 1);
        for (int i = 0; i < list.size(); i++) {
          value(list.get(i), path + "[" + i + "]", depth + 1);
        }
      } else if (value instanceof String text) {
        StorableText.check(text, "'" + path + "'");
      } else if (value instanceof Double || value instanceof Float) {
        if (!Double.isFinite(((Number) value).doubleValue())) {
          throw new InvalidEventException("'" + path + "' must be a finite number");
        }
      }
    }

    private void checkDepth(String path, int depth) {
      EventLimits.this.checkDepth("JSON values", path, depth);
    }
  }

  /** Refuses a value nested deeper than {@link #maxPrivateMetadataDepth()}. */
  private void checkDepth(String what, String path, int depth) {
    if (depth > maxPrivateMetadataDepth) {
      throw new LimitExceededException(
          what
              + " may nest objects and lists at most "
              + maxPrivateMetadataDepth
              + " levels deep, but '"
              + path
              + "' is at level "
              + depth,
          MAX_PRIVATE_METADATA_DEPTH);
    }
  }

  /** Walks private metadata once, counting keys and checking depth, keys and text. */
  private final class PrivateMetadataWalk {
    private int keys;

    void struct(Struct struct, String path, int depth) {
      checkDepth(path, depth);
      for (Map.Entry<String, Value> field : struct.getFieldsMap().entrySet()) {
        String key = field.getKey();
        if (++keys > maxPrivateMetadataKeys) {
          throw new LimitExceededException(
              "private metadata may have at most " + maxPrivateMetadataKeys + " keys in all",
              MAX_PRIVATE_METADATA_KEYS);
        }
        StorableText.check(key, "a key of '" + path + "'");
        checkKeyLength(key, "a key of '" + path + "',");
        value(field.getValue(), path + "." + key, depth);
      }
    }

    private void list(ListValue list, String path, int depth) {
      checkDepth(path, depth);
      for (int i = 0; i < list.getValuesCount(); i++) {
        value(list.getValues(i), path + "[" + i + "]", depth);
      }
    }

    private void value(Value value, String path, int depth) {
      switch (value.getKindCase()) {
        case STRING_VALUE -> StorableText.check(value.getStringValue(), "'" + path + "'");
        case STRUCT_VALUE -> struct(value.getStructValue(), path, depth + 1);
        case LIST_VALUE -> list(value.getListValue(), path, depth + 1);
        case NUMBER_VALUE -> {
          if (!Double.isFinite(value.getNumberValue())) {
            throw new InvalidEventException("'" + path + "' must be a finite number");
          }
        }
        case BOOL_VALUE, NULL_VALUE, KIND_NOT_SET -> {}
      }
    }

    private void checkDepth(String path, int depth) {
      EventLimits.this.checkDepth("private metadata", path, depth);
    }
  }

  /** Short human forms of the window's durations: {@code 90 days}, {@code 36 hours}. */
  private static final class Durations {
    static String describe(Duration duration) {
      if (duration.isZero()) {
        return "0 seconds";
      }
      if (duration.toSeconds() % 86_400 == 0) {
        return plural(duration.toDays(), "day");
      }
      if (duration.toSeconds() % 3600 == 0) {
        return plural(duration.toHours(), "hour");
      }
      if (duration.toSeconds() % 60 == 0) {
        return plural(duration.toMinutes(), "minute");
      }
      return plural(duration.toSeconds(), "second");
    }

    private static String plural(long amount, String unit) {
      return amount + " " + unit + (amount == 1 ? "" : "s");
    }
  }
}
