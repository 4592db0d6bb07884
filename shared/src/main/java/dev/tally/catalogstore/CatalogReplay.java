package dev.tally.catalogstore;

import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Verdict;
import dev.tally.json.Json;
import dev.tally.store.Jdbc;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * The replay preview: a candidate catalog run against the instance's stored events of the last N
 * UTC days, beside the rules in force ({@link CatalogDiff}).
 *
 * <p>Which stored events: V2 events ({@code feature} set) that were, or could have been, exported:
 * {@code kept_local_reason} null or {@code unplanned}. Events kept local for a privacy reason (GPC,
 * DNT, an opt-out) or recorded by a legacy mutation are never judged by a catalog, so never
 * replayed. A null reason also covers events recorded while export was off for their user: they
 * cannot be told apart afterwards, so they are replayed as if exportable.
 *
 * <p>What it costs: one grouped query, which reads the window's rows once (through the timestamp
 * index when the window is a small part of the table, a sequential scan otherwise) and groups them
 * by feature, action, UTC day and the sets of their metadata and private-metadata key names, so
 * that the database hands back one row per group, not per event. Each group is judged twice in Java
 * (the rules in force, the candidate): the Java work grows with event names × days × key sets,
 * never with the number of events. A second query fetches up to 3 sample IDs per changed event
 * name, each an index lookup of one day of one name ({@code event_logs_name_timestamp}) that stops
 * at the third match. Measured ({@code CatalogReplayScaleTest}, embedded PostgreSQL 17 on 2 cores
 * shared with other builds, load average about 7): 3.6 to 4.3 s for 1,000,000 stored events in the
 * window (200 names, 30 days, 600 groups), 2.2 s for the 233,000 of the last 7 days; most of it is
 * the database building each row's key arrays and hashing them. The apply holds the versions' lock
 * while it replays, so a replay of many days of a large instance makes a second apply wait.
 */
public final class CatalogReplay {
  /** The longest window replayed. */
  public static final int MAX_DAYS = 366;

  /** Most sample event IDs per event name. */
  static final int SAMPLE = 3;

  /**
   * The window's events grouped by what a verdict depends on. jsonb stores an object's keys in one
   * order (by length, then bytes), so the same set of keys always gives the same array.
   */
  private static final String GROUPS =
      """
      SELECT feature, action, day, metadata_keys, private_keys, count(*)
      FROM (
          SELECT feature, action, (timestamp AT TIME ZONE 'UTC')::date AS day,
                 CASE WHEN jsonb_typeof(public_argument) = 'object'
                      THEN ARRAY(SELECT jsonb_object_keys(public_argument))
                      ELSE CAST('{}' AS text[]) END AS metadata_keys,
                 CASE WHEN jsonb_typeof(argument) = 'object'
                      THEN ARRAY(SELECT jsonb_object_keys(argument))
                      ELSE CAST('{}' AS text[]) END AS private_keys
          FROM event_logs
          WHERE timestamp >= ? AND feature IS NOT NULL AND action IS NOT NULL
            AND (kept_local_reason IS NULL OR kept_local_reason = 'unplanned')) AS stored
      GROUP BY feature, action, day, metadata_keys, private_keys
      """;

  /**
   * Up to {@value #SAMPLE} event IDs of each of the groups given as a JSON array: any of the
   * group's events, in no order, so that the scan of a group's day stops at the third.
   */
  private static final String SAMPLES =
      """
      SELECT g.i, s.event_id
      FROM jsonb_to_recordset(CAST(? AS jsonb))
               AS g(i integer, f text, a text, d date, m text[], p text[])
      CROSS JOIN LATERAL (
          SELECT e.event_id FROM event_logs e
          WHERE e.name = g.f || '.' || g.a
            AND e.timestamp >= CAST(g.d AS timestamp) AT TIME ZONE 'UTC'
            AND e.timestamp < CAST(g.d + 1 AS timestamp) AT TIME ZONE 'UTC'
            AND e.timestamp >= ?
            AND e.feature = g.f AND e.action = g.a
            AND (e.kept_local_reason IS NULL OR e.kept_local_reason = 'unplanned')
            AND CASE WHEN jsonb_typeof(e.public_argument) = 'object'
                     THEN ARRAY(SELECT jsonb_object_keys(e.public_argument))
                     ELSE CAST('{}' AS text[]) END = g.m
            AND CASE WHEN jsonb_typeof(e.argument) = 'object'
                     THEN ARRAY(SELECT jsonb_object_keys(e.argument))
                     ELSE CAST('{}' AS text[]) END = g.p
          LIMIT %d) AS s
      ORDER BY g.i
      """
          .formatted(SAMPLE);

