package dev.tally.store;

import dev.tally.event.Actor;
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
    Gathering flags = new Gathering();
    Jdbc.query(
            dataSource,
            "evaluate feature flags",
            "SELECT "
                + FLAG_COLUMNS
                + " FROM (SELECT CAST(? AS bigint) AS user_id) u"
                + joinFlagsOf("u.user_id"),
            row -> FlagRow.read(row, 1),
            actor.userId())
        .forEach(flags::add);
    return flags.evaluation();
  }

  /** The columns of a {@link FlagRow}, from the tables {@link #joinFlagsOf} joins. */
  static final String FLAG_COLUMNS = "f.name, f.enabled, o.enabled, x.user_id IS NOT NULL";

  /**
   * Joins every flag {@code f}, the overrides {@code o} of the user {@code userId} (an SQL
   * expression naming one user, or {@code NULL}) and that user's export opt-out {@code x}: at least
   * one row for each row it is joined to (with a {@code NULL} flag name when there is no flag), one
   * per flag. Selecting {@link #FLAG_COLUMNS} gives {@link FlagRow}s.
   */
  static String joinFlagsOf(String userId) {
    return " LEFT JOIN feature_flags f ON true"
        + " LEFT JOIN feature_flag_overrides o ON o.flag_name = f.name AND o.user_id = "
        + userId
        + " LEFT JOIN export_opt_outs x ON x.user_id = "
        + userId;
  }

  /**
   * A row of {@link #FLAG_COLUMNS}: a flag's name, or {@code null} when an outer join found no
   * flag; its instance-wide value; the user's own value, or {@code null}; and whether the user
   * opted out of export.
   */
  record FlagRow(String name, boolean instance, Boolean own, boolean exportOptOut) {
    /** The flag of the current row, read from the columns {@code first} to {@code first + 3}. */
    static FlagRow read(ResultSet row, int first) throws SQLException {
      String name = row.getString(first);
      boolean instance = row.getBoolean(first + 1);
      boolean own = row.getBoolean(first + 2);
      Boolean ownOrNull = row.wasNull() ? null : own;
      return new FlagRow(name, instance, ownOrNull, row.getBoolean(first + 3));
    }
  }

  /** Gathers an evaluation from {@link FlagRow}s; a row without a name adds no flag. */
  static final class Gathering {
    private final Map<String, Boolean> values = new TreeMap<>();
    private final Map<String, Boolean> overrides = new TreeMap<>();
    private boolean exportOptOut;

    void add(FlagRow row) {
      exportOptOut = row.exportOptOut();
      if (row.name() == null) {
        return;
      }
      if (row.own() == null) {
        values.put(row.name(), row.instance());
      } else {
        values.put(row.name(), row.own());
        overrides.put(row.name(), row.own());
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
    return Jdbc.queryOne(
        dataSource,
        "read feature flag " + name,
        "SELECT enabled FROM feature_flags WHERE name = ?",
        row -> row.getBoolean(1),
        name);
  }

  /** How many users have their own value of a flag, by that value. */
  public Overrides overrides(String name) {
    return Jdbc.queryOne(
            dataSource,
            "count overrides of feature flag " + name,
            "SELECT count(*) FILTER (WHERE enabled), count(*) FILTER (WHERE NOT enabled)"
                + " FROM feature_flag_overrides WHERE flag_name = ?",
            row -> new Overrides(row.getInt(1), row.getInt(2)),
            name)
        .orElseThrow();
  }

  /** Users whose own value of a flag is on, and off. */
  public record Overrides(int on, int off) {}

  /** Sets a flag's instance-wide value, creating the flag if needed. */
  public void set(String name, boolean enabled) {
    Jdbc.update(
        dataSource,
        "set feature flag " + name,
        "INSERT INTO feature_flags (name, enabled) VALUES (?, ?)"
            + " ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = now()",
        name,
        enabled);
  }

  /** One user's own value of a flag, or empty when the instance-wide value applies to them. */
  public Optional<Boolean> override(String name, long userId) {
    return Jdbc.queryOne(
        dataSource,
        "read feature flag " + name + " for user " + userId,
        "SELECT enabled FROM feature_flag_overrides WHERE flag_name = ? AND user_id = ?",
        row -> row.getBoolean(1),
        name,
        userId);
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
          Jdbc.update(
              connection,
              "INSERT INTO feature_flags (name, enabled) VALUES (?, false)"
                  + " ON CONFLICT (name) DO NOTHING",
              name);
          return Jdbc.update(
              connection,
              "INSERT INTO feature_flag_overrides (flag_name, user_id, enabled)"
                  + " VALUES (?, ?, ?) ON CONFLICT (flag_name, user_id)"
                  + " DO UPDATE SET enabled = excluded.enabled, updated_at = now()",
              name,
              userId,
              enabled);
        });
  }

  /**
   * Removes a user's override, so the instance-wide value applies again.
   *
   * @return whether there was one
   */
  public boolean removeOverride(String name, long userId) {
    return Jdbc.update(
            dataSource,
            "remove feature flag override " + name + " for user " + userId,
            "DELETE FROM feature_flag_overrides WHERE flag_name = ? AND user_id = ?",
            name,
            userId)
        > 0;
  }
}
