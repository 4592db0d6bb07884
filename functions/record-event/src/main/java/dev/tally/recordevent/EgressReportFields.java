package dev.tally.recordevent;

import dev.tally.egress.EgressLedger;
import dev.tally.egress.EgressReport;
import dev.tally.egress.EgressReportFormats;
import graphql.schema.DataFetchingEnvironment;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The administrator's {@code egressReport} field: what left the instance over a period, from the
 * egress ledger, beside the period before it.
 */
final class EgressReportFields {
  /** The period when the request names none: the last 30 days. */
  static final int DEFAULT_DAYS = 30;

  /** The counts the schema types Int, capped at its 32 bits as the schema's other counts are. */
  private static final Set<String> INT_COUNTS = Set.of("events", "leftEvents", "withheldEvents");

  private final AdminStores stores;
  private final AdminGate gate;

  EgressReportFields(AdminStores stores, AdminGate gate) {
    this.stores = stores;
    this.gate = gate;
  }

  Object egressReport(DataFetchingEnvironment env) {
    gate.admit(env, "egressReport");
    String from = env.getArgument("from");
    String to = env.getArgument("to");
    Integer days = env.getArgument("days");
    LocalDate today = LocalDate.ofInstant(stores.clock().instant(), ZoneOffset.UTC);
    EgressReport report;
    if (from != null || to != null) {
      if (from == null || to == null) {
        throw new IllegalArgumentException(
            "give both 'from' and 'to' (YYYY-MM-DD), or 'days' alone");
      }
      if (days != null) {
        throw new IllegalArgumentException("give either 'from' and 'to', or 'days', not both");
      }
      report = stores.egress().report(day("from", from), day("to", to));
    } else {
      int span = days == null ? DEFAULT_DAYS : days;
      if (span < 1 || span > EgressLedger.MAX_DAYS) {
        throw new IllegalArgumentException(
            "'days' must be between 1 and " + EgressLedger.MAX_DAYS + ", got " + days);
      }
      report = stores.egress().report(today.minusDays(span - 1L), today);
    }
    return capped(EgressReportFormats.json(report));
  }

  /** A day argument, YYYY-MM-DD. */
  static LocalDate day(String argument, String value) {
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'" + argument + "' must be a date as YYYY-MM-DD, got '" + value + "'");
    }
  }

  /** The report's JSON values with the Int counts held to 32 bits. */
  private static Object capped(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String key = (String) entry.getKey();
        Object inner = entry.getValue();
        copy.put(
            key,
            INT_COUNTS.contains(key) && inner instanceof Long count
                ? UsageFields.count(count)
                : capped(inner));
      }
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (Object inner : list) {
        copy.add(capped(inner));
      }
      return copy;
    }
    return value;
  }
}