  private final DataSource dataSource;
  private final Clock clock;

  public CatalogReplay(DataSource dataSource, Clock clock) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The replay preview of {@code candidate} against {@code inForce} over the last {@code days} UTC
   * days (today included).
   *
   * @throws IllegalArgumentException when {@code days} is not between 1 and {@value #MAX_DAYS}
   */
  public CatalogDiff preview(CatalogRules inForce, CatalogRules candidate, int days) {
    checkDays(days);
    return Jdbc.withConnection(
        dataSource,
        "replay the stored events against a candidate catalog",
        connection -> preview(connection, inForce, candidate, days));
  }

  /** {@link #preview} on a connection of the caller's (an apply's transaction). */
  CatalogDiff preview(Connection connection, CatalogRules inForce, CatalogRules candidate, int days)
      throws SQLException {
    checkDays(days);
    Instant from =
        LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC)
            .minusDays(days - 1L)
            .atStartOfDay(ZoneOffset.UTC)
            .toInstant();
    List<Group> groups = Jdbc.query(connection, GROUPS, CatalogReplay::group, from);
    long replayed = 0;
    Map<String, NameDiff> names = new TreeMap<>();
    for (Group group : groups) {
      replayed += group.events();
      Verdict before =
          inForce.judge(
              group.feature(), group.action(), group.day(), group.metadata(), group.privates());
      Verdict after =
          candidate.judge(
              group.feature(), group.action(), group.day(), group.metadata(), group.privates());
      NameDiff name =
          names.computeIfAbsent(
              group.feature() + '\u0000' + group.action(),
              k -> new NameDiff(group.feature(), group.action()));
      if (name.add(group, before, after)) {
        name.affected.add(group);
      }
    }
    List<NameDiff> changed = new ArrayList<>();
    long newlyExported = 0;
    long newlyHeld = 0;
    for (NameDiff name : names.values()) {
      if (!name.affected.isEmpty()) {
        changed.add(name);
        newlyExported += name.newlyExported;
        newlyHeld += name.newlyHeld;
      }
    }
    changed.sort(
        Comparator.comparingLong((NameDiff n) -> -(n.newlyExported + n.newlyHeld))
            .thenComparingLong(n -> -n.keyChanges())
            .thenComparing(n -> n.feature)
            .thenComparing(n -> n.action));
    Map<NameDiff, List<String>> samples = samples(connection, changed, from);
    List<CatalogDiff.EventDiff> events = new ArrayList<>(changed.size());
    for (NameDiff name : changed) {
      CatalogEntry entry = candidate.match(name.feature, name.action);
      events.add(
          new CatalogDiff.EventDiff(
              name.feature,
              name.action,
              entry == null ? null : entry.name(),
              name.newlyExported,
              name.newlyHeld,
              keyDiffs(name.privateKeys),
              keyDiffs(name.metadataKeys),
              samples.getOrDefault(name, List.of())));
    }
    return new CatalogDiff(
        inForce.version(),
        days,
        replayed,
        CatalogChanges.entries(inForce.catalog(), candidate.catalog()),
        CatalogChanges.policy(inForce.catalog().policy(), candidate.catalog().policy()),
        events,
        newlyExported,
        newlyHeld);
  }

  static void checkDays(int days) {
    if (days < 1 || days > MAX_DAYS) {
      throw new IllegalArgumentException(
          "'days' must be between 1 and " + MAX_DAYS + ", got " + days);
    }
  }

  /** Stored events alike in everything a verdict depends on. */
  private record Group(
      String feature,
      String action,
      LocalDate day,
      List<String> metadata,
      List<String> privates,
      long events) {}

