package dev.tally.catalogstore;

import dev.tally.catalog.ObservedEvent;
import dev.tally.store.Jdbc;
import dev.tally.usage.UsageRollup;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The observed catalog: every V2 event name the instance recorded, with what it learned of each
 * (first and last day, volume, clients, the keys it carried), and the catalog's counters per day.
 * Read from the rollups of {@code event_logs} ({@link UsageRollup}), which each read first brings
 * up to date: recording never pays for it.
 *
 * <p>The volume and the clients come from {@code event_usage_daily}, where a V2 event has an action
 * and a legacy one none; the keys from {@code event_catalog_keys}, which counts each key since it
 * was first seen (it keeps no days per key), and lists the keys seen within the range asked for.
 */
public final class ObservedCatalog {
  /** How long one read may spend counting new rows into the rollups. */
  static final Duration REFRESH_BUDGET = Duration.ofSeconds(10);

  private final DataSource dataSource;
  private final UsageRollup rollup;
  private final Clock clock;

  public ObservedCatalog(DataSource dataSource, UsageRollup rollup, Clock clock) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.rollup = Objects.requireNonNull(rollup, "rollup");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** One name's volume as the daily rollup holds it. */
  private record Name(
      String feature,
      String action,
      LocalDate firstSeen,
      LocalDate lastSeen,
      long events7d,
      long events30d) {}

  /** A count of one name of a V2 event: a client, or a key of a kind. */
  private record Count(String feature, String action, String kind, String name, long events) {}

  /**
   * The V2 event names recorded over the last {@code days} UTC days (today included), the most
   * recorded over them first (then by feature and action), at most {@code first} of them.
   *
   * @throws IllegalArgumentException when {@code days} is below 1 or {@code first} below 0
   */
  public List<ObservedEvent> observed(int days, int first) {
    if (days < 1 || first < 0) {
      throw new IllegalArgumentException("days must be at least 1 and first at least 0");
    }
    rollup.refresh(REFRESH_BUDGET);
    LocalDate today = today();
    LocalDate from = today.minusDays(days - 1L);
    return Jdbc.withConnection(
        dataSource,
        "read the observed catalog",
        connection -> {
          List<Name> names =
              Jdbc.query(
                  connection,
                  """
                  SELECT feature, action, min(day), max(day),
                         coalesce(sum(events) FILTER (WHERE day >= ?), 0),
                         coalesce(sum(events) FILTER (WHERE day >= ?), 0)
                  FROM event_usage_daily
                  WHERE action <> ''
                  GROUP BY feature, action
                  HAVING max(day) >= ?
                  ORDER BY sum(events) FILTER (WHERE day >= ?) DESC, feature, action
                  LIMIT ?
                  """,
                  row ->
                      new Name(
                          row.getString(1),
                          row.getString(2),
                          row.getDate(3).toLocalDate(),
                          row.getDate(4).toLocalDate(),
                          row.getLong(5),
                          row.getLong(6)),
                  today.minusDays(6),
                  today.minusDays(29),
                  from,
                  from,
                  first);
          if (names.isEmpty()) {
            return List.of();
          }
          Jdbc.SqlArray features = Jdbc.textArray(names.stream().map(Name::feature).toList());
          Jdbc.SqlArray actions = Jdbc.textArray(names.stream().map(Name::action).toList());
          List<Count> counts = new ArrayList<>();
          counts.addAll(
              Jdbc.query(
                  connection,
                  """
                  SELECT d.feature, d.action, 'client', d.client, sum(d.events)
                  FROM event_usage_daily AS d
                  JOIN unnest(?, ?) AS n (feature, action)
                    ON n.feature = d.feature AND n.action = d.action
                  WHERE d.day >= ?
                  GROUP BY d.feature, d.action, d.client
                  """,
                  ObservedCatalog::count,
                  features,
                  actions,
                  from));
          counts.addAll(
              Jdbc.query(
                  connection,
                  """
                  SELECT k.feature, k.action, k.kind, k.key, k.events
                  FROM event_catalog_keys AS k
                  JOIN unnest(?, ?) AS n (feature, action)
                    ON n.feature = k.feature AND n.action = k.action
                  WHERE k.last_day >= ?
                  """,
                  ObservedCatalog::count,
                  features,
                  actions,
                  from));
          return events(names, counts);
        });
  }

