package dev.tally.catalog;

import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A catalog compiled for the recording path: finds an event's entry with one hash lookup (exact
 * actions) or a short scan of its feature's patterns, and judges the event ({@link Verdict}).
 *
 * <p>Which private-metadata keys leave: a key the event's entry lists leaves exactly when the entry
 * says {@code export: true}; a key it does not list (an unplanned key) leaves when the redaction
 * rules alone let it (the allowlist, or exporting everything), unless the policy drops unplanned
 * private keys. Without a catalog ({@link Catalog#NONE}) every verdict leaves the event to the
 * redaction rules, byte for byte.
 *
 * <p>Immutable and thread-safe.
 */
public final class CatalogRules {
  private final long version;
  private final Catalog catalog;
  private final Redactor redactor;
  private final Map<String, CatalogEntry> exact;
  private final Map<String, List<PatternEntry>> patterns;

  private record PatternEntry(Pattern action, CatalogEntry entry) {}

  private CatalogRules(long version, Catalog catalog, Redactor redactor) {
    this.version = version;
    this.catalog = catalog;
    this.redactor = Objects.requireNonNull(redactor, "redactor");
    Map<String, CatalogEntry> exact = new HashMap<>();
    Map<String, List<PatternEntry>> patterns = new HashMap<>();
    for (CatalogEntry entry : catalog.entries()) {
      if (entry.isPattern()) {
        patterns
            .computeIfAbsent(entry.feature(), f -> new ArrayList<>())
            .add(new PatternEntry(glob(entry.action()), entry));
      } else {
        exact.putIfAbsent(key(entry.feature(), entry.action()), entry);
      }
    }
    this.exact = exact;
    this.patterns = patterns;
  }

  /**
   * The rules of one applied version of the catalog.
   *
   * @param version the version's number; 0 for no catalog
   * @param redactor the redaction rules the catalog adds to
   */
  public static CatalogRules of(long version, Catalog catalog, Redactor redactor) {
    return new CatalogRules(version, catalog, redactor);
  }

  /** No catalog: the redaction rules alone decide. */
  public static CatalogRules none(Redactor redactor) {
    return new CatalogRules(0, Catalog.NONE, redactor);
  }

  /** The applied version these rules come from; 0 when there is no catalog. */
  public long version() {
    return version;
  }

  public Catalog catalog() {
    return catalog;
  }

  public Redactor redactor() {
    return redactor;
  }

  /** The entry that plans {@code feature.action}: an exact action first, else the first pattern. */
  public CatalogEntry match(String feature, String action) {
    CatalogEntry entry = exact.get(key(feature, action));
    if (entry != null) {
      return entry;
    }
    List<PatternEntry> candidates = patterns.get(feature);
    if (candidates != null) {
      for (PatternEntry candidate : candidates) {
        if (candidate.action().matcher(action).matches()) {
          return candidate.entry();
        }
      }
    }
    return null;
  }

  /** Judges a built event (before redaction). */
  public Verdict judge(Event event) {
    return judge(
        event.getFeature(),
        event.getAction(),
        day(event),
        event.getParameters().getMetadataMap().keySet(),
        event.getParameters().hasPrivateMetadata()
            ? event.getParameters().getPrivateMetadata().getFieldsMap().keySet()
            : Set.of());
  }

  /** Judges an observed event name on {@code day}, as if it carried every key seen with it. */
  public Verdict judge(ObservedEvent event, LocalDate day) {
    return judge(
        event.feature(),
        event.action(),
        day,
        event.metadataKeys().keySet(),
        event.privateKeys().keySet());
  }

  /**
   * Judges an event by its names, its UTC day and the names of its keys: how recording would treat
   * it, and how a stored event is replayed against a candidate catalog.
   */
  public Verdict judge(
      String feature,
      String action,
      LocalDate day,
      Collection<String> metadataKeys,
      Collection<String> privateKeys) {
    Policy policy = catalog.policy();
    CatalogEntry entry = match(feature, action);
    Verdict.EventOutcome event;
    if (entry != null && entry.plans(day)) {
      event = Verdict.EventOutcome.PLANNED;
    } else {
      event =
          switch (policy.unplannedEvents()) {
            case OFF -> Verdict.EventOutcome.UNPLANNED;
            case SHADOW -> Verdict.EventOutcome.WOULD_HOLD;
            case HOLD -> Verdict.EventOutcome.HELD;
          };
    }
    Map<String, Verdict.KeyOutcome> metadata = new LinkedHashMap<>();
    if (policy.unplannedMetadataKeys() != Policy.KeyMode.OFF) {
      for (String key : metadataKeys) {
        if (entry == null || !entry.metadata().containsKey(key)) {
          metadata.put(key, outcome(policy.unplannedMetadataKeys()));
        }
      }
    }
    Map<String, Verdict.KeyOutcome> privateOutcomes = new LinkedHashMap<>();
    Set<String> exported = new TreeSet<>();
    for (String key : privateKeys) {
      CatalogEntry.PrivateKey planned = entry == null ? null : entry.privateMetadata().get(key);
      if (planned != null) {
        if (planned.export()) {
          exported.add(key);
        }
      } else if (redactor.mayLeave(feature, action, key)) {
        switch (policy.unplannedPrivateKeys()) {
          case OFF -> exported.add(key);
          case SHADOW -> {
            exported.add(key);
            privateOutcomes.put(key, Verdict.KeyOutcome.WOULD_DROP);
          }
          case DROP -> privateOutcomes.put(key, Verdict.KeyOutcome.DROPPED);
        }
      }
    }
    return new Verdict(entry, event, metadata, privateOutcomes, exported);
  }

  /**
   * The copy of an event that may leave, by its verdict: as the redaction rules make it, minus what
   * the catalog withholds or drops, plus the private keys its entry exports.
   */
  public Event exportedCopy(Event event, Verdict verdict) {
    if (verdict.entry() == null
        && verdict.metadataKeys().isEmpty()
        && verdict.privateKeys().isEmpty()) {
      // Nothing of the catalog's applies to the event's keys: exactly the redaction rules' copy.
      return redactor.redact(event);
    }
    return redactor.redact(event, verdict.exportedPrivateKeys(), verdict.droppedMetadataKeys());
  }

  private static Verdict.KeyOutcome outcome(Policy.KeyMode mode) {
    return mode == Policy.KeyMode.DROP ? Verdict.KeyOutcome.DROPPED : Verdict.KeyOutcome.WOULD_DROP;
  }

  /** The UTC day of an event's time: the day a deprecated entry's sunset is compared with. */
  public static LocalDate day(Event event) {
    return Instant.ofEpochSecond(event.getTimestamp().getSeconds())
        .atOffset(ZoneOffset.UTC)
        .toLocalDate();
  }

  /** A pattern's regular expression: {@code *} stands for any characters, the rest is literal. */
  static Pattern glob(String pattern) {
    List<String> parts = new ArrayList<>();
    for (String part : pattern.split("\\*", -1)) {
      parts.add(part.isEmpty() ? "" : Pattern.quote(part));
    }
    return Pattern.compile(String.join(".*", parts));
  }

  private static String key(String feature, String action) {
    return feature + '\u0000' + action;
  }
}
