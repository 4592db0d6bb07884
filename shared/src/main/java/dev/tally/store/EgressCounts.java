package dev.tally.store;

import dev.tally.redact.FieldPaths;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one mark of exported events adds to the egress ledger ({@code egress_ledger} and {@code
 * egress_ledger_fields}), written by {@link ExportQueue#markExported} in the transaction that marks
 * them, so that the ledger counts exactly the rows newly marked.
 *
 * <p>The rows of one mark are summed first (a batch of thousands of events adds a few rows), then
 * upserted in one order, the names' rows before the fields' and each sorted by key: two marks at
 * once lock the rows they share in the same order and never deadlock.
 */
final class EgressCounts {
  private static final String ADD_NAME =
      """
      INSERT INTO egress_ledger (day, feature, action, catalog_version, events, bytes)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (day, feature, action, catalog_version) DO UPDATE
      SET events = egress_ledger.events + EXCLUDED.events,
          bytes = egress_ledger.bytes + EXCLUDED.bytes
      """;

  private static final String ADD_FIELD =
      """
      INSERT INTO egress_ledger_fields
          (day, feature, action, catalog_version, field, left_events, withheld_events)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (day, feature, action, catalog_version, field) DO UPDATE
      SET left_events = egress_ledger_fields.left_events + EXCLUDED.left_events,
          withheld_events = egress_ledger_fields.withheld_events + EXCLUDED.withheld_events
      """;

  private static final Comparator<Name> NAME_ORDER =
      Comparator.comparing(Name::feature)
          .thenComparing(Name::action)
          .thenComparingInt(Name::catalogVersion);

  private static final Comparator<FieldKey> FIELD_ORDER =
      Comparator.comparing(FieldKey::name, NAME_ORDER).thenComparing(FieldKey::field);

  private final LocalDate day;
  private final Map<Name, long[]> names = new TreeMap<>(NAME_ORDER);
  private final Map<FieldKey, long[]> fields = new TreeMap<>(FIELD_ORDER);

  /**
   * @param day the UTC day the events were marked exported
   */
  EgressCounts(LocalDate day) {
    this.day = day;
  }

  private record Name(String feature, String action, int catalogVersion) {}

  private record FieldKey(Name name, String field) {}

  /**
   * Counts one event newly marked exported.
   *
   * @param exported what the ledger counts of the event as it was sent (its queued payload)
   * @param bytes its payload's size
   * @param withheld the paths recording withheld from it, or null (none, or queued before the
   *     ledger)
   * @param catalogVersion the catalog version that judged it, or null (none)
   */
  void add(FieldPaths.Egress exported, long bytes, String[] withheld, Integer catalogVersion) {
    Name name =
        new Name(
            exported.feature(), exported.action(), catalogVersion == null ? 0 : catalogVersion);
    long[] counts = names.computeIfAbsent(name, k -> new long[2]);
    counts[0]++;
    counts[1] += bytes;
    for (String field : exported.leaving()) {
      fields.computeIfAbsent(new FieldKey(name, field), k -> new long[2])[0]++;
    }
    if (withheld != null) {
      for (String field : withheld) {
        fields.computeIfAbsent(new FieldKey(name, field), k -> new long[2])[1]++;
      }
    }
  }

  /** Adds the counts to the ledger, on the marking transaction's connection. */
  void write(Connection connection) throws SQLException {
    if (names.isEmpty()) {
      return;
    }
    Jdbc.batch(
        connection,
        ADD_NAME,
        names.entrySet(),
        entry ->
            new Object[] {
              day,
              entry.getKey().feature(),
              entry.getKey().action(),
              entry.getKey().catalogVersion(),
              entry.getValue()[0],
              entry.getValue()[1]
            });
    if (fields.isEmpty()) {
      return;
    }
    Jdbc.batch(
        connection,
        ADD_FIELD,
        fields.entrySet(),
        entry ->
            new Object[] {
              day,
              entry.getKey().name().feature(),
              entry.getKey().name().action(),
              entry.getKey().name().catalogVersion(),
              entry.getKey().field(),
              entry.getValue()[0],
              entry.getValue()[1]
            });
  }
}
