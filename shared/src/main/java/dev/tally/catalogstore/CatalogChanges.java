package dev.tally.catalogstore;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.Policy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What changed between two catalog files, as lines people read in a review: entries by {@code
 * feature.action} ({@code search.submitted: status proposed -> approved}), and policy modes ({@code
 * unplannedEvents: off -> hold}).
 */
final class CatalogChanges {
  private CatalogChanges() {}

  /** The policy modes that differ, as {@code name: from -> to}. */
  static List<String> policy(Policy before, Policy after) {
    List<String> lines = new ArrayList<>();
    change(
        lines,
        "unplannedEvents:",
        before.unplannedEvents().fileName(),
        after.unplannedEvents().fileName());
    change(
        lines,
        "unplannedMetadataKeys:",
        before.unplannedMetadataKeys().fileName(),
        after.unplannedMetadataKeys().fileName());
    change(
        lines,
        "unplannedPrivateKeys:",
        before.unplannedPrivateKeys().fileName(),
        after.unplannedPrivateKeys().fileName());
    return lines;
  }

  /**
   * The entries added, changed (in the order of {@code after}) and removed (in the order of {@code
   * before}); an entry is known by its feature and action (or pattern).
   */
  static List<String> entries(Catalog before, Catalog after) {
    Map<String, CatalogEntry> old = byName(before);
    Map<String, CatalogEntry> current = byName(after);
    List<String> lines = new ArrayList<>();
    current.forEach(
        (name, entry) -> {
          CatalogEntry was = old.get(name);
          if (was == null) {
            lines.add(name + ": added (" + describe(entry) + ")");
          } else {
            for (String change : changes(was, entry)) {
              lines.add(name + ": " + change);
            }
          }
        });
    old.forEach(
        (name, entry) -> {
          if (!current.containsKey(name)) {
            lines.add(name + ": removed (was " + describe(entry) + ")");
          }
        });
    return lines;
  }

  /** The entries by name; a name listed twice counts once, as the first (as the rules match). */
  private static Map<String, CatalogEntry> byName(Catalog catalog) {
    Map<String, CatalogEntry> entries = new LinkedHashMap<>();
    for (CatalogEntry entry : catalog.entries()) {
      entries.putIfAbsent(entry.name(), entry);
    }
    return entries;
  }

  private static String describe(CatalogEntry entry) {
    return entry.sunset() == null
        ? entry.status().fileName()
        : entry.status().fileName() + ", sunset " + entry.sunset();
  }

  private static List<String> changes(CatalogEntry was, CatalogEntry is) {
    List<String> lines = new ArrayList<>();
    change(lines, "status", was.status().fileName(), is.status().fileName());
    change(lines, "sunset", text(was.sunset()), text(is.sunset()));
    change(lines, "owner", text(was.owner()), text(is.owner()));
    if (!Objects.equals(was.description(), is.description())) {
      lines.add("description changed");
    }
    change(lines, "billing", billing(was.billing()), billing(is.billing()));
    keys(lines, "metadata keys", was.metadata().keySet(), is.metadata().keySet());
    new TreeMap<>(is.metadata())
        .forEach(
            (key, now) -> {
              CatalogEntry.MetadataKey before = was.metadata().get(key);
              if (before != null && !before.codes().equals(now.codes())) {
                lines.add("metadata key " + key + ": enum " + codes(before) + " -> " + codes(now));
              }
            });
    keys(lines, "private keys", was.privateMetadata().keySet(), is.privateMetadata().keySet());
    new TreeMap<>(is.privateMetadata())
        .forEach(
            (key, now) -> {
              CatalogEntry.PrivateKey before = was.privateMetadata().get(key);
              if (before == null) {
                return;
              }
              if (before.export() != now.export()) {
                lines.add(
                    "private key " + key + ": export " + before.export() + " -> " + now.export());
              }
              if (!Objects.equals(before.justification(), now.justification())) {
                lines.add("private key " + key + ": justification changed");
              }
            });
    return lines;
  }

  private static void keys(List<String> lines, String kind, Set<String> was, Set<String> is) {
    Set<String> added = new TreeSet<>(is);
    added.removeAll(was);
    Set<String> removed = new TreeSet<>(was);
    removed.removeAll(is);
    List<String> parts = new ArrayList<>();
    if (!added.isEmpty()) {
      parts.add("added " + String.join(", ", added));
    }
    if (!removed.isEmpty()) {
      parts.add("removed " + String.join(", ", removed));
    }
    if (!parts.isEmpty()) {
      lines.add(kind + " " + String.join("; ", parts));
    }
  }

  /** Adds {@code what from -> to} when the two differ. */
  private static void change(List<String> lines, String what, String was, String is) {
    if (!Objects.equals(was, is)) {
      lines.add(what + " " + was + " -> " + is);
    }
  }

  private static String text(Object value) {
    return value == null ? "none" : value.toString();
  }

  private static String billing(CatalogEntry.Billing billing) {
    return billing == null ? "none" : billing.product() + ":" + billing.category();
  }

  private static String codes(CatalogEntry.MetadataKey key) {
    if (key.codes().isEmpty()) {
      return "none";
    }
    List<String> codes = new ArrayList<>();
    key.codes().entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(code -> codes.add(code.getKey() + "=" + code.getValue()));
    return "{" + String.join(", ", codes) + "}";
  }
}
