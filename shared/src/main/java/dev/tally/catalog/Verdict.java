package dev.tally.catalog;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the catalog in force does with one event that may be exported.
 *
 * @param entry the entry that matches the event, or null
 * @param event what happens to the event as a whole
 * @param metadataKeys the event's unplanned metadata keys the policy counts or drops
 * @param privateKeys the event's unplanned private-metadata keys the policy counts or drops, among
 *     those the redaction rules alone would have let leave
 * @param exportedPrivateKeys the event's private-metadata keys that leave with it
 */
public record Verdict(
    CatalogEntry entry,
    EventOutcome event,
    Map<String, KeyOutcome> metadataKeys,
    Map<String, KeyOutcome> privateKeys,
    Set<String> exportedPrivateKeys) {

  public Verdict {
    metadataKeys = Map.copyOf(metadataKeys);
    privateKeys = Map.copyOf(privateKeys);
    exportedPrivateKeys = Set.copyOf(exportedPrivateKeys);
  }

  /** What happens to an event as a whole. */
  public enum EventOutcome {
    /** An approved entry plans it (or a deprecated one before its sunset). */
    PLANNED,
    /** Nothing plans it; the policy lets it through uncounted. */
    UNPLANNED,
    /** Nothing plans it; exported, and counted as one the policy would hold. */
    WOULD_HOLD,
    /** Nothing plans it; kept on the instance until an applied version approves it. */
    HELD;

    /** The name stored in {@code event_logs.catalog_outcome} and shown in reports. */
    public String column() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** What happens to an unplanned key in the exported copy. */
  public enum KeyOutcome {
    /** Left in, and counted as one the policy would drop. */
    WOULD_DROP,
    /** Removed from the exported copy. */
    DROPPED;

    public String column() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether the event is kept on the instance. */
  public boolean held() {
    return event == EventOutcome.HELD;
  }

  /** The metadata keys removed from the exported copy. */
  public Set<String> droppedMetadataKeys() {
    return keysWith(metadataKeys, KeyOutcome.DROPPED);
  }

  /** Whether the policy did or would do anything to the event: what the shadow counters count. */
  public boolean reportable() {
    return event == EventOutcome.WOULD_HOLD
        || event == EventOutcome.HELD
        || !metadataKeys.isEmpty()
        || !privateKeys.isEmpty();
  }

  /**
   * The verdict as {@code event_logs.catalog_outcome} stores it: the catalog version, and what was
   * or would be done, by key name (never a value); null when there is nothing to report.
   */
  public Map<String, Object> toJson(long version) {
    if (!reportable()) {
      return null;
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("version", version);
    if (event == EventOutcome.WOULD_HOLD || event == EventOutcome.HELD) {
      json.put("event", event.column());
    }
    if (!metadataKeys.isEmpty()) {
      json.put("metadata", columns(metadataKeys));
    }
    if (!privateKeys.isEmpty()) {
      json.put("private", columns(privateKeys));
    }
    return json;
  }

  private static Map<String, String> columns(Map<String, KeyOutcome> keys) {
    Map<String, String> columns = new TreeMap<>();
    keys.forEach((key, outcome) -> columns.put(key, outcome.column()));
    return columns;
  }

  private static Set<String> keysWith(Map<String, KeyOutcome> keys, KeyOutcome outcome) {
    java.util.Set<String> matching = new java.util.TreeSet<>();
    keys.forEach(
        (key, o) -> {
          if (o == outcome) {
            matching.add(key);
          }
        });
    return matching;
  }
}
