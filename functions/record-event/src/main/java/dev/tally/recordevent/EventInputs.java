package dev.tally.recordevent;

import dev.tally.event.EventInput;
import dev.tally.event.MarketingField;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.time.OffsetDateTime;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns {@code TelemetryEventInput} values, as graphql-java coerced them, into events to record.
 */
final class EventInputs {
  private EventInputs() {}

  @SuppressWarnings("unchecked")
  static EventInput from(Map<String, Object> event) {
    Map<String, Object> source = (Map<String, Object>) event.get("source");
    Map<String, Object> parameters = (Map<String, Object>) event.get("parameters");
    Map<String, Object> metadata = new LinkedHashMap<>();
    List<Map<String, Object>> entries = (List<Map<String, Object>>) parameters.get("metadata");
    if (entries != null) {
      for (Map<String, Object> entry : entries) {
        metadata.put((String) entry.get("key"), entry.get("value"));
      }
    }
    Map<String, Object> billing = (Map<String, Object>) parameters.get("billingMetadata");
    OffsetDateTime timestamp = (OffsetDateTime) event.get("timestamp");
    return new EventInput(
        (String) event.get("feature"),
        (String) event.get("action"),
        timestamp == null ? null : timestamp.toInstant(),
        new EventInput.Client((String) source.get("client"), (String) source.get("clientVersion")),
        new EventInput.Parameters(
            (Integer) parameters.get("version"),
            metadata,
            parameters.get("privateMetadata"),
            billing == null
                ? null
                : new EventInput.Billing(
                    (String) billing.get("product"), (String) billing.get("category")),
            (String) parameters.get("interactionID")),
        marketingTracking((Map<String, Object>) event.get("marketingTracking")));
  }

  private static EventMarketingTracking marketingTracking(Map<String, Object> input) {
    if (input == null) {
      return null;
    }
    Map<MarketingField, String> values = new EnumMap<>(MarketingField.class);
    for (MarketingField field : MarketingField.values()) {
      values.put(field, (String) input.get(field.inputName()));
    }
    return MarketingField.tracking(values);
  }
}
