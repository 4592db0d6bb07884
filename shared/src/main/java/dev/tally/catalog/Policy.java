package dev.tally.catalog;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the instance does with what its catalog does not plan: events, metadata keys and
 * private-metadata keys, each with its own mode. Enforcement never refuses a client's request: a
 * held event is stored and kept local, a dropped key is removed from the exported copy only.
 *
 * @param unplannedEvents events no approved entry plans
 * @param unplannedMetadataKeys metadata keys the event's entry does not list
 * @param unplannedPrivateKeys private-metadata keys the event's entry does not list
 */
public record Policy(
    EventMode unplannedEvents, KeyMode unplannedMetadataKeys, KeyMode unplannedPrivateKeys) {
  /** Every mode off: the catalog only documents. */
  public static final Policy OFF = new Policy(EventMode.OFF, KeyMode.OFF, KeyMode.OFF);

  public Policy {
    Objects.requireNonNull(unplannedEvents, "unplannedEvents");
    Objects.requireNonNull(unplannedMetadataKeys, "unplannedMetadataKeys");
    Objects.requireNonNull(unplannedPrivateKeys, "unplannedPrivateKeys");
  }

  /** What happens to an unplanned event. */
  public enum EventMode {
    /** Nothing: it is exported as any event. */
    OFF,
    /** Nothing, but it is counted as an event the catalog would hold. */
    SHADOW,
    /** Stored and kept on the instance ({@code kept_local_reason = unplanned}) until approved. */
    HOLD;

    public String fileName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What happens to an unplanned key in an event's exported copy. */
  public enum KeyMode {
    /** Nothing: it leaves as the redaction rules allow. */
    OFF,
    /** Nothing, but it is counted as a key the catalog would drop. */
    SHADOW,
    /** Removed from the exported copy; the instance keeps it. */
    DROP;

    public String fileName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The policy as the catalog file writes it. */
  Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("unplannedEvents", unplannedEvents.fileName());
    json.put("unplannedMetadataKeys", unplannedMetadataKeys.fileName());
    json.put("unplannedPrivateKeys", unplannedPrivateKeys.fileName());
    return json;
  }
}
