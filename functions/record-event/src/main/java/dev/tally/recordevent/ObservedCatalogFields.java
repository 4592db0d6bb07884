package dev.tally.recordevent;

import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.CatalogSource;
import dev.tally.catalog.ObservedEvent;
import dev.tally.catalogfile.DraftWriter;
import dev.tally.catalogstore.ObservedCatalog;
import graphql.schema.DataFetchingEnvironment;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The administrator's fields of the observed catalog: {@code EventCatalog.observed}, {@code .draft}
 * and {@code .counters}, and what an {@code ObservedEvent} is under the catalog in force (its
 * entry, whether it is planned, which of its private keys leave, its entry ready to paste), the
 * catalog in force being the one recording reads ({@code LiveCatalog}). Read from the rollups of
 * the recorded events, which each field first brings up to date. Each needs a site-admin token.
 */
final class ObservedCatalogFields {
  /** The longest range of days a field covers. */
  static final int MAX_DAYS = 366;

  /** The most event names {@code observed} lists. */
  static final int MAX_FIRST = 10_000;

  /** What a draft made through the API says made it. */
  static final String DRAFT_MADE_BY = "the API (telemetry.catalog.draft)";

  private final ObservedCatalog observed;
  private final CatalogSource catalog;
  private final Clock clock;
  private final AdminGate gate;

  ObservedCatalogFields(AdminStores stores, AdminGate gate) {
    this.observed = stores.observedCatalog();
    this.catalog = stores.catalogInForce();
    this.clock = stores.clock();
    this.gate = gate;
  }

  Object observed(DataFetchingEnvironment env) {
    gate.admit(env, "catalog.observed");
    int days = days(env);
    int first = argument(env, "first", 0, MAX_FIRST);
    CatalogRules rules = catalog.current();
    LocalDate today = today();
    // An entry to paste is written only when asked for.
    boolean draftEntries = env.getSelectionSet().contains("draftEntry");
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (ObservedEvent event : observed.observed(days, first)) {
      nodes.add(node(event, rules, today, draftEntries));
    }
    return nodes;
  }

  Object draft(DataFetchingEnvironment env) {
    gate.admit(env, "catalog.draft");
    int days = days(env);
    return DraftWriter.draft(
        catalog.current(),
        observed.observed(days, Integer.MAX_VALUE),
        today(),
        days,
        DRAFT_MADE_BY);
  }

  Object counters(DataFetchingEnvironment env) {
    gate.admit(env, "catalog.counters");
    List<Map<String, Object>> days = new ArrayList<>();
    for (ObservedCatalog.CounterDay day : observed.counters(days(env))) {
      List<Map<String, Object>> keys = new ArrayList<>();
      for (ObservedCatalog.KeyCounter key : day.keys()) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("feature", key.feature());
        node.put("action", key.action());
        node.put("kind", key.kind());
        node.put("key", key.key());
        node.put("outcome", key.outcome());
        node.put("events", UsageFields.count(key.events()));
        keys.add(node);
      }
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("day", day.day().toString());
      node.put("held", UsageFields.count(day.held()));
      node.put("wouldHold", UsageFields.count(day.wouldHold()));
      node.put("keys", keys);
      days.add(node);
    }
    return days;
  }

  /** An {@code ObservedEvent} as the catalog in force sees it. */
  private static Map<String, Object> node(
      ObservedEvent event, CatalogRules rules, LocalDate today, boolean draftEntry) {
    CatalogEntry entry = rules.match(event.feature(), event.action());
    Set<String> leaving = rules.judge(event, today).exportedPrivateKeys();
    List<Map<String, Object>> privateKeys = new ArrayList<>();
    event
        .privateKeys()
        .forEach(
            (key, events) -> {
              Map<String, Object> count = new LinkedHashMap<>();
              count.put("key", key);
              count.put("events", UsageFields.count(events));
              count.put("leaves", leaving.contains(key));
              privateKeys.add(count);
            });
    Map<String, Object> node = new LinkedHashMap<>();
    node.put("feature", event.feature());
    node.put("action", event.action());
    node.put("firstSeen", event.firstSeen().toString());
    node.put("lastSeen", event.lastSeen().toString());
    node.put("events7d", UsageFields.count(event.events7d()));
    node.put("events30d", UsageFields.count(event.events30d()));
    node.put("clients", counts(event.clients()));
    node.put("metadataKeys", counts(event.metadataKeys()));
    node.put("privateKeys", privateKeys);
    node.put("billing", counts(event.billing()));
    node.put("entry", entry == null ? null : entry.name());
    node.put("planned", entry != null && entry.plans(today));
    node.put(
        "draftEntry", entry == null && draftEntry ? DraftWriter.entry(rules, event, today) : null);
    return node;
  }

  private static List<Map<String, Object>> counts(Map<String, Long> counts) {
    List<Map<String, Object>> nodes = new ArrayList<>(counts.size());
    counts.forEach(
        (name, events) -> nodes.add(Map.of("name", name, "events", UsageFields.count(events))));
    return nodes;
  }

  private static int days(DataFetchingEnvironment env) {
    return argument(env, "days", 1, MAX_DAYS);
  }

  private static int argument(DataFetchingEnvironment env, String name, int min, int max) {
    Integer value = env.getArgument(name);
    if (value == null || value < min || value > max) {
      throw new IllegalArgumentException(
          "'" + name + "' must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }
}
