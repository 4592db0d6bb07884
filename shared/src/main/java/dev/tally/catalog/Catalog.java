package dev.tally.catalog;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A catalog document: the instance's {@link Policy} and its entries, in the order of the file.
 *
 * <p>{@link #fromJson} reads the document as plain JSON values (maps, lists, strings, numbers,
 * booleans), the way a YAML or JSON file parses; {@link #toJson} writes it back in the same shape,
 * which is also how an applied version is stored. Reading checks types and shapes only; the rules a
 * catalog must follow to be applied (names, justifications, codes never reused) are the
 * validator's.
 */
public record Catalog(Policy policy, List<CatalogEntry> entries) {
  /** No entries and every mode off: an instance that never applied a catalog. */
  public static final Catalog NONE = new Catalog(Policy.OFF, List.of());

  public Catalog {
    Objects.requireNonNull(policy, "policy");
    entries = List.copyOf(entries);
  }

  /**
   * The catalog a parsed document holds.
   *
   * @throws InvalidCatalogException listing every value of the wrong type or shape
   */
  public static Catalog fromJson(Object document) {
    Reader reader = new Reader();
    Catalog catalog = reader.catalog(document);
    if (!reader.problems.isEmpty()) {
      throw new InvalidCatalogException(reader.problems);
    }
    return catalog;
  }

  /** The document of this catalog, as plain JSON values. */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("policy", policy.toJson());
    List<Object> events = new ArrayList<>(entries.size());
    for (CatalogEntry entry : entries) {
      events.add(entry.toJson());
    }
    json.put("events", events);
    return json;
  }

  /** Reads a document, gathering every problem instead of stopping at the first. */
  private static final class Reader {
    final List<String> problems = new ArrayList<>();

    Catalog catalog(Object document) {
      Map<String, Object> root = object("the document", document);
      if (root == null) {
        return NONE;
      }
      known("the document", root, List.of("$schema", "policy", "events"));
      text("$schema", root.get("$schema"));
      Policy policy = policy(root.get("policy"));
      List<CatalogEntry> entries = new ArrayList<>();
      Object events = root.get("events");
      if (events != null) {
        if (events instanceof List<?> list) {
          for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
              // An empty item ("-" alone in YAML) is a mistake, not an entry to skip silently.
              problems.add("events[" + i + "]: must be an object (keys and values), got nothing");
              continue;
            }
            CatalogEntry entry = entry("events[" + i + "]", list.get(i));
            if (entry != null) {
              entries.add(entry);
            }
          }
        } else {
          problems.add("events: must be a list of entries");
        }
      }
      return new Catalog(policy, entries);
    }

    Policy policy(Object value) {
      if (value == null) {
        return Policy.OFF;
      }
      Map<String, Object> policy = object("policy", value);
      if (policy == null) {
        return Policy.OFF;
      }
      known(
          "policy",
          policy,
          List.of("unplannedEvents", "unplannedMetadataKeys", "unplannedPrivateKeys"));
      return new Policy(
          mode("policy.unplannedEvents", policy.get("unplannedEvents"), Policy.EventMode.class),
          mode(
              "policy.unplannedMetadataKeys",
              policy.get("unplannedMetadataKeys"),
              Policy.KeyMode.class),
          mode(
              "policy.unplannedPrivateKeys",
              policy.get("unplannedPrivateKeys"),
              Policy.KeyMode.class));
    }

    <E extends Enum<E>> E mode(String where, Object value, Class<E> type) {
      E[] modes = type.getEnumConstants();
      if (value == null) {
        return modes[0];
      }
      List<String> names = new ArrayList<>();
      for (E mode : modes) {
        String name = mode.name().toLowerCase(java.util.Locale.ROOT);
        names.add(name);
        if (name.equals(value)) {
          return mode;
        }
      }
      problems.add(where + ": must be one of " + String.join(", ", names) + ", got " + show(value));
      return modes[0];
    }

    CatalogEntry entry(String where, Object value) {
      Map<String, Object> entry = object(where, value);
      if (entry == null) {
        return null;
      }
      known(
          where,
          entry,
          List.of(
              "feature",
              "action",
              "status",
              "sunset",
              "owner",
              "description",
              "metadata",
              "privateMetadata",
              "billing"));
      String feature = requiredText(where + ".feature", entry.get("feature"));
      String action = requiredText(where + ".action", entry.get("action"));
      Status status = Status.PROPOSED;
      Object statusValue = entry.get("status");
      if (statusValue == null) {
        problems.add(where + ".status: must be provided (proposed, approved or deprecated)");
      } else {
        try {
          status = Status.fromFile(String.valueOf(statusValue));
        } catch (IllegalArgumentException e) {
          problems.add(where + ".status: " + e.getMessage());
        }
      }
      LocalDate sunset = null;
      String sunsetText = text(where + ".sunset", entry.get("sunset"));
      if (sunsetText != null) {
        try {
          sunset = LocalDate.parse(sunsetText);
        } catch (DateTimeParseException e) {
          problems.add(where + ".sunset: must be a date (YYYY-MM-DD), got " + show(sunsetText));
        }
      }
      String owner = text(where + ".owner", entry.get("owner"));
      String description = text(where + ".description", entry.get("description"));
      Map<String, CatalogEntry.MetadataKey> metadata = new LinkedHashMap<>();
      Map<String, Object> keys = object(where + ".metadata", entry.get("metadata"));
      if (keys != null) {
        keys.forEach(
            (name, key) -> metadata.put(name, metadataKey(where + ".metadata." + name, key)));
      }
      Map<String, CatalogEntry.PrivateKey> privateMetadata = new LinkedHashMap<>();
      Map<String, Object> privateKeys =
          object(where + ".privateMetadata", entry.get("privateMetadata"));
      if (privateKeys != null) {
        privateKeys.forEach(
            (name, key) ->
                privateMetadata.put(name, privateKey(where + ".privateMetadata." + name, key)));
      }
      CatalogEntry.Billing billing = null;
      Map<String, Object> billingValue = object(where + ".billing", entry.get("billing"));
      if (billingValue != null) {
        known(where + ".billing", billingValue, List.of("product", "category"));
        billing =
            new CatalogEntry.Billing(
                requiredText(where + ".billing.product", billingValue.get("product")),
                requiredText(where + ".billing.category", billingValue.get("category")));
      }
      if (feature == null || action == null) {
        return null;
      }
      return new CatalogEntry(
          feature, action, status, sunset, owner, description, metadata, privateMetadata, billing);
    }

    CatalogEntry.MetadataKey metadataKey(String where, Object value) {
      if (value == null) {
        return new CatalogEntry.MetadataKey(null, Map.of());
      }
      Map<String, Object> key = object(where, value);
      if (key == null) {
        return new CatalogEntry.MetadataKey(null, Map.of());
      }
      known(where, key, List.of("description", "enum"));
      Map<String, Long> codes = new LinkedHashMap<>();
      Map<String, Object> codeValues = object(where + ".enum", key.get("enum"));
      if (codeValues != null) {
        codeValues.forEach(
            (name, code) -> {
              if (code instanceof Number number
                  && !(code instanceof Double)
                  && !(code instanceof Float)) {
                codes.put(name, number.longValue());
              } else {
                problems.add(
                    where + ".enum." + name + ": must be a whole number, got " + show(code));
              }
            });
      }
      return new CatalogEntry.MetadataKey(
          text(where + ".description", key.get("description")), codes);
    }

    CatalogEntry.PrivateKey privateKey(String where, Object value) {
      Map<String, Object> key = object(where, value);
      if (key == null) {
        return new CatalogEntry.PrivateKey(false, null, null);
      }
      known(where, key, List.of("export", "justification", "description"));
      Object export = key.get("export");
      if (!(export instanceof Boolean)) {
        problems.add(where + ".export: must be true or false, got " + show(export));
      }
      return new CatalogEntry.PrivateKey(
          Boolean.TRUE.equals(export),
          text(where + ".justification", key.get("justification")),
          text(where + ".description", key.get("description")));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(String where, Object value) {
      if (value == null) {
        return null;
      }
      if (value instanceof Map<?, ?> map) {
        return (Map<String, Object>) map;
      }
      problems.add(where + ": must be an object (keys and values), got " + show(value));
      return null;
    }

    void known(String where, Map<String, Object> object, List<String> names) {
      for (String name : object.keySet()) {
        if (!names.contains(name)) {
          problems.add(
              where
                  + ": has an unknown field "
                  + show(name)
                  + " (known: "
                  + String.join(", ", names)
                  + ")");
        }
      }
    }

    String requiredText(String where, Object value) {
      if (value == null) {
        problems.add(where + ": must be provided");
        return null;
      }
      return text(where, value);
    }

    String text(String where, Object value) {
      if (value == null) {
        return null;
      }
      if (value instanceof String text) {
        return text;
      }
      problems.add(where + ": must be text, got " + show(value));
      return null;
    }

    static String show(Object value) {
      if (value instanceof String text) {
        return "'" + (text.length() > 80 ? text.substring(0, 80) + "…" : text) + "'";
      }
      return value == null
          ? "nothing"
          : value instanceof Map
              ? "an object"
              : value instanceof List ? "a list" : String.valueOf(value);
    }
  }
}
