package dev.tally.recordevent;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.InvalidCatalogException;
import dev.tally.catalog.Policy;
import dev.tally.catalogfile.CatalogFiles;
import dev.tally.catalogstore.CatalogApply;
import dev.tally.catalogstore.CatalogDiff;
import dev.tally.catalogstore.CatalogVersions;
import dev.tally.usage.UsageQueries;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherResult;
import graphql.schema.DataFetchingEnvironment;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The administrator's catalog fields: the version in force ({@code telemetry.catalog} and its
 * fields version, appliedAt, appliedBy, source, policy, entries), its history (versions), the
 * offline checks of a file (validate), its replay preview (diff), and {@code applyCatalog}. Each
 * needs a site-admin token; applying is a change, sent on its own.
 */
final class CatalogFields {
  /** The longest range of days an entry's volume or a replay covers. */
  static final int MAX_DAYS = 366;

  /** A file checked as {@code catalog validate} checks it; refused with every problem. */
  private static final CatalogApply.Check CHECK =
      (text, previous) -> {
        CatalogFiles.Checked checked = CatalogFiles.check(text, previous);
        if (!checked.valid()) {
          throw new InvalidCatalogException(checked.problems());
        }
        return checked.catalog();
      };

  private final AdminStores stores;
  private final AdminGate gate;

  CatalogFields(AdminStores stores, AdminGate gate) {
    this.stores = stores;
    this.gate = gate;
  }

  /** The version in force, read once per request by the first field that needs it. */
  static final class InForce {
    private final CatalogVersions versions;
    private Optional<CatalogVersions.AppliedVersion> version;

    InForce(CatalogVersions versions) {
      this.versions = versions;
    }

    synchronized Optional<CatalogVersions.AppliedVersion> get() {
      if (version == null) {
        version = versions.inForce();
      }
      return version;
    }

    Catalog catalog() {
      return get().map(CatalogVersions.AppliedVersion::catalog).orElse(Catalog.NONE);
    }
  }

  /** {@code telemetry.catalog}: admits a site admin; the fields read the version in force. */
  Object catalog(DataFetchingEnvironment env) {
    gate.admit(env, "catalog");
    return new InForce(stores.catalog().versions());
  }

  Object version(DataFetchingEnvironment env) {
    return inForce(env).get().map(v -> count(v.version())).orElse(0);
  }

  Object appliedAt(DataFetchingEnvironment env) {
    return inForce(env).get().map(v -> v.appliedAt().atOffset(ZoneOffset.UTC)).orElse(null);
  }

  Object appliedBy(DataFetchingEnvironment env) {
    return inForce(env).get().map(CatalogVersions.AppliedVersion::appliedBy).orElse(null);
  }

  Object source(DataFetchingEnvironment env) {
    return inForce(env).get().map(CatalogVersions.AppliedVersion::source).orElse(null);
  }

  Object policy(DataFetchingEnvironment env) {
    Policy policy = inForce(env).catalog().policy();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("unplannedEvents", policy.unplannedEvents().fileName());
    answer.put("unplannedMetadataKeys", policy.unplannedMetadataKeys().fileName());
    answer.put("unplannedPrivateKeys", policy.unplannedPrivateKeys().fileName());
    return answer;
  }

