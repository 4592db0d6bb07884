package dev.tally.catalogfile;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.Status;
import dev.tally.event.EventNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rules a catalog follows to be applied, beyond the shapes its schema describes: names an event
 * can have, one entry per event, an owner for what is approved or deprecated, a sunset only where
 * it means something, a justification for every key that leaves, and enum codes that keep their
 * meaning (unique within a key, and never given to another name than the one an applied version
 * gave them).
 *
 * <p>A rule the schema also states (a justification when exported, a sunset when deprecated) is
 * worded exactly as {@link CatalogSchema} words it, so that a file breaking it hears of it once.
 */
final class CatalogValidator {
  private CatalogValidator() {}

  /**
   * Every problem of {@code catalog}, entry by entry, in the file's order.
   *
   * @param previous the catalogs applied before, oldest first
   */
  static List<String> problems(Catalog catalog, List<Catalog> previous) {
    Map<CodeKey, String> history = history(previous);
    List<String> problems = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    List<CatalogEntry> entries = catalog.entries();
    for (int i = 0; i < entries.size(); i++) {
      CatalogEntry entry = entries.get(i);
      String where = "events[" + i + "]";
      if (!EventNames.isValid(entry.feature())) {
        problems.add(
            where
                + ".feature: must be a lowercase letter, then letters, dashes and dots (2 to "
                + EventNames.MAX_LENGTH
                + " characters), got "
                + show(entry.feature()));
      }
      if (!isActionOrPattern(entry.action())) {
        problems.add(
            where
                + ".action: must be an action (a lowercase letter, then letters, dashes and dots;"
                + " 2 to "
                + EventNames.MAX_LENGTH
                + " characters) or a pattern (* alone, or such an action with * in it), got "
                + show(entry.action()));
      }
      Integer first = seen.putIfAbsent(entry.feature() + '\u0000' + entry.action(), i);
      if (first != null) {
        problems.add(
            where
                + ": events["
                + first
                + "] is already the entry of "
                + entry.name()
                + ": one entry per feature and action");
      }
      status(entry, where, problems);
      entry.privateMetadata().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(key -> justification(key.getValue(), where, key.getKey(), problems));
      new TreeMap<>(entry.metadata())
          .forEach(
              (key, metadata) ->
                  codes(entry, key, metadata, where + ".metadata." + key, history, problems));
    }
    return problems;
  }

  /** Whether an entry's action is an action, or a pattern of actions. */
  static boolean isActionOrPattern(String action) {
    if (action.equals("*")) {
      return true;
    }
    // A pattern is an action in which some letters became stars: with letters back, it is one.
    return EventNames.isValid(action.replace('*', 'a'));
  }

  private static void status(CatalogEntry entry, String where, List<String> problems) {
    Status status = entry.status();
    if (status != Status.PROPOSED && (entry.owner() == null || entry.owner().isBlank())) {
      problems.add(
          where
              + ".owner: must be provided when the status is "
              + status.fileName()
              + ": who answers for these events (a team or a person)");
    }
    if (status == Status.DEPRECATED && entry.sunset() == null) {
      problems.add(
          where
              + ".sunset: must be provided when the status is deprecated: the first day"
              + " (YYYY-MM-DD) the entry no longer plans its events");
    }
    if (status != Status.DEPRECATED && entry.sunset() != null) {
      problems.add(
          where
              + ".sunset: only a deprecated entry has a sunset, this one is "
              + status.fileName()
              + " (remove the sunset, or deprecate the entry)");
    }
  }

  private static void justification(
      CatalogEntry.PrivateKey key, String where, String name, List<String> problems) {
    if (!key.export()) {
      return;
    }
    String at = where + ".privateMetadata." + name + ".justification: ";
    String justification = key.justification();
    if (justification == null) {
      problems.add(at + "must be provided when export is true: why the key may leave the instance");
    } else if (justification.isBlank()) {
      problems.add(
          at + "must not be empty when export is true: why the key may leave the instance");
    } else if (justification.strip().equals(DraftWriter.JUSTIFICATION_PLACEHOLDER)) {
      problems.add(
          at
              + "is still the draft's placeholder: say why the key may leave the instance, or set"
              + " export to false");
    }
  }

  /** A metadata key of an event name (or pattern), whose enum codes keep their meaning. */
  private record CodeKey(String feature, String action, String key, long code) {}

  /** The name each code was first given, for every key of every entry applied before. */
  private static Map<CodeKey, String> history(List<Catalog> previous) {
    Map<CodeKey, String> history = new HashMap<>();
    for (Catalog catalog : previous) {
      for (CatalogEntry entry : catalog.entries()) {
        entry
            .metadata()
            .forEach(
                (key, metadata) ->
                    metadata
                        .codes()
                        .forEach(
                            (name, code) ->
                                history.putIfAbsent(
                                    new CodeKey(entry.feature(), entry.action(), key, code),
                                    name)));
      }
    }
    return history;
  }

  private static void codes(
      CatalogEntry entry,
      String key,
      CatalogEntry.MetadataKey metadata,
      String where,
      Map<CodeKey, String> history,
      List<String> problems) {
    Map<Long, String> named = new HashMap<>();
    // In the order of the codes, then the names: the same problems whatever the file's order.
    metadata.codes().entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .forEach(
            code -> {
              String name = code.getKey();
              String at = where + ".enum." + name + ": code " + code.getValue();
              String other = named.putIfAbsent(code.getValue(), name);
              if (other != null) {
                problems.add(at + " is also given to '" + other + "': each name has its own code");
              }
              String before =
                  history.get(new CodeKey(entry.feature(), entry.action(), key, code.getValue()));
              if (before != null && !before.equals(name)) {
                problems.add(
                    at
                        + " was given to '"
                        + before
                        + "' in an applied version: a code is never given to another name, even"
                        + " once its name is removed (give '"
                        + name
                        + "' a new code)");
              }
            });
  }

  private static String show(String text) {
    return "'" + (text.length() > 80 ? text.substring(0, 80) + "…" : text) + "'";
  }
}
