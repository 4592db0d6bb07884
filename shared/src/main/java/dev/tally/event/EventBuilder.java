package dev.tally.event;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.NoArgGenerator;
import com.fasterxml.uuid.UUIDClock;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventBillingMetadata;
import dev.tally.proto.telemetrygateway.v1.EventFeatureFlags;
import dev.tally.proto.telemetrygateway.v1.EventInteraction;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.EventSource;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Builds the exported form of a recorded event: validates what the caller gave and adds a UUIDv7
 * ID, the time, the server version, the user, the feature flags and the interaction.
 *
 * <p>Thread-safe; one instance serves a whole process.
 */
public final class EventBuilder {
  private final Clock clock;
  private final String serverVersion;
  private final NoArgGenerator ids;

  /**
   * @param clock the source of event times and of the time part of event IDs
   * @param serverVersion the version of this server, stored in every event's source
   */
  public EventBuilder(Clock clock, String serverVersion) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.serverVersion = Objects.requireNonNull(serverVersion, "serverVersion");
    this.ids =
        Generators.timeBasedEpochGenerator(
            new SecureRandom(),
            new UUIDClock() {
              @Override
              public long currentTimeMillis() {
                return clock.millis();
              }
            });
  }

  /** The clock events are timed by. */
  public Clock clock() {
    return clock;
  }

  /** The version of this server stored in every event. */
  public String serverVersion() {
    return serverVersion;
  }

  /** A new event ID: a UUIDv7 from the clock, later than every ID this builder gave before. */
  public UUID newId() {
    return ids.generate();
  }

  /**
   * Builds one event.
   *
   * @throws InvalidEventException naming the field at fault when the input breaks a rule
   */
  public Event build(EventInput input, EventContext context) {
    EventNames.check(input.feature(), input.action());
    Event.Builder event =
        Event.newBuilder()
            .setId(newId().toString())
            .setTimestamp(timestamp(input.timestamp()))
            .setFeature(input.feature())
            .setAction(input.action())
            .setSource(source(input.client()))
            .setParameters(parameters(input.parameters()));

    Actor actor = context.actor();
    if (!actor.isUnknown()) {
      EventUser.Builder user = EventUser.newBuilder();
      if (actor.userId() != null) {
        user.setUserId(actor.userId());
      }
      if (actor.anonymousUserId() != null) {
        user.setAnonymousUserId(actor.anonymousUserId());
      }
      event.setUser(user);
    }
    if (!context.featureFlags().isEmpty()) {
      EventFeatureFlags.Builder flags = EventFeatureFlags.newBuilder();
      context.featureFlags().forEach((name, on) -> flags.putFlags(name, on ? "true" : "false"));
      event.setFeatureFlags(flags);
    }
    if (input.marketingTracking() != null) {
      event.setMarketingTracking(input.marketingTracking());
    }
    String interactionId =
        firstNonBlank(input.parameters().interactionId(), context.interactionId());
    if (interactionId != null || context.traceId() != null) {
      EventInteraction.Builder interaction = EventInteraction.newBuilder();
      if (interactionId != null) {
        interaction.setInteractionId(interactionId);
      }
      if (context.traceId() != null) {
        interaction.setTraceId(context.traceId());
      }
      event.setInteraction(interaction);
    }
    return event.build();
  }

  private EventSource source(EventInput.Client client) {
    EventSource.Builder source =
        EventSource.newBuilder()
            .setServer(EventSource.Server.newBuilder().setVersion(serverVersion));
    if (client != null) {
      if (client.name() == null || client.name().isBlank()) {
        throw new InvalidEventException("'source.client' must be provided");
      }
      EventSource.Client.Builder c = EventSource.Client.newBuilder().setName(client.name());
      if (client.version() != null) {
        c.setVersion(client.version());
      }
      source.setClient(c);
    }
    return source.build();
  }

  private static EventParameters parameters(EventInput.Parameters input) {
    EventParameters.Builder parameters = EventParameters.newBuilder().setVersion(input.version());
    // Sorted so that the same input always encodes to the same bytes.
    for (Map.Entry<String, ?> entry : new TreeMap<String, Object>(input.metadata()).entrySet()) {
      parameters.putMetadata(entry.getKey(), metadataValue(entry.getKey(), entry.getValue()));
    }
    if (input.privateMetadata() != null) {
      parameters.setPrivateMetadata(PrivateMetadata.toStruct(input.privateMetadata()));
    }
    if (input.billing() != null) {
      EventInput.Billing billing = input.billing();
      if (isBlank(billing.product()) || isBlank(billing.category())) {
        throw new InvalidEventException(
            "'billingMetadata' needs both 'product' and 'category' when given");
      }
      parameters.setBillingMetadata(
          EventBillingMetadata.newBuilder()
              .setProduct(billing.product())
              .setCategory(billing.category()));
    }
    return parameters.build();
  }

  private static double metadataValue(String key, Object value) {
    if (key == null || key.isEmpty()) {
      throw new InvalidEventException("metadata keys must not be empty");
    }
    if (!(value instanceof Number number)) {
      String got =
          value == null ? "null" : value instanceof String ? "a string" : "a " + jsonType(value);
      throw new InvalidEventException(
          "metadata value of key '" + key + "' must be a number, got " + got);
    }
    double d = number.doubleValue();
    if (!Double.isFinite(d)) {
      throw new InvalidEventException(
          "metadata value of key '" + key + "' must be a finite number, got " + number);
    }
    return d;
  }

  private static String jsonType(Object value) {
    if (value instanceof Boolean) {
      return "boolean";
    }
    if (value instanceof Map) {
      return "object";
    }
    if (value instanceof Iterable) {
      return "list";
    }
    return value.getClass().getSimpleName();
  }

  private Timestamp timestamp(Instant given) {
    Instant instant = given != null ? given : clock.instant();
    Timestamp timestamp =
        Timestamp.newBuilder()
            .setSeconds(instant.getEpochSecond())
            .setNanos(instant.getNano())
            .build();
    if (!Timestamps.isValid(timestamp)) {
      throw new InvalidEventException(
          "'timestamp' must be between 0001-01-01 and 9999-12-31, got " + instant);
    }
    return timestamp;
  }

  private static String firstNonBlank(String a, String b) {
    return !isBlank(a) ? a : !isBlank(b) ? b : null;
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
