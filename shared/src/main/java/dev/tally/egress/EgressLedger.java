package dev.tally.egress;

import dev.tally.egress.EgressReport.Field;
import dev.tally.egress.EgressReport.Name;
import dev.tally.egress.EgressReport.Period;
import dev.tally.store.Jdbc;
import java.sql.Array;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;

/** Reads the egress ledger (tables {@code egress_ledger} and {@code egress_ledger_fields}). */
public final class EgressLedger {
  /** The longest period a report covers, in days: a year and a bit, as retention allows. */
  public static final int MAX_DAYS = 400;

  private static final String NAMES =
      "SELECT feature, action, sum(events), sum(bytes),"
          + " array_agg(DISTINCT catalog_version ORDER BY catalog_version)"
          + " FROM egress_ledger WHERE day BETWEEN ? AND ? GROUP BY feature, action";

  private static final String PREVIOUS_NAMES =
      "SELECT DISTINCT feature, action FROM egress_ledger WHERE day BETWEEN ? AND ?";

  private static final String FIELDS =
      "SELECT feature, action, field, sum(left_events), sum(withheld_events)"
          + " FROM egress_ledger_fields WHERE day BETWEEN ? AND ?"
          + " GROUP BY feature, action, field ORDER BY field";

  private static final String PREVIOUS_FIELDS_LEFT =
      "SELECT DISTINCT feature, action, field FROM egress_ledger_fields"
          + " WHERE day BETWEEN ? AND ? AND left_events > 0";

  private final DataSource dataSource;

  public EgressLedger(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /**
   * What left from {@code from} to {@code to} (UTC days, both included), beside the period of the
   * same length just before.
   *
   * @throws IllegalArgumentException when {@code to} is before {@code from}, or the period is
   *     longer than {@link #MAX_DAYS}
   * @throws dev.tally.store.StoreException when the database fails
   */
  public EgressReport report(LocalDate from, LocalDate to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (to.isBefore(from)) {
      throw new IllegalArgumentException(
          "the period ends (" + to + ") before it starts (" + from + ")");
    }
    long days = ChronoUnit.DAYS.between(from, to) + 1;
    if (days > MAX_DAYS) {
      throw new IllegalArgumentException(
          "the period is " + days + " days long; at most " + MAX_DAYS + " are reported at once");
    }
    Period period = new Period(from, to);
    Period previous = new Period(from.minusDays(days), from.minusDays(1));
    return Jdbc.withConnection(
        dataSource,
        "read the egress ledger",
        connection -> {
          Object[] now = {from, to};
          Object[] before = {previous.from(), previous.to()};
          Set<String> namesBefore =
              new HashSet<>(
                  Jdbc.query(
                      connection,
                      PREVIOUS_NAMES,
                      row -> key(row.getString(1), row.getString(2)),
                      before));
          Set<String> fieldsBefore =
              new HashSet<>(
                  Jdbc.query(
                      connection,
                      PREVIOUS_FIELDS_LEFT,
                      row -> key(row.getString(1), row.getString(2), row.getString(3)),
                      before));
          Map<String, List<Field>> fields = new LinkedHashMap<>();
          for (Object[] row :
              Jdbc.query(
                  connection,
                  FIELDS,
                  row ->
                      new Object[] {
                        key(row.getString(1), row.getString(2)),
                        new Field(
                            row.getString(3),
                            row.getLong(4),
                            row.getLong(5),
                            row.getLong(4) > 0
                                && !fieldsBefore.contains(
                                    key(row.getString(1), row.getString(2), row.getString(3))))
                      },
                  now)) {
            fields.computeIfAbsent((String) row[0], k -> new ArrayList<>()).add((Field) row[1]);
          }
          List<Name> names =
              Jdbc.query(
                  connection,
                  NAMES,
                  row -> {
                    String feature = row.getString(1);
                    String action = row.getString(2);
                    String key = key(feature, action);
                    return new Name(
                        feature,
                        action,
                        row.getLong(3),
                        row.getLong(4),
                        versions(row.getArray(5)),
                        !namesBefore.contains(key),
                        List.copyOf(fields.getOrDefault(key, List.of())));
                  },
                  now);
          List<Name> sorted = new ArrayList<>(names);
          sorted.sort(
              Comparator.comparing((Name name) -> !name.hasNews())
                  .thenComparing(Comparator.comparingLong(Name::events).reversed())
                  .thenComparing(Name::feature)
                  .thenComparing(Name::action));
          long events = sorted.stream().mapToLong(Name::events).sum();
          long bytes = sorted.stream().mapToLong(Name::bytes).sum();
          return new EgressReport(period, previous, events, bytes, List.copyOf(sorted));
        });
  }

  private static List<Integer> versions(Array array) throws java.sql.SQLException {
    Integer[] values = (Integer[]) array.getArray();
    return List.copyOf(Arrays.asList(values));
  }

  /** A map key of names that cannot hold the separator (a NUL, which no stored text holds). */
  private static String key(String... parts) {
    return String.join("\0", parts);
  }
}
