package dev.tally.recordevent.console;

import java.util.Locale;

/** The catalog's values in the console's words: modes, statuses, counts of events. */
final class CatalogWords {
  private CatalogWords() {}

  /** {@code 1 event}, {@code 1,204 events}. */
  static String events(long count) {
    return number(count) + (count == 1 ? " event" : " events");
  }

  /** {@code 1,204}. */
  static String number(long count) {
    return String.format(Locale.ROOT, "%,d", count);
  }

  /** What a mode for unplanned events does to an event. */
  static String eventMode(String mode) {
    return switch (mode) {
      case "off" -> "recorded and exported as any other event";
      case "shadow" -> "exported as before, and counted as events the catalog would hold";
      case "hold" ->
          "stored and kept on this instance, never exported, until a version of the catalog"
              + " plans them";
      default -> "a mode this console does not know";
    };
  }

  /** What a mode for unplanned keys does to an exported copy. */
  static String keyMode(String mode) {
    return switch (mode) {
      case "off" -> "leave as the redaction rules allow";
      case "shadow" -> "leave as the redaction rules allow, and are counted as keys it would drop";
      case "drop" -> "removed from the exported copy; this instance keeps them";
      default -> "a mode this console does not know";
    };
  }

  /** An entry's status in words: deprecated ones with their sunset. */
  static String status(String status, String sunset) {
    return switch (status) {
      case "deprecated" -> sunset == null ? "deprecated" : "deprecated, sunset " + sunset;
      case "proposed" -> "proposed: not planned yet";
      default -> status;
    };
  }

  /** A key's kind in words: {@code metadata} or {@code private}. */
  static String keyKind(String kind) {
    return switch (kind) {
      case "private" -> "private-metadata key";
      case "metadata" -> "metadata key";
      default -> kind + " key";
    };
  }

  /** What happened to a key: {@code dropped} or {@code would_drop}. */
  static String keyOutcome(String outcome) {
    return switch (outcome) {
      case "would_drop" -> "would drop";
      case "dropped" -> "dropped";
      default -> outcome;
    };
  }
}
