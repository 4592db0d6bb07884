package dev.tally.recordevent;

import dev.tally.usage.UsageQueries;
import dev.tally.usage.UsageRollup;
import graphql.schema.DataFetchingEnvironment;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The administrator's {@code usage} field and the fields of its report: what the instance recorded
 * over a range of UTC days, read from the usage rollups, which the field first brings up to date.
 */
final class UsageFields {
  /** The longest range a report covers. */
  static final int MAX_DAYS = 366;

  /** How long one request may spend counting new rows into the rollups. */
  static final Duration REFRESH_BUDGET = Duration.ofSeconds(10);

  private final AdminStores stores;
  private final AdminGate gate;

  UsageFields(AdminStores stores, AdminGate gate) {
    this.stores = stores;
    this.gate = gate;
  }

  /** The report's range and how much the rollups leave out; its fields read the rest. */
  record Report(LocalDate from, LocalDate to, long pendingEvents) {}

  Object usage(DataFetchingEnvironment env) {
    gate.admit(env, "usage");
    Integer days = env.getArgument("days");
    if (days == null || days < 1 || days > MAX_DAYS) {
      throw new IllegalArgumentException(
          "'days' must be between 1 and " + MAX_DAYS + ", got " + days);
    }
    UsageRollup.Refresh refresh = stores.rollup().refresh(REFRESH_BUDGET);
    LocalDate to = LocalDate.ofInstant(stores.clock().instant(), ZoneOffset.UTC);
    return new Report(to.minusDays(days - 1L), to, refresh.pending());
  }

  Object from(DataFetchingEnvironment env) {
    return report(env).from().toString();
  }

  Object to(DataFetchingEnvironment env) {
    return report(env).to().toString();
  }

  Object pendingEvents(DataFetchingEnvironment env) {
    return count(report(env).pendingEvents());
  }

  /** Every day of the range, oldest first, split by the features with the most events. */
  Object eventsByDay(DataFetchingEnvironment env) {
    Report report = report(env);
    int features = limit(env, "features", 20);
    List<UsageQueries.FeatureDay> rows =
        stores.usage().eventsByDayAndTopFeatures(report.from(), report.to(), features);
    Map<String, Long> totals = new HashMap<>();
    Map<LocalDate, Map<String, Long>> byDay = new HashMap<>();
    Map<LocalDate, Long> others = new HashMap<>();
    for (UsageQueries.FeatureDay row : rows) {
      if (row.feature() == null) {
        others.put(row.day(), row.events());
      } else {
        totals.merge(row.feature(), row.events(), Long::sum);
        byDay.computeIfAbsent(row.day(), d -> new HashMap<>()).put(row.feature(), row.events());
      }
    }
    List<String> top =
        totals.entrySet().stream()
            .sorted(
                Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                    .thenComparing(Map.Entry.comparingByKey()))
            .map(Map.Entry::getKey)
            .toList();
    List<Map<String, Object>> days = new ArrayList<>();
    for (LocalDate day = report.from(); !day.isAfter(report.to()); day = day.plusDays(1)) {
      Map<String, Long> counts = byDay.getOrDefault(day, Map.of());
      long other = others.getOrDefault(day, 0L);
      long total = other;
      List<Map<String, Object>> split = new ArrayList<>();
      for (String feature : top) {
        long events = counts.getOrDefault(feature, 0L);
        total += events;
        split.add(Map.of("feature", feature, "events", count(events)));
      }
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("day", day.toString());
      node.put("events", count(total));
      node.put("byFeature", split);
      node.put("other", count(other));
      days.add(node);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("features", top);
    answer.put("days", days);
    return answer;
  }

  Object topEvents(DataFetchingEnvironment env) {
    Report report = report(env);
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (UsageQueries.EventUsage usage :
        stores.usage().topEvents(report.from(), report.to(), limit(env, "first", 100))) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("feature", usage.feature());
      node.put("action", usage.action());
      node.put("events", count(usage.events()));
      node.put("users", count(usage.users()));
      nodes.add(node);
    }
    return nodes;
  }

  Object activeUsers(DataFetchingEnvironment env) {
    UsageQueries.ActiveUsers active = stores.usage().activeUsers(report(env).to());
    return Map.of(
        "daily", users(active.daily()),
        "weekly", users(active.weekly()),
        "monthly", users(active.monthly()));
  }

  Object clients(DataFetchingEnvironment env) {
    Report report = report(env);
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (UsageQueries.ClientUsage client :
        stores.usage().clients(report.from(), report.to(), limit(env, "first", 100))) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("client", client.client());
      node.put("version", client.version().isEmpty() ? null : client.version());
      node.put("events", count(client.events()));
      nodes.add(node);
    }
    return nodes;
  }

  private static Map<String, Object> users(UsageQueries.UserCount count) {
    return Map.of("signedIn", count(count.signedIn()), "anonymous", count(count.anonymous()));
  }

  private static Report report(DataFetchingEnvironment env) {
    return env.getSource();
  }

  private static int limit(DataFetchingEnvironment env, String argument, int max) {
    Integer value = env.getArgument(argument);
    if (value == null || value < 0 || value > max) {
      throw new IllegalArgumentException(
          "'" + argument + "' must be between 0 and " + max + ", got " + value);
    }
    return value;
  }

  /** A count as a GraphQL Int, which holds 32 bits. */
  static int count(long value) {
    return (int) Math.min(Integer.MAX_VALUE, value);
  }
}
