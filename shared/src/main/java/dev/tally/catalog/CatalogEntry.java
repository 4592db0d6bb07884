package dev.tally.catalog;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of the catalog: the events of one feature whose action is {@link #action} (exact) or
 * matches it (a pattern with {@code *}, such as {@code abTest*}).
 *
 * @param feature the events' feature, exact
 * @param action the events' action, or a pattern in which {@code *} stands for any characters
 * @param status where the entry stands
 * @param sunset the first day it is no longer planned, when {@link Status#DEPRECATED}; else null
 * @param owner who answers for these events (a team or a person), or null
 * @param description what the event means, or null
 * @param metadata the numeric metadata keys it plans, by name
 * @param privateMetadata the private-metadata keys it plans, by name, each exported or not
 * @param billing its billing product and category, or null
 */
public record CatalogEntry(
    String feature,
    String action,
    Status status,
    LocalDate sunset,
    String owner,
    String description,
    Map<String, MetadataKey> metadata,
    Map<String, PrivateKey> privateMetadata,
    Billing billing) {

  public CatalogEntry {
    Objects.requireNonNull(feature, "feature");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(status, "status");
    metadata = Map.copyOf(metadata);
    privateMetadata = Map.copyOf(privateMetadata);
  }

  /** Whether {@link #action} is a pattern. */
  public boolean isPattern() {
    return action.contains("*");
  }

  /** {@code feature.action} as the catalog names it (the action may be a pattern). */
  public String name() {
    return feature + "." + action;
  }

  /** Whether this entry plans events of {@code day}: approved, or deprecated before its sunset. */
  public boolean plans(LocalDate day) {
    return switch (status) {
      case APPROVED -> true;
      case DEPRECATED -> sunset == null || day.isBefore(sunset);
      case PROPOSED -> false;
    };
  }

  /**
   * A numeric metadata key.
   *
   * @param description what it counts or means, or null
   * @param codes for a categorical value: its stable numbers by name (never reused), else empty
   */
  public record MetadataKey(String description, Map<String, Long> codes) {
    public MetadataKey {
      codes = Map.copyOf(codes);
    }
  }

  /**
   * A private-metadata key.
   *
   * @param export whether it may leave the instance
   * @param justification why it may leave (required when it does), or null
   * @param description what it holds, or null
   */
  public record PrivateKey(boolean export, String justification, String description) {}

  /** The billing product and category of the events. */
  public record Billing(String product, String category) {}

  /** The entry as the catalog file writes it, keys in the file's order. */
  Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("feature", feature);
    json.put("action", action);
    json.put("status", status.fileName());
    if (sunset != null) {
      json.put("sunset", sunset.toString());
    }
    if (owner != null) {
      json.put("owner", owner);
    }
    if (description != null) {
      json.put("description", description);
    }
    if (!metadata.isEmpty()) {
      Map<String, Object> keys = new LinkedHashMap<>();
      new java.util.TreeMap<>(metadata)
          .forEach(
              (name, key) -> {
                Map<String, Object> k = new LinkedHashMap<>();
                if (key.description() != null) {
                  k.put("description", key.description());
                }
                if (!key.codes().isEmpty()) {
                  Map<String, Object> codes = new LinkedHashMap<>();
                  key.codes().entrySet().stream()
                      .sorted(Map.Entry.comparingByValue())
                      .forEach(code -> codes.put(code.getKey(), code.getValue()));
                  k.put("enum", codes);
                }
                keys.put(name, k);
              });
      json.put("metadata", keys);
    }
    if (!privateMetadata.isEmpty()) {
      Map<String, Object> keys = new LinkedHashMap<>();
      new java.util.TreeMap<>(privateMetadata)
          .forEach(
              (name, key) -> {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("export", key.export());
                if (key.justification() != null) {
                  k.put("justification", key.justification());
                }
                if (key.description() != null) {
                  k.put("description", key.description());
                }
                keys.put(name, k);
              });
      json.put("privateMetadata", keys);
    }
    if (billing != null) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("product", billing.product());
      b.put("category", billing.category());
      json.put("billing", b);
    }
    return json;
  }
}