  /**
   * The entries in force with the events each matched over the days asked (the usage rollups,
   * brought up to date first, as {@code usage} does) and the last day one was recorded. A recorded
   * name counts for the entry that plans it: its exact entry, else its feature's first pattern.
   */
  Object entries(DataFetchingEnvironment env) {
    int days = days(env);
    Catalog catalog = inForce(env).catalog();
    stores.rollup().refresh(UsageFields.REFRESH_BUDGET);
    LocalDate today = LocalDate.ofInstant(stores.clock().instant(), ZoneOffset.UTC);
    // match() needs no redaction rules: any will do.
    CatalogRules rules = CatalogRules.of(0, catalog, stores.catalog().redactor());
    Map<CatalogEntry, long[]> events = new HashMap<>();
    Map<CatalogEntry, LocalDate> lastSeen = new HashMap<>();
    for (UsageQueries.NameUsage name : stores.usage().eventNames(today.minusDays(days - 1L))) {
      CatalogEntry entry = rules.match(name.feature(), name.action());
      if (entry != null) {
        events.computeIfAbsent(entry, e -> new long[1])[0] += name.events();
        lastSeen.merge(entry, name.lastDay(), (a, b) -> a.isAfter(b) ? a : b);
      }
    }
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (CatalogEntry entry : catalog.entries()) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("feature", entry.feature());
      node.put("action", entry.action());
      node.put("status", entry.status().fileName());
      node.put("sunset", entry.sunset() == null ? null : entry.sunset().toString());
      node.put("owner", entry.owner());
      node.put("description", entry.description());
      node.put("metadataKeys", List.copyOf(new TreeMap<>(entry.metadata()).keySet()));
      List<Map<String, Object>> privateKeys = new ArrayList<>();
      new TreeMap<>(entry.privateMetadata())
          .forEach(
              (key, planned) -> {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("key", key);
                k.put("export", planned.export());
                k.put("justification", planned.justification());
                privateKeys.add(k);
              });
      node.put("privateKeys", privateKeys);
      long[] matched = events.get(entry);
      node.put("events", count(matched == null ? 0 : matched[0]));
      LocalDate last = lastSeen.get(entry);
      node.put("lastSeen", last == null ? null : last.toString());
      nodes.add(node);
    }
    return nodes;
  }

  /** The applied versions, newest first, each with its diff. */
  Object versions(DataFetchingEnvironment env) {
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (CatalogVersions.AppliedVersion version :
        stores.catalog().versions().newestFirst(AdminFields.first(env))) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("version", count(version.version()));
      node.put("appliedAt", version.appliedAt().atOffset(ZoneOffset.UTC));
      node.put("appliedBy", version.appliedBy());
      node.put("source", version.source());
      node.put("diff", diff(version.diff()));
      node.put("released", count(version.released()));
      nodes.add(node);
    }
    return nodes;
  }

  /** The offline checks of a file, against every applied version; never an error for a bad file. */
  Object validate(DataFetchingEnvironment env) {
    CatalogFiles.Checked checked =
        CatalogFiles.check(document(env), stores.catalog().versions().catalogs());
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("valid", checked.valid());
    answer.put("problems", checked.problems());
    answer.put("entries", checked.catalog() == null ? 0 : checked.catalog().entries().size());
    return answer;
  }

  /** The replay preview of a file; an invalid file is an error listing its problems. */
  Object diff(DataFetchingEnvironment env) {
    return diff(stores.catalog().diff(document(env), days(env), CHECK));
  }

  /**
   * {@code applyCatalog}: an invalid file is an error listing its problems, and nothing is stored.
   * A release that stopped part way still answers with the version applied, beside an error that
   * says to finish it with {@code catalog release}.
   */
  Object applyCatalog(DataFetchingEnvironment env) {
    RequestState state = gate.admitChange(env, "applyCatalog");
    Long userId = state.context().actor().userId();
    String appliedBy = userId != null ? "user:" + userId : "user:unknown";
    // This instance's recording switches to the new version at once, before the release, without
    // waiting for its next read of the version in force.
    CatalogApply.Applied done =
        stores
            .catalog()
            .apply(
                document(env),
                appliedBy,
                days(env),
                CHECK,
                rules -> stores.catalogInForce().applied(rules.version(), rules.catalog()));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("version", count(done.version()));
    answer.put("diff", diff(done.diff()));
    answer.put("released", count(done.released()));
    if (done.releaseProblem() == null) {
      return answer;
    }
    return DataFetcherResult.newResult()
        .data(answer)
        .error(
            GraphqlErrorBuilder.newError(env)
                .message(
                    "version "
                        + done.version()
                        + " was applied, but "
                        + done.releaseProblem()
                        + " (tally-admin catalog release)")
                .extensions(Map.of("code", "RELEASE_INCOMPLETE"))
                .build())
        .build();
  }

  private static InForce inForce(DataFetchingEnvironment env) {
    return env.getSource();
  }

  private static String document(DataFetchingEnvironment env) {
    String document = env.getArgument("document");
    if (document == null) {
      throw new IllegalArgumentException("'document' must hold a catalog file");
    }
    return document;
  }

  private static int days(DataFetchingEnvironment env) {
    Integer days = env.getArgument("days");
    if (days == null || days < 1 || days > MAX_DAYS) {
      throw new IllegalArgumentException(
          "'days' must be between 1 and " + MAX_DAYS + ", got " + days);
    }
    return days;
  }

  /** A diff as the GraphQL type {@code CatalogDiff}: its counts as GraphQL Ints. */
  static Map<String, Object> diff(CatalogDiff diff) {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("fromVersion", count(diff.fromVersion()));
    answer.put("days", diff.days());
    answer.put("eventsReplayed", count(diff.eventsReplayed()));
    answer.put("entryChanges", diff.entryChanges());
    answer.put("policyChanges", diff.policyChanges());
    List<Map<String, Object>> events = new ArrayList<>();
    for (CatalogDiff.EventDiff event : diff.events()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("feature", event.feature());
      e.put("action", event.action());
      e.put("entry", event.entry());
      e.put("newlyExported", count(event.newlyExported()));
      e.put("newlyHeld", count(event.newlyHeld()));
      e.put("privateKeys", keys(event.privateKeys()));
      e.put("metadataKeys", keys(event.metadataKeys()));
      e.put("sample", event.sample());
      events.add(e);
    }
    answer.put("events", events);
    answer.put("newlyExported", count(diff.newlyExported()));
    answer.put("newlyHeld", count(diff.newlyHeld()));
    return answer;
  }

  private static List<Map<String, Object>> keys(List<CatalogDiff.KeyDiff> keys) {
    List<Map<String, Object>> answer = new ArrayList<>();
    for (CatalogDiff.KeyDiff key : keys) {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("key", key.key());
      k.put("newlyLeaving", count(key.newlyLeaving()));
      k.put("newlyWithheld", count(key.newlyWithheld()));
      answer.add(k);
    }
    return answer;
  }

  private static int count(long value) {
    return UsageFields.count(value);
  }
}