  private static Group group(ResultSet row) throws SQLException {
    return new Group(
        row.getString(1),
        row.getString(2),
        row.getObject(3, LocalDate.class),
        strings(row.getArray(4)),
        strings(row.getArray(5)),
        row.getLong(6));
  }

  private static List<String> strings(Array array) throws SQLException {
    if (array == null) {
      return List.of();
    }
    try {
      return List.of((String[]) array.getArray());
    } finally {
      array.free();
    }
  }

  /** What the candidate changes for one event name, summed over its groups. */
  private static final class NameDiff {
    final String feature;
    final String action;
    long newlyExported;
    long newlyHeld;
    final Map<String, long[]> privateKeys = new TreeMap<>();
    final Map<String, long[]> metadataKeys = new TreeMap<>();
    final List<Group> affected = new ArrayList<>();

    NameDiff(String feature, String action) {
      this.feature = feature;
      this.action = action;
    }

    /** Adds a group's changes; whether its events' fate changes at all. */
    boolean add(Group group, Verdict before, Verdict after) {
      long events = group.events();
      boolean changed = false;
      if (before.held() && !after.held()) {
        newlyExported += events;
        changed = true;
      } else if (!before.held() && after.held()) {
        newlyHeld += events;
        changed = true;
      }
      for (String key : group.privates()) {
        changed |=
            keyChange(
                privateKeys,
                key,
                events,
                !before.held() && before.exportedPrivateKeys().contains(key),
                !after.held() && after.exportedPrivateKeys().contains(key));
      }
      for (String key : group.metadata()) {
        changed |=
            keyChange(
                metadataKeys,
                key,
                events,
                !before.held() && !before.droppedMetadataKeys().contains(key),
                !after.held() && !after.droppedMetadataKeys().contains(key));
      }
      return changed;
    }

    private static boolean keyChange(
        Map<String, long[]> keys, String key, long events, boolean leftBefore, boolean leaves) {
      if (leftBefore == leaves) {
        return false;
      }
      keys.computeIfAbsent(key, k -> new long[2])[leaves ? 0 : 1] += events;
      return true;
    }

    long keyChanges() {
      long sum = 0;
      for (long[] counts : privateKeys.values()) {
        sum += counts[0] + counts[1];
      }
      for (long[] counts : metadataKeys.values()) {
        sum += counts[0] + counts[1];
      }
      return sum;
    }
  }

  private static List<CatalogDiff.KeyDiff> keyDiffs(Map<String, long[]> keys) {
    List<CatalogDiff.KeyDiff> diffs = new ArrayList<>(keys.size());
    keys.forEach((key, counts) -> diffs.add(new CatalogDiff.KeyDiff(key, counts[0], counts[1])));
    return diffs;
  }

  /**
   * Up to {@value #SAMPLE} IDs of affected events per changed name, from its groups with the most
   * events: one query for all names.
   */
  private static Map<NameDiff, List<String>> samples(
      Connection connection, List<NameDiff> changed, Instant from) throws SQLException {
    List<Object> wanted = new ArrayList<>();
    List<NameDiff> owners = new ArrayList<>();
    for (NameDiff name : changed) {
      List<Group> groups = new ArrayList<>(name.affected);
      groups.sort(Comparator.comparingLong(Group::events).reversed());
      long covered = 0;
      for (Group group : groups) {
        if (covered >= SAMPLE) {
          break;
        }
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("i", owners.size());
        g.put("f", group.feature());
        g.put("a", group.action());
        g.put("d", group.day().toString());
        g.put("m", group.metadata());
        g.put("p", group.privates());
        wanted.add(g);
        owners.add(name);
        covered += group.events();
      }
    }
    Map<NameDiff, List<String>> samples = new HashMap<>();
    if (wanted.isEmpty()) {
      return samples;
    }
    for (Object[] row :
        Jdbc.query(
            connection,
            SAMPLES,
            r -> new Object[] {r.getInt(1), r.getString(2)},
            Json.write(wanted),
            from)) {
      List<String> sample =
          samples.computeIfAbsent(owners.get((Integer) row[0]), k -> new ArrayList<>());
      if (sample.size() < SAMPLE) {
        sample.add((String) row[1]);
      }
    }
    return samples;
  }
}
