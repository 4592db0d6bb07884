package dev.tally.catalogstore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The replay preview of a candidate catalog against the version in force: what changed in the file,
 * and what the change does to the instance's stored events of the last {@link #days} days.
 *
 * <p>Stored with each applied version ({@code event_catalog_versions.diff}, in the shape of {@link
 * #toJson}, the same as the GraphQL type {@code CatalogDiff}), shown by {@code catalog diff} and
 * {@code catalog apply}.
 *
 * @param fromVersion the version in force the candidate is compared with; 0 for none
 * @param days the days of stored events replayed, today (UTC) included
 * @param eventsReplayed the stored V2 events replayed: those not kept local for another reason
 * @param entryChanges entries added, removed or changed, each as {@code feature.action: what}
 * @param policyChanges policy modes changed, each as {@code name: from -> to}
 * @param events per event name whose stored events' fate changes, most affected events first
 * @param newlyExported events exported under the candidate and held under the version in force
 * @param newlyHeld events held under the candidate and exported under the version in force
 */
public record CatalogDiff(
    long fromVersion,
    int days,
    long eventsReplayed,
    List<String> entryChanges,
    List<String> policyChanges,
    List<EventDiff> events,
    long newlyExported,
    long newlyHeld) {

  public CatalogDiff {
    entryChanges = List.copyOf(entryChanges);
    policyChanges = List.copyOf(policyChanges);
    events = List.copyOf(events);
  }

  /**
   * How the candidate changes the fate of one event name's stored events.
   *
   * @param entry the candidate's entry that matches the name ({@code feature.action}, the action
   *     maybe a pattern), or null
   * @param privateKeys the private-metadata keys whose fate changes, by name
   * @param metadataKeys the metadata keys whose fate changes, by name
   * @param sample up to 3 IDs of affected stored events
   */
  public record EventDiff(
      String feature,
      String action,
      String entry,
      long newlyExported,
      long newlyHeld,
      List<KeyDiff> privateKeys,
      List<KeyDiff> metadataKeys,
      List<String> sample) {
    public EventDiff {
      Objects.requireNonNull(feature, "feature");
      Objects.requireNonNull(action, "action");
      privateKeys = List.copyOf(privateKeys);
      metadataKeys = List.copyOf(metadataKeys);
      sample = List.copyOf(sample);
    }

    /** {@code feature.action}. */
    public String name() {
      return feature + "." + action;
    }
  }

  /**
   * How the candidate changes one key's fate. A key leaves with an event when the event leaves the
   * instance and the key is in its exported copy: so a newly exported event's exported keys newly
   * leave, and a newly held event's keys that left are newly withheld.
   *
   * @param newlyLeaving the events it newly leaves with
   * @param newlyWithheld the events it newly stays out of (withheld, dropped, or held with them)
   */
  public record KeyDiff(String key, long newlyLeaving, long newlyWithheld) {}

  /** Whether the candidate changes nothing: no entry, no mode, no stored event's fate. */
  public boolean isEmpty() {
    return entryChanges.isEmpty() && policyChanges.isEmpty() && events.isEmpty();
  }

  /** The diff as plain JSON values, as stored and as the GraphQL type {@code CatalogDiff}. */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("fromVersion", fromVersion);
    json.put("days", days);
    json.put("eventsReplayed", eventsReplayed);
    json.put("entryChanges", entryChanges);
    json.put("policyChanges", policyChanges);
    List<Object> eventDiffs = new ArrayList<>(events.size());
    for (EventDiff event : events) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("feature", event.feature());
      e.put("action", event.action());
      e.put("entry", event.entry());
      e.put("newlyExported", event.newlyExported());
      e.put("newlyHeld", event.newlyHeld());
      e.put("privateKeys", keysJson(event.privateKeys()));
      e.put("metadataKeys", keysJson(event.metadataKeys()));
      e.put("sample", event.sample());
      eventDiffs.add(e);
    }
    json.put("events", eventDiffs);
    json.put("newlyExported", newlyExported);
    json.put("newlyHeld", newlyHeld);
    return json;
  }

  private static List<Object> keysJson(List<KeyDiff> keys) {
    List<Object> json = new ArrayList<>(keys.size());
    for (KeyDiff key : keys) {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("key", key.key());
      k.put("newlyLeaving", key.newlyLeaving());
      k.put("newlyWithheld", key.newlyWithheld());
      json.add(k);
    }
    return json;
  }

  /**
   * The diff {@link #toJson} wrote, read back.
   *
   * @throws IllegalArgumentException when {@code json} is not of that shape
   */
  public static CatalogDiff fromJson(Object json) {
    Map<?, ?> diff = map(json, "the diff");
    List<EventDiff> events = new ArrayList<>();
    for (Object value : list(diff.get("events"), "events")) {
      Map<?, ?> e = map(value, "an event of the diff");
      events.add(
          new EventDiff(
              text(e.get("feature")),
              text(e.get("action")),
              text(e.get("entry")),
              number(e.get("newlyExported")),
              number(e.get("newlyHeld")),
              keys(e.get("privateKeys")),
              keys(e.get("metadataKeys")),
              texts(e.get("sample"))));
    }
    return new CatalogDiff(
        number(diff.get("fromVersion")),
        (int) number(diff.get("days")),
        number(diff.get("eventsReplayed")),
        texts(diff.get("entryChanges")),
        texts(diff.get("policyChanges")),
        events,
        number(diff.get("newlyExported")),
        number(diff.get("newlyHeld")));
  }

  private static List<KeyDiff> keys(Object json) {
    List<KeyDiff> keys = new ArrayList<>();
    for (Object value : list(json, "keys")) {
      Map<?, ?> k = map(value, "a key of the diff");
      keys.add(
          new KeyDiff(
              text(k.get("key")), number(k.get("newlyLeaving")), number(k.get("newlyWithheld"))));
    }
    return keys;
  }

  private static Map<?, ?> map(Object json, String what) {
    if (json instanceof Map<?, ?> map) {
      return map;
    }
    throw new IllegalArgumentException(what + " is not a JSON object");
  }

  private static List<?> list(Object json, String what) {
    if (json == null) {
      return List.of();
    }
    if (json instanceof List<?> list) {
      return list;
    }
    throw new IllegalArgumentException(what + " is not a JSON array");
  }

  private static List<String> texts(Object json) {
    List<String> texts = new ArrayList<>();
    for (Object value : list(json, "a list of the diff")) {
      texts.add(String.valueOf(value));
    }
    return texts;
  }

  private static String text(Object json) {
    return json == null ? null : String.valueOf(json);
  }

  private static long number(Object json) {
    if (json instanceof Number number) {
      return number.longValue();
    }
    throw new IllegalArgumentException("a count of the diff is not a number: " + json);
  }

  /**
   * The diff for people to read, as {@code catalog diff} prints it: a summary line, the file's
   * changes, then each event name with its counts, keys and sample.
   */
  public String toText() {
    StringBuilder text = new StringBuilder();
    text.append(
        String.format(
            Locale.ROOT,
            "against version %d, replaying %,d stored event(s) of the last %d day(s):"
                + " %,d newly exported, %,d newly held%n",
            fromVersion,
            eventsReplayed,
            days,
            newlyExported,
            newlyHeld));
    if (isEmpty()) {
      return text.append("no change").append(System.lineSeparator()).toString();
    }
    section(text, "policy", policyChanges);
    section(text, "entries", entryChanges);
    if (!events.isEmpty()) {
      text.append(System.lineSeparator()).append("events whose fate changes:");
      text.append(System.lineSeparator());
      for (EventDiff event : events) {
        text.append("  ").append(printable(event.name()));
        text.append(
            event.entry() == null ? "  (no entry)" : "  (entry " + printable(event.entry()) + ")");
        if (event.newlyExported() > 0) {
          text.append(String.format(Locale.ROOT, "  newly exported %,d", event.newlyExported()));
        }
        if (event.newlyHeld() > 0) {
          text.append(String.format(Locale.ROOT, "  newly held %,d", event.newlyHeld()));
        }
        text.append(System.lineSeparator());
        keysText(text, "private key", event.privateKeys());
        keysText(text, "metadata key", event.metadataKeys());
        if (!event.sample().isEmpty()) {
          text.append("    sample: ").append(String.join(", ", event.sample()));
          text.append(System.lineSeparator());
        }
      }
    }
    return text.toString();
  }

  private static void section(StringBuilder text, String title, List<String> lines) {
    if (lines.isEmpty()) {
      return;
    }
    text.append(System.lineSeparator()).append(title).append(':').append(System.lineSeparator());
    for (String line : lines) {
      text.append("  ").append(printable(line)).append(System.lineSeparator());
    }
  }

  private static void keysText(StringBuilder text, String kind, List<KeyDiff> keys) {
    for (KeyDiff key : keys) {
      text.append("    ").append(kind).append(' ').append(printable(key.key())).append(':');
      if (key.newlyLeaving() > 0) {
        text.append(String.format(Locale.ROOT, " newly leaves with %,d", key.newlyLeaving()));
      }
      if (key.newlyWithheld() > 0) {
        text.append(String.format(Locale.ROOT, " newly withheld from %,d", key.newlyWithheld()));
      }
      text.append(System.lineSeparator());
    }
  }

  /** A name as one line of plain text: control characters (a terminal's escapes) become spaces. */
  private static String printable(String text) {
    return text.replaceAll("\\p{Cntrl}", " ");
  }
}
