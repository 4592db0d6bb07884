package dev.tally.catalog;

import java.time.LocalDate;
import java.util.Map;

/**
 * One V2 event name as the observed catalog learned it from the recorded events: never values, only
 * names and counts.
 *
 * @param feature the events' feature
 * @param action the events' action
 * @param firstSeen the first UTC day one was recorded
 * @param lastSeen the last UTC day one was recorded
 * @param events7d events recorded over the last 7 days, today included
 * @param events30d events recorded over the last 30 days, today included
 * @param clients events by client name, most first
 * @param metadataKeys events that carried each numeric metadata key
 * @param privateKeys events that carried each private-metadata key
 * @param billing events by billing {@code product:category}
 */
public record ObservedEvent(
    String feature,
    String action,
    LocalDate firstSeen,
    LocalDate lastSeen,
    long events7d,
    long events30d,
    Map<String, Long> clients,
    Map<String, Long> metadataKeys,
    Map<String, Long> privateKeys,
    Map<String, Long> billing) {

  /** {@code feature.action}. */
  public String name() {
    return feature + "." + action;
  }
}
