package dev.tally.usage;

import dev.tally.store.Jdbc;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * What the usage rollups answer, over a range of UTC days ({@code from} and {@code to} included).
 * They count what {@link UsageRollup} counted: refresh it first.
 *
 * <p>Distinct users are counted by the last day each user was seen, which keeps them exact and
 * cheap for a range that ends with the newest events, today: the only kind the console and the API
 * ask for. A user whose newest event is dated after the range's end (clients may date events up to
 * a day ahead) is counted as active on that last day.
 */
public final class UsageQueries {
  private final DataSource dataSource;

  public UsageQueries(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /** Events of one feature on one day; {@code feature} is {@code null} for the others together. */
  public record FeatureDay(LocalDate day, String feature, long events) {}

  /** An event name's use: how often it was recorded, and by how many distinct users. */
  public record EventUsage(String feature, String action, long events, long users) {}

  /** Distinct users, signed-in and anonymous apart. */
  public record UserCount(long signedIn, long anonymous) {}

  /**
   * Active users of the day {@code on}, of the 7 days and of the 30 days that end with it. Events
   * of unknown users (neither a user nor an anonymous ID) count for nobody.
   */
  public record ActiveUsers(UserCount daily, UserCount weekly, UserCount monthly) {}

  /** A client's events; {@code version} is empty when it sent none. */
  public record ClientUsage(String client, String version, long events) {}

  /**
   * Events per day of the {@code top} features with the most events over the range (most first,
   * then by name), each day's other events together under a {@code null} feature: at most {@code
   * top + 1} rows a day, however many features the range holds. By day, then most events first;
   * days without events are absent.
   */
  public List<FeatureDay> eventsByDayAndTopFeatures(LocalDate from, LocalDate to, int top) {
    return Jdbc.query(
        dataSource,
        "read events per day and feature",
        """
        WITH days AS (
            SELECT day, feature, sum(events) AS events FROM event_usage_daily
            WHERE day BETWEEN ? AND ? GROUP BY day, feature),
        top AS (
            SELECT feature FROM days GROUP BY feature
            ORDER BY sum(events) DESC, feature LIMIT ?)
        SELECT days.day, top.feature, sum(days.events)
        FROM days LEFT JOIN top ON top.feature = days.feature
        GROUP BY days.day, top.feature
        ORDER BY days.day, 3 DESC, top.feature NULLS LAST
        """,
        row -> new FeatureDay(row.getDate(1).toLocalDate(), row.getString(2), row.getLong(3)),
        from,
        to,
        top);
  }

  /**
   * The {@code limit} most recorded feature and action pairs, with their distinct users: those who
   * last recorded it on {@code from} or later (exact for a range that ends today; see above).
   */
  public List<EventUsage> topEvents(LocalDate from, LocalDate to, int limit) {
    return Jdbc.query(
        dataSource,
        "read the top events",
        """
        WITH top AS (
            SELECT feature, action, sum(events) AS events FROM event_usage_daily
            WHERE day BETWEEN ? AND ?
            GROUP BY feature, action ORDER BY events DESC, feature, action LIMIT ?)
        SELECT top.feature, top.action, top.events,
               (SELECT count(*) FROM event_usage_users u
                WHERE u.feature = top.feature AND u.action = top.action
                  AND u.last_day >= ?)
        FROM top ORDER BY top.events DESC, top.feature, top.action
        """,
        row -> new EventUsage(row.getString(1), row.getString(2), row.getLong(3), row.getLong(4)),
        from,
        to,
        limit,
        from);
  }

  /** Active users of the day {@code on} and of the week and month that end with it. */
  public ActiveUsers activeUsers(LocalDate on) {
    return Jdbc.queryOne(
            dataSource,
            "read the active users",
            """
            SELECT
                count(*) FILTER (WHERE last_day >= ? AND user_key LIKE 'u:%'),
                count(*) FILTER (WHERE last_day >= ? AND user_key LIKE 'a:%'),
                count(*) FILTER (WHERE last_day >= ? AND user_key LIKE 'u:%'),
                count(*) FILTER (WHERE last_day >= ? AND user_key LIKE 'a:%'),
                count(*) FILTER (WHERE user_key LIKE 'u:%'),
                count(*) FILTER (WHERE user_key LIKE 'a:%')
            FROM event_usage_last_seen WHERE last_day >= ?
            """,
            row ->
                new ActiveUsers(
                    new UserCount(row.getLong(1), row.getLong(2)),
                    new UserCount(row.getLong(3), row.getLong(4)),
                    new UserCount(row.getLong(5), row.getLong(6))),
            on,
            on,
            on.minusDays(6),
            on.minusDays(6),
            on.minusDays(29))
        .orElseThrow();
  }

  /** The {@code limit} clients and versions with the most events. */
  public List<ClientUsage> clients(LocalDate from, LocalDate to, int limit) {
    return Jdbc.query(
        dataSource,
        "read the clients",
        "SELECT client, client_version, sum(events) FROM event_usage_daily"
            + " WHERE day BETWEEN ? AND ? GROUP BY client, client_version"
            + " ORDER BY 3 DESC, client, client_version LIMIT ?",
        row -> new ClientUsage(row.getString(1), row.getString(2), row.getLong(3)),
        from,
        to,
        limit);
  }

  /**
   * An event name's use.
   *
   * @param events its events from the day asked on
   * @param lastDay the last day one was recorded, whenever that was
   */
  public record NameUsage(String feature, String action, long events, LocalDate lastDay) {}

  /**
   * Every feature and action pair the rollups counted, with its events from {@code from} on and the
   * last day it was recorded: what the catalog's entries show as their volume and last seen.
   */
  public List<NameUsage> eventNames(LocalDate from) {
    return Jdbc.query(
        dataSource,
        "read the events per name",
        "SELECT feature, action, coalesce(sum(events) FILTER (WHERE day >= ?), 0), max(day)"
            + " FROM event_usage_daily GROUP BY feature, action",
        row ->
            new NameUsage(
                row.getString(1),
                row.getString(2),
                row.getLong(3),
                row.getObject(4, LocalDate.class)),
        from);
  }
}
