package dev.tally.catalogfile;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.ObservedEvent;
import dev.tally.catalog.Status;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes the observed catalog as a draft catalog file (YAML) to commit: the catalog in force as it
 * is, and each observed event no entry matches as a {@code proposed} entry with the keys seen.
 *
 * <p>A private key of such an event is written {@code export: false}, unless it leaves the instance
 * today (the redaction rules let it, and the policy does not drop it): then {@code export: true}
 * with {@link #JUSTIFICATION_PLACEHOLDER}, which {@code catalog validate} refuses until someone
 * writes why it may leave, or sets {@code export: false}. So a draft applied as it is never changes
 * what leaves, and cannot be applied before a person has looked at every key that leaves.
 *
 * <p>The draft reads back ({@link CatalogFiles#read}) to exactly the catalog in force followed by
 * the proposed entries; what was observed is in comments only.
 */
public final class DraftWriter {
  /** The {@code $schema} a draft names: the {@code $id} of the published schema. */
  public static final String SCHEMA_ID = "urn:tally:event-catalog:1";

  /** The justification of a key that leaves today, which validation refuses until replaced. */
  public static final String JUSTIFICATION_PLACEHOLDER =
      "TODO: say why this key may leave the instance";

  /** Where the published schema is in Tally's sources. */
  static final String SCHEMA_PATH =
      "catalog/src/main/resources/dev/tally/catalogfile/" + CatalogSchema.RESOURCE;

  private DraftWriter() {}

  /**
   * The draft file.
   *
   * @param rules the catalog in force (its version, its entries and policy) and the redaction rules
   * @param observed the events observed over the last {@code days} days, most events first
   * @param today the UTC day the draft is made
   * @param days the days {@code observed} covers
   * @param madeBy what made it, for its header: {@code tally-admin catalog pull}
   */
  public static String draft(
      CatalogRules rules, List<ObservedEvent> observed, LocalDate today, int days, String madeBy) {
    Catalog catalog = rules.catalog();
    Map<CatalogEntry, List<ObservedEvent>> matched = new IdentityHashMap<>();
    List<ObservedEvent> unmatched = new ArrayList<>();
    for (ObservedEvent event : observed) {
      CatalogEntry entry = rules.match(event.feature(), event.action());
      if (entry == null) {
        unmatched.add(event);
      } else {
        matched.computeIfAbsent(entry, e -> new ArrayList<>()).add(event);
      }
    }
    unmatched.sort(
        Comparator.comparing(ObservedEvent::feature).thenComparing(ObservedEvent::action));

    YamlWriter yaml = new YamlWriter();
    String header =
        "Tally event catalog: a draft made by "
            + madeBy
            + " on "
            + today
            + " (UTC) from the events this instance recorded over the last "
            + days
            + " days. "
            + (rules.version() == 0
                ? "No catalog was applied yet."
                : "Version " + rules.version() + " of the catalog is in force.")
            + " The entries in force come first, as they are; then each event seen that no entry"
            + " matches,"
            + " as a proposed entry with the keys seen (what was observed is in the comments). A"
            + " private key that leaves the instance today is written export: true with a"
            + " placeholder justification, which validation refuses until it says why the key may"
            + " leave (or export is false). Approve an entry (status: approved, with an owner) to"
            + " plan its events; then tally-admin catalog validate FILE, catalog diff FILE,"
            + " catalog apply FILE. The JSON Schema of this file: "
            + SCHEMA_PATH
            + " in Tally's sources.";
    for (String line : wrap(header, 96)) {
      yaml.comment(0, line);
    }
    yaml.field(0, "$schema", SCHEMA_ID);
    Map<String, Object> json = new Catalog(catalog.policy(), List.of()).toJson();
    yaml.field(0, "policy", json.get("policy"));
    List<CatalogEntry> entries = new ArrayList<>(catalog.entries());
    if (entries.isEmpty() && unmatched.isEmpty()) {
      yaml.field(0, "events", List.of());
      return yaml.toString();
    }
    yaml.key(0, "events");
    for (CatalogEntry entry : entries) {
      List<ObservedEvent> seen = matched.getOrDefault(entry, List.of());
      long events30d = seen.stream().mapToLong(ObservedEvent::events30d).sum();
      LocalDate lastSeen =
          seen.stream().map(ObservedEvent::lastSeen).max(Comparator.naturalOrder()).orElse(null);
      yaml.comment(
          2,
          "In force. Observed: "
              + (lastSeen == null
                  ? "no event over the last " + days + " days."
                  : count(events30d)
                      + " events over the last 30 days, last seen "
                      + lastSeen
                      + "."));
      yaml.item(2, entryJson(entry));
    }
    for (ObservedEvent event : unmatched) {
      proposed(yaml, rules, event, today);
    }
    return yaml.toString();
  }

  /**
   * One observed event as a proposed entry, ready to paste into the {@code events} of a catalog
   * file (indented as {@link #draft} writes them), with the comment of what was observed.
   *
   * @param rules the catalog in force and the redaction rules: which private keys leave today
   */
  public static String entry(CatalogRules rules, ObservedEvent event, LocalDate today) {
    YamlWriter yaml = new YamlWriter();
    proposed(yaml, rules, event, today);
    return yaml.toString();
  }

  /** The proposed entry of an observed event, as {@link #entry} writes it. */
  public static CatalogEntry proposedEntry(
      CatalogRules rules, ObservedEvent event, LocalDate today) {
    Set<String> leaving = rules.judge(event, today).exportedPrivateKeys();
    Map<String, CatalogEntry.MetadataKey> metadata = new LinkedHashMap<>();
    event
        .metadataKeys()
        .keySet()
        .forEach(key -> metadata.put(key, new CatalogEntry.MetadataKey(null, Map.of())));
    Map<String, CatalogEntry.PrivateKey> privateKeys = new LinkedHashMap<>();
    event
        .privateKeys()
        .keySet()
        .forEach(
            key ->
                privateKeys.put(
                    key,
                    leaving.contains(key)
                        ? new CatalogEntry.PrivateKey(true, JUSTIFICATION_PLACEHOLDER, null)
                        : new CatalogEntry.PrivateKey(false, null, null)));
    CatalogEntry.Billing billing = null;
    String mostBilled = most(event.billing());
    if (mostBilled != null) {
      int colon = mostBilled.indexOf(':');
      billing =
          colon < 0
              ? new CatalogEntry.Billing(mostBilled, "")
              : new CatalogEntry.Billing(
                  mostBilled.substring(0, colon), mostBilled.substring(colon + 1));
    }
    return new CatalogEntry(
        event.feature(),
        event.action(),
        Status.PROPOSED,
        null,
        null,
        null,
        metadata,
        privateKeys,
        billing);
  }

  private static void proposed(
      YamlWriter yaml, CatalogRules rules, ObservedEvent event, LocalDate today) {
    CatalogEntry entry = proposedEntry(rules, event, today);
    yaml.comment(
        2,
        "Observed: "
            + volume(event)
            + ", first seen "
            + event.firstSeen()
            + ", last seen "
            + event.lastSeen()
            + ".");
    if (!event.clients().isEmpty()) {
      yaml.comment(2, "Clients: " + counts(event.clients(), Map.of()) + ".");
    }
    if (!event.metadataKeys().isEmpty()) {
      yaml.comment(2, "Metadata keys: " + counts(event.metadataKeys(), Map.of()) + ".");
    }
    if (!event.privateKeys().isEmpty()) {
      Map<String, String> fate = new LinkedHashMap<>();
      entry
          .privateMetadata()
          .forEach((key, planned) -> fate.put(key, planned.export() ? "leaves today" : "withheld"));
      yaml.comment(2, "Private keys: " + counts(event.privateKeys(), fate) + ".");
    }
    if (event.billing().size() > 1) {
      yaml.comment(
          2,
          "Billing seen: "
              + counts(event.billing(), Map.of())
              + "; the entry has the most frequent.");
    }
    yaml.item(2, entryJson(entry));
  }

  private static Object entryJson(CatalogEntry entry) {
    return ((List<?>)
            new Catalog(dev.tally.catalog.Policy.OFF, List.of(entry)).toJson().get("events"))
        .get(0);
  }

  private static String volume(ObservedEvent event) {
    return count(event.events30d())
        + " events over the last 30 days ("
        + count(event.events7d())
        + " over 7)";
  }

  /** {@code name (count[, note])}, most first, then by name. */
  private static String counts(Map<String, Long> counts, Map<String, String> notes) {
    List<String> parts = new ArrayList<>();
    counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()))
        .forEach(
            e -> {
              String note = notes.get(e.getKey());
              parts.add(
                  YamlWriter.scalar(e.getKey())
                      + " ("
                      + count(e.getValue())
                      + (note == null ? "" : ", " + note)
                      + ")");
            });
    return String.join(", ", parts);
  }

  /** The name with the most events, the first by name among equals; null for none. */
  private static String most(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .min(
            Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()))
        .map(Map.Entry::getKey)
        .orElse(null);
  }

  /** Text cut into lines of at most {@code width} characters, at spaces where there are any. */
  static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
