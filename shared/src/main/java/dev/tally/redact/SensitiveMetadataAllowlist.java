package dev.tally.redact;

import dev.tally.event.EventNames;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The events whose private metadata may be exported, and which of its keys.
 *
 * <p>Entries are looked up by {@code feature/action}; an entry with action {@value #ANY_ACTION}
 * covers every action of its feature. An exact entry is tried first.
 */
public final class SensitiveMetadataAllowlist {
  /** The action of an entry that covers every action of its feature. */
  public static final String ANY_ACTION = "*";

  private static final SensitiveMetadataAllowlist BUILT_IN =
      new SensitiveMetadataAllowlist(
          Map.of(key("exampleFeature", "exampleAction"), Set.of("testField")));

  private final Map<String, Set<String>> keysByEvent;

  private SensitiveMetadataAllowlist(Map<String, Set<String>> keysByEvent) {
    this.keysByEvent = Map.copyOf(keysByEvent);
  }

  /** The entries that ship with Tally. Adding one needs a review of what the keys may hold. */
  public static SensitiveMetadataAllowlist builtIn() {
    return BUILT_IN;
  }

  /** An allowlist of exactly the given entries. */
  public static SensitiveMetadataAllowlist of(List<Entry> entries) {
    return new SensitiveMetadataAllowlist(Map.of()).with(entries);
  }

  /**
   * Parses entries written as {@code feature::action::key1::key2,feature2::*::key}.
   *
   * @throws IllegalArgumentException saying which entry is malformed and why
   */
  public static List<Entry> parseEntries(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return java.util.Arrays.stream(text.split(",", -1))
        .map(String::trim)
        .map(SensitiveMetadataAllowlist::parseEntry)
        .toList();
  }

  private static Entry parseEntry(String text) {
    String[] parts = text.split("::", -1);
    if (parts.length < 3) {
      throw new IllegalArgumentException(
          "entry '"
              + text
              + "' must have the form feature::action::key (more keys may follow, separated by"
              + " '::')");
    }
    String feature = parts[0].trim();
    String action = parts[1].trim();
    EventNames.problem("feature", feature)
        .ifPresent(
            p -> {
              throw new IllegalArgumentException("entry '" + text + "': " + p);
            });
    if (!ANY_ACTION.equals(action)) {
      EventNames.problem("action", action)
          .ifPresent(
              p -> {
                throw new IllegalArgumentException(
                    "entry '" + text + "': " + p + " (or be '" + ANY_ACTION + "')");
              });
    }
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 2; i < parts.length; i++) {
      String key = parts[i].trim();
      if (key.isEmpty()) {
        throw new IllegalArgumentException("entry '" + text + "' has an empty key");
      }
      keys.add(key);
    }
    return new Entry(feature, action, keys);
  }

  /** This allowlist with more entries; keys of an event listed twice are combined. */
  public SensitiveMetadataAllowlist with(List<Entry> entries) {
    Map<String, Set<String>> combined = new LinkedHashMap<>();
    keysByEvent.forEach((event, keys) -> combined.put(event, new LinkedHashSet<>(keys)));
    for (Entry entry : entries) {
      combined
          .computeIfAbsent(key(entry.feature(), entry.action()), k -> new LinkedHashSet<>())
          .addAll(entry.keys());
    }
    Map<String, Set<String>> frozen = new LinkedHashMap<>();
    combined.forEach((event, keys) -> frozen.put(event, Set.copyOf(keys)));
    return new SensitiveMetadataAllowlist(frozen);
  }

  /** The private-metadata keys that may be exported for an event, or empty if it is not listed. */
  public Optional<Set<String>> allowedKeys(String feature, String action) {
    Set<String> exact = keysByEvent.get(key(feature, action));
    if (exact != null) {
      return Optional.of(exact);
    }
    return Optional.ofNullable(keysByEvent.get(key(feature, ANY_ACTION)));
  }

  private static String key(String feature, String action) {
    return feature + "/" + action;
  }

  /**
   * One allowlisted event.
   *
   * @param feature the event's feature
   * @param action the event's action, or {@value SensitiveMetadataAllowlist#ANY_ACTION}
   * @param keys the private-metadata keys that may be exported; at least one
   */
  public record Entry(String feature, String action, Set<String> keys) {
    public Entry {
      keys = Set.copyOf(keys);
      if (keys.isEmpty()) {
        throw new IllegalArgumentException(
            "allowlist entry " + feature + "/" + action + " must list at least one key");
      }
    }
  }
}
