package dev.tally.store;

import dev.tally.event.Actor;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Boolean feature flags with an instance-wide value and optional per-user overrides, which an
 * administrator sets; a user's override wins over the instance-wide value. An evaluation for a user
 * also says whether they opted out of export themselves ({@code export_opt_outs}, kept apart from
 * the overrides), read in the same query, for the privacy rule to apply.
 */
public final class FeatureFlags {
  /** Turns export of recorded events on, for the whole instance or for one user. */
  public static final String TELEMETRY_EXPORT = "telemetry-export";

  private final DataSource dataSource;

  public FeatureFlags(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /** Every flag's value for the actor, by flag name. Anonymous actors get instance-wide values. */
  public Map<String, Boolean> evaluate(Actor actor) {
    return evaluateWithOverrides(actor).values();
  }

  /**
   * Every flag's value for the actor, which of them are the actor's own values, and whether the
   * actor opted out of export, in one query. Anonymous actors get instance-wide values, have no
   * overrides and have not opted out.
   */
  public Evaluation evaluateWithOverrides(Actor actor) {
    return Jdbc.withConnection(
        dataSource,
        "evaluate feature flags",
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT "
                      + FLAG_COLUMNS
                      + " FROM (SELECT CAST(? AS bigint) AS user_id) u"
                      + joinFlagsOf("u.user_id"))) {
            if (actor.userId() != null) {
              query.setLong(1, actor.userId());
            } else {
              query.setNull(1, java.sql.Types.BIGINT);
            }
            Gathering flags = new Gathering();
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                flags.add(rows, 1);
              }
            }
            return flags.evaluation();
          }
        });
  }

  /** The columns {@link Gathering} reads, from the tables {@link #joinFlagsOf} joins. */
  static final String FLAG_COLUMNS = "f.name, f.enabled, o.enabled, x.user_id IS NOT NULL";

  /**
   * Joins every flag {@code f}, the overrides {@code o} of the user {@code userId} (an SQL
   * expression naming one user, or {@code NULL}) and that user's export opt-out {@code x}: at least
   * one row for each row it is joined to (with a {@code NULL} flag name when there is no flag), one
   * per flag. Selecting {@link #FLAG_COLUMNS} gives the rows {@link Gathering} reads.
   */
  static String joinFlagsOf(String userId) {
    return " LEFT JOIN feature_flags f ON true"
        + " LEFT JOIN feature_flag_overrides o ON o.flag_name = f.name AND o.user_id = "
        + userId
        + " LEFT JOIN export_opt_outs x ON x.user_id = "
        + userId;
  }

  /**
   * Gathers an evaluation from rows of a flag's name, its instance-wide value, the user's own value
   * (or {@code NULL}) and whether the user opted out of export; a row without a name (an outer join
   * that found no flag) adds no flag.
   */
  static final class Gathering {
    private final Map<String, Boolean> values = new TreeMap<>();
    private final Map<String, Boolean> overrides = new TreeMap<>();
    private boolean exportOptOut;

    /** Adds the row's flag, read from the columns {@code first} to {@code first + 3}. */
    void add(ResultSet row, int first) throws SQLException {
      exportOptOut = row.getBoolean(first + 3);
      String name = row.getString(first);
      if (name == null) {
        return;
      }
      boolean instance = row.getBoolean(first + 1);
      boolean own = row.getBoolean(first + 2);
      if (row.wasNull()) {
        values.put(name, instance);
      } else {
        values.put(name, own);
        overrides.put(name, own);
      }
    }

    Evaluation evaluation() {
      return new Evaluation(values, overrides, exportOptOut);
    }
  }

  /**
   * Flags evaluated for one actor.
   *
   * @param values every flag's value for the actor
   * @param overrides the flags the actor has a value of their own for (an administrator's per-user
   *     value), with that value
   * @param exportOptOut whether the actor, a signed-in user, turned export of their own events off
   *     ({@code dev.tally.privacy.ExportOptOut}); kept apart from {@code overrides}, so that
   *     neither the user nor an administrator undoes the other's choice
   */
  public record Evaluation(
      Map<String, Boolean> values, Map<String, Boolean> overrides, boolean exportOptOut) {
    public Evaluation {
      values = Collections.unmodifiableMap(new TreeMap<>(values));
      overrides = Collections.unmodifiableMap(new TreeMap<>(overrides));
    }

    /** Flags of an actor who did not opt out of export. */
    public Evaluation(Map<String, Boolean> values, Map<String, Boolean> overrides) {
      this(values, overrides, false);
    }

    /** The actor's own value of a flag, or empty when the instance-wide value applies. */
    public Optional<Boolean> override(String name) {
      return Optional.ofNullable(overrides.get(name));
    }
  }

  /** A flag's instance-wide value; empty when the flag does not exist (then it is off). */
  public Optional<Boolean> instanceValue(String name) {
    return Jdbc.withConnection(
        dataSource,
        "read feature flag " + name,
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement("SELECT enabled FROM feature_flags WHERE name = ?")) {
            query.setString(1, name);
            try (ResultSet rs = query.executeQuery()) {
              return rs.next() ? Optional.of(rs.getBoolean(1)) : Optional.empty();
            }
          }
        });
  }

  /** How many users have their own value of a flag, by that value. */
  public Overrides overrides(String name) {
    return Jdbc.withConnection(
        dataSource,
        "count overrides of feature flag " + name,
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT count(*) FILTER (WHERE enabled), count(*) FILTER (WHERE NOT enabled)"
                      + " FROM feature_flag_overrides WHERE flag_name = ?")) {
            query.setString(1, name);
            try (ResultSet rs = query.executeQuery()) {
              rs.next();
              return new Overrides(rs.getInt(1), rs.getInt(2));
            }
          }
        });
  }

  /** Users whose own value of a flag is on, and off. */
  public record Overrides(int on, int off) {}

  /** Sets a flag's instance-wide value, creating the flag if needed. */
  public void set(String name, boolean enabled) {
    Jdbc.withConnection(
        dataSource,
        "set feature flag " + name,
        connection -> {
          try (PreparedStatement upsert =
              connection.prepareStatement(
                  "INSERT INTO feature_flags (name, enabled) VALUES (?, ?)"
                      + " ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled,"
                      + " updated_at = now()")) {
            upsert.setString(1, name);
            upsert.setBoolean(2, enabled);
            return upsert.executeUpdate();
          }
        });
  }

  /** One user's own value of a flag, or empty when the instance-wide value applies to them. */
  public Optional<Boolean> override(String name, long userId) {
    return Jdbc.withConnection(
        dataSource,
        "read feature flag " + name + " for user " + userId,
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT enabled FROM feature_flag_overrides WHERE flag_name = ? AND user_id = ?")) {
            query.setString(1, name);
            query.setLong(2, userId);
            try (ResultSet rs = query.executeQuery()) {
              return rs.next() ? Optional.of(rs.getBoolean(1)) : Optional.empty();
            }
          }
        });
  }

  /**
   * Sets one user's value of a flag, creating the flag off for everyone else when it does not exist
   * yet, in one transaction.
   */
  public void setOverride(String name, long userId, boolean enabled) {
    Jdbc.inTransaction(
        dataSource,
        "set feature flag " + name + " for user " + userId,
        connection -> {
          try (PreparedStatement create =
                  connection.prepareStatement(
                      "INSERT INTO feature_flags (name, enabled) VALUES (?, false)"
                          + " ON CONFLICT (name) DO NOTHING");
              PreparedStatement upsert =
                  connection.prepareStatement(
                      "INSERT INTO feature_flag_overrides (flag_name, user_id, enabled)"
                          + " VALUES (?, ?, ?) ON CONFLICT (flag_name, user_id)"
                          + " DO UPDATE SET enabled = excluded.enabled, updated_at = now()")) {
            create.setString(1, name);
            create.executeUpdate();
            upsert.setString(1, name);
            upsert.setLong(2, userId);
            upsert.setBoolean(3, enabled);
            return upsert.executeUpdate();
          }
        });
  }

  /**
   * Removes a user's override, so the instance-wide value applies again.
   *
   * @return whether there was one
   */
  public boolean removeOverride(String name, long userId) {
    return Jdbc.withConnection(
            dataSource,
            "remove feature flag override " + name + " for user " + userId,
            connection -> {
              try (PreparedStatement delete =
                  connection.prepareStatement(
                      "DELETE FROM feature_flag_overrides WHERE flag_name = ? AND user_id = ?")) {
                delete.setString(1, name);
                delete.setLong(2, userId);
                return delete.executeUpdate();
              }
            })
        > 0;
  }
}
