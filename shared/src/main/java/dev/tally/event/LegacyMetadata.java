package dev.tally.event;

import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.util.Map;

/**
 * Folds the integer {@code legacy_metadata} of older senders into {@code metadata}.
 *
 * <p>A key present in both keeps its {@code metadata} value: that field is the current one, and a
 * sender that fills both has already made its choice.
 */
public final class LegacyMetadata {
  private LegacyMetadata() {}

  /** The event with {@code legacy_metadata} merged into {@code metadata} and cleared. */
  public static Event merge(Event event) {
    EventParameters parameters = event.getParameters();
    if (parameters.getLegacyMetadataCount() == 0) {
      return event;
    }
    EventParameters.Builder merged = parameters.toBuilder().clearLegacyMetadata();
    for (Map.Entry<String, Long> entry : parameters.getLegacyMetadataMap().entrySet()) {
      if (!parameters.containsMetadata(entry.getKey())) {
        merged.putMetadata(entry.getKey(), entry.getValue().doubleValue());
      }
    }
    return event.toBuilder().setParameters(merged).build();
  }
}
