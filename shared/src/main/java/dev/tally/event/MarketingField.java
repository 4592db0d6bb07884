package dev.tally.event;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The marketing fields of an event ({@code EventMarketingTracking}): the one list of them that
 * every step derives its names from, in the order of their field numbers.
 *
 * <p>Each field has three names, all derived from here: the name clients send it by ({@link
 * #inputName()}: a field of the GraphQL {@code TelemetryEventMarketingTrackingInput} and an
 * argument of the legacy {@code logEvent}), its protobuf field ({@link #descriptor()}, whose name
 * is also its {@code event_logs} column, {@link #column()}, and whose JSON name is what a published
 * message holds, {@link #jsonName()}); and a bound ({@link #maxBytes()}).
 */
public enum MarketingField {
  URL(
      EventMarketingTracking.URL_FIELD_NUMBER,
      "url",
      TextBounds.URL_BYTES,
      t -> t.hasUrl() ? t.getUrl() : null,
      EventMarketingTracking.Builder::setUrl),
  FIRST_SOURCE_URL(
      EventMarketingTracking.FIRST_SOURCE_URL_FIELD_NUMBER,
      "firstSourceURL",
      TextBounds.URL_BYTES,
      t -> t.hasFirstSourceUrl() ? t.getFirstSourceUrl() : null,
      EventMarketingTracking.Builder::setFirstSourceUrl),
  COHORT_ID(
      EventMarketingTracking.COHORT_ID_FIELD_NUMBER,
      "cohortID",
      TextBounds.MARKETING_ID_BYTES,
      t -> t.hasCohortId() ? t.getCohortId() : null,
      EventMarketingTracking.Builder::setCohortId),
  REFERRER(
      EventMarketingTracking.REFERRER_FIELD_NUMBER,
      "referrer",
      TextBounds.URL_BYTES,
      t -> t.hasReferrer() ? t.getReferrer() : null,
      EventMarketingTracking.Builder::setReferrer),
  LAST_SOURCE_URL(
      EventMarketingTracking.LAST_SOURCE_URL_FIELD_NUMBER,
      "lastSourceURL",
      TextBounds.URL_BYTES,
      t -> t.hasLastSourceUrl() ? t.getLastSourceUrl() : null,
      EventMarketingTracking.Builder::setLastSourceUrl),
  DEVICE_SESSION_ID(
      EventMarketingTracking.DEVICE_SESSION_ID_FIELD_NUMBER,
      "deviceSessionID",
      TextBounds.MARKETING_ID_BYTES,
      t -> t.hasDeviceSessionId() ? t.getDeviceSessionId() : null,
      EventMarketingTracking.Builder::setDeviceSessionId),
  SESSION_REFERRER(
      EventMarketingTracking.SESSION_REFERRER_FIELD_NUMBER,
      "sessionReferrer",
      TextBounds.URL_BYTES,
      t -> t.hasSessionReferrer() ? t.getSessionReferrer() : null,
      EventMarketingTracking.Builder::setSessionReferrer),
  SESSION_FIRST_URL(
      EventMarketingTracking.SESSION_FIRST_URL_FIELD_NUMBER,
      "sessionFirstURL",
      TextBounds.URL_BYTES,
      t -> t.hasSessionFirstUrl() ? t.getSessionFirstUrl() : null,
      EventMarketingTracking.Builder::setSessionFirstUrl);

  private static final Map<String, MarketingField> BY_INPUT_NAME =
      Arrays.stream(values())
          .collect(Collectors.toUnmodifiableMap(MarketingField::inputName, Function.identity()));

  private final FieldDescriptor descriptor;
  private final String inputName;
  private final int maxBytes;
  private final Function<EventMarketingTracking, String> value;
  private final BiConsumer<EventMarketingTracking.Builder, String> setter;

  MarketingField(
      int fieldNumber,
      String inputName,
      int maxBytes,
      Function<EventMarketingTracking, String> value,
      BiConsumer<EventMarketingTracking.Builder, String> setter) {
    this.descriptor = EventMarketingTracking.getDescriptor().findFieldByNumber(fieldNumber);
    this.inputName = inputName;
    this.maxBytes = maxBytes;
    this.value = value;
    this.setter = setter;
  }

  /** The protobuf field of {@code EventMarketingTracking}. */
  public FieldDescriptor descriptor() {
    return descriptor;
  }

  /**
   * The name clients send the field by: in {@code TelemetryEventMarketingTrackingInput}, as an
   * argument of the legacy {@code logEvent} and a field of its {@code Event} input, and in the
   * errors that name it.
   */
  public String inputName() {
    return inputName;
  }

  /** Its column in {@code event_logs}: the protobuf field's name, such as {@code cohort_id}. */
  public String column() {
    return descriptor.getName();
  }

  /** Its name in protobuf's JSON, as a published message holds it, such as {@code cohortId}. */
  public String jsonName() {
    return descriptor.getJsonName();
  }

  /** The longest value it may hold, in UTF-8 bytes ({@link TextBounds}). */
  public int maxBytes() {
    return maxBytes;
  }

  /** Its value in {@code tracking}, or {@code null} when the field is not set. */
  public String valueIn(EventMarketingTracking tracking) {
    return value.apply(tracking);
  }

  /** Sets it to {@code value}, which must not be {@code null}. */
  public void set(EventMarketingTracking.Builder tracking, String value) {
    setter.accept(tracking, value);
  }

  /** The field clients send by {@code inputName}, or empty when there is none. */
  public static Optional<MarketingField> byInputName(String inputName) {
    return Optional.ofNullable(BY_INPUT_NAME.get(inputName));
  }

  /**
   * The tracking that holds each of {@code values} that is not {@code null}.
   *
   * @param values by field, such as a request's inputs
   */
  public static EventMarketingTracking tracking(Map<MarketingField, String> values) {
    EventMarketingTracking.Builder tracking = EventMarketingTracking.newBuilder();
    values.forEach(
        (field, value) -> {
          if (value != null) {
            field.set(tracking, value);
          }
        });
    return tracking.build();
  }
}
