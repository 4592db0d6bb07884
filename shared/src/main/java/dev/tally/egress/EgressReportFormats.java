package dev.tally.egress;

import dev.tally.egress.EgressReport.Field;
import dev.tally.egress.EgressReport.Name;
import dev.tally.egress.EgressReport.Period;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The egress report written out: as JSON values (the shape the GraphQL field answers and {@code
 * tally-admin egress-report --format json} prints), as CSV for an auditor's file, and as a table
 * for a terminal.
 */
public final class EgressReportFormats {
  /** The CSV header: one row per {@code feature.action} and field path. */
  public static final String CSV_HEADER =
      "period_from,period_to,feature,action,name_events,name_bytes,catalog_versions,name_is_new,"
          + "field,left_events,withheld_events,newly_left";

  private EgressReportFormats() {}

  /** The path of the console's listing of a name's exported events. */
  public static String eventsPath(String feature, String action) {
    return "/console/exported?name="
        + URLEncoder.encode(feature + "." + action, StandardCharsets.UTF_8);
  }

  /** The report as JSON values: objects as maps, in a stable order. */
  public static Map<String, Object> json(EgressReport report) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("period", period(report.period()));
    json.put("previous", period(report.previous()));
    json.put("events", report.events());
    json.put("bytes", report.bytes());
    List<Object> names = new ArrayList<>();
    for (Name name : report.names()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("feature", name.feature());
      entry.put("action", name.action());
      entry.put("events", name.events());
      entry.put("bytes", name.bytes());
      entry.put("catalogVersions", name.catalogVersions());
      entry.put("isNew", name.isNew());
      entry.put("hasNews", name.hasNews());
      List<Object> fields = new ArrayList<>();
      for (Field field : name.fields()) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("field", field.field());
        f.put("leftEvents", field.leftEvents());
        f.put("withheldEvents", field.withheldEvents());
        f.put("newlyLeft", field.newlyLeft());
        fields.add(f);
      }
      entry.put("fields", fields);
      entry.put("eventsPath", eventsPath(name.feature(), name.action()));
      names.add(entry);
    }
    json.put("names", names);
    return json;
  }

  private static Map<String, Object> period(Period period) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("from", period.from().toString());
    json.put("to", period.to().toString());
    return json;
  }

  /**
   * The report as CSV (RFC 4180: CRLF line ends, a field quoted when it holds a comma, a quote or a
   * line end, its quotes doubled): a header, then one row per {@code feature.action} and field
   * path; a name without fields has one row with the field columns empty.
   */
  public static String csv(EgressReport report) {
    StringBuilder csv = new StringBuilder(CSV_HEADER).append("\r\n");
    String from = report.period().from().toString();
    String to = report.period().to().toString();
    for (Name name : report.names()) {
      List<String> head =
          List.of(
              from,
              to,
              name.feature(),
              name.action(),
              Long.toString(name.events()),
              Long.toString(name.bytes()),
              String.join(
                  " ",
                  name.catalogVersions().stream()
                      .map(version -> Integer.toString(version))
                      .toList()),
              Boolean.toString(name.isNew()));
      if (name.fields().isEmpty()) {
        row(csv, head, List.of("", "", "", ""));
      }
      for (Field field : name.fields()) {
        row(
            csv,
            head,
            List.of(
                field.field(),
                Long.toString(field.leftEvents()),
                Long.toString(field.withheldEvents()),
                Boolean.toString(field.newlyLeft())));
      }
    }
    return csv.toString();
  }

  private static void row(StringBuilder csv, List<String> head, List<String> tail) {
    List<String> cells = new ArrayList<>(head);
    cells.addAll(tail);
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        csv.append(',');
      }
      csv.append(csvCell(cells.get(i)));
    }
    csv.append("\r\n");
  }

  /** One CSV field, quoted as RFC 4180 says when it must be. */
  static String csvCell(String value) {
    if (value.contains(",")
        || value.contains("\"")
        || value.contains("\r")
        || value.contains("\n")) {
      return "\"" + value.replace("\"", "\"\"") + "\"";
    }
    return value;
  }

  /**
   * Text for a terminal: control characters shown as {@code ?}, so a name cannot move the cursor.
   */
  static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return out.toString();
  }

  /**
   * The report as text for a terminal: the period, the totals, what is new, then per name its
   * counts and its fields with the events that carried each out and those it was withheld from.
   */
  public static String table(EgressReport report) {
    StringBuilder out = new StringBuilder();
    out.append("egress ")
        .append(report.period().from())
        .append(" .. ")
        .append(report.period().to())
        .append(" (UTC days), against ")
        .append(report.previous().from())
        .append(" .. ")
        .append(report.previous().to())
        .append('\n');
    out.append(report.events())
        .append(" event(s), ")
        .append(report.bytes())
        .append(" byte(s) exported, ")
        .append(report.names().size())
        .append(" name(s)\n");
    List<String> news = new ArrayList<>();
    for (Name name : report.names()) {
      String dotted = printable(name.feature() + "." + name.action());
      if (name.isNew()) {
        news.add("NEW  " + dotted);
      }
      for (Field field : name.fields()) {
        if (field.newlyLeft()) {
          news.add("NEW  " + dotted + "  " + printable(field.field()) + " left");
        }
      }
    }
    if (!news.isEmpty()) {
      out.append("\nnew against the period before:\n");
      news.forEach(line -> out.append("  ").append(line).append('\n'));
    }
    if (report.names().isEmpty()) {
      out.append("\nnothing was exported in the period\n");
      return out.toString();
    }
    out.append('\n')
        .append(String.format("%-50s %10s %12s  %s%n", "NAME", "EVENTS", "BYTES", "CATALOG"));
    for (Name name : report.names()) {
      out.append(
          String.format(
              "%-50s %10d %12d  %s%s%n",
              printable(name.feature() + "." + name.action()),
              name.events(),
              name.bytes(),
              String.join(
                  ",",
                  name.catalogVersions().stream()
                      .map(version -> Integer.toString(version))
                      .toList()),
              name.isNew() ? "  NEW" : ""));
      if (!name.fields().isEmpty()) {
        out.append(String.format("    %-46s %10s %12s%n", "FIELD", "LEFT", "WITHHELD"));
      }
      for (Field field : name.fields()) {
        out.append(
            String.format(
                "    %-46s %10d %12d%s%n",
                printable(field.field()),
                field.leftEvents(),
                field.withheldEvents(),
                field.newlyLeft() ? "  NEW" : ""));
      }
    }
    return out.toString();
  }
}