  private static Count count(java.sql.ResultSet row) throws java.sql.SQLException {
    return new Count(
        row.getString(1), row.getString(2), row.getString(3), row.getString(4), row.getLong(5));
  }

  private static List<ObservedEvent> events(List<Name> names, List<Count> counts) {
    Map<String, Map<String, List<Count>>> byName = new HashMap<>();
    for (Count count : counts) {
      byName
          .computeIfAbsent(count.feature() + '\u0000' + count.action(), n -> new HashMap<>())
          .computeIfAbsent(count.kind(), k -> new ArrayList<>())
          .add(count);
    }
    List<ObservedEvent> events = new ArrayList<>(names.size());
    for (Name name : names) {
      Map<String, List<Count>> kinds =
          byName.getOrDefault(name.feature() + '\u0000' + name.action(), Map.of());
      events.add(
          new ObservedEvent(
              name.feature(),
              name.action(),
              name.firstSeen(),
              name.lastSeen(),
              name.events7d(),
              name.events30d(),
              mostFirst(kinds.get("client")),
              mostFirst(kinds.get("metadata")),
              mostFirst(kinds.get("private")),
              mostFirst(kinds.get("billing"))));
    }
    return events;
  }

  /** Counts by name, the most events first, then by name. */
  private static Map<String, Long> mostFirst(List<Count> counts) {
    Map<String, Long> ordered = new LinkedHashMap<>();
    if (counts != null) {
      counts.stream()
          .sorted(Comparator.comparingLong(Count::events).reversed().thenComparing(Count::name))
          .forEach(count -> ordered.put(count.name(), count.events()));
    }
    return ordered;
  }

  /**
   * How many events of one name had one key dropped from their exported copy, or would have.
   *
   * @param kind {@code metadata} or {@code private}
   * @param outcome {@code dropped} or {@code would_drop}
   */
  public record KeyCounter(
      String feature, String action, String kind, String key, String outcome, long events) {}

  /**
   * The catalog's counters of one UTC day.
   *
   * @param held events held back (policy {@code hold})
   * @param wouldHold events the catalog would have held (policy {@code shadow})
   * @param keys keys dropped or that would have been, by event name, kind and key
   */
  public record CounterDay(LocalDate day, long held, long wouldHold, List<KeyCounter> keys) {
    public CounterDay {
      keys = List.copyOf(keys);
    }
  }

  /**
   * The catalog's counters of every one of the last {@code days} UTC days, today first; a day
   * without any has zeros. The keys of a day come by event name, kind, key and outcome.
   *
   * @throws IllegalArgumentException when {@code days} is below 1
   */
  public List<CounterDay> counters(int days) {
    if (days < 1) {
      throw new IllegalArgumentException("days must be at least 1");
    }
    rollup.refresh(REFRESH_BUDGET);
    LocalDate today = today();
    LocalDate from = today.minusDays(days - 1L);
    Map<LocalDate, long[]> events = new HashMap<>();
    Map<LocalDate, List<KeyCounter>> keys = new HashMap<>();
    Jdbc.query(
            dataSource,
            "read the catalog's counters",
            """
            SELECT day, feature, action, kind, key, outcome, events
            FROM event_catalog_outcomes
            WHERE day BETWEEN ? AND ?
            ORDER BY day, feature, action, kind, key, outcome
            """,
            row ->
                new Object[] {
                  row.getDate(1).toLocalDate(),
                  new KeyCounter(
                      row.getString(2),
                      row.getString(3),
                      row.getString(4),
                      row.getString(5),
                      row.getString(6),
                      row.getLong(7))
                },
            from,
            today)
        .forEach(
            row -> {
              LocalDate day = (LocalDate) row[0];
              KeyCounter counter = (KeyCounter) row[1];
              if (counter.kind().equals("event")) {
                long[] held = events.computeIfAbsent(day, d -> new long[2]);
                held[counter.outcome().equals("held") ? 0 : 1] += counter.events();
              } else {
                keys.computeIfAbsent(day, d -> new ArrayList<>()).add(counter);
              }
            });
    List<CounterDay> counters = new ArrayList<>(days);
    for (LocalDate day = today; !day.isBefore(from); day = day.minusDays(1)) {
      long[] held = events.getOrDefault(day, new long[2]);
      counters.add(new CounterDay(day, held[0], held[1], keys.getOrDefault(day, List.of())));
    }
    return counters;
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }
}
