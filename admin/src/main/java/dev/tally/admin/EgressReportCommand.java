package dev.tally.admin;

import dev.tally.egress.EgressLedger;
import dev.tally.egress.EgressReport;
import dev.tally.egress.EgressReportFormats;
import dev.tally.json.Json;
import java.io.PrintStream;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import javax.sql.DataSource;

/** {@code egress-report --from DATE --to DATE [--format table|csv|json]}. */
final class EgressReportCommand {
  static final String SYNOPSIS = "egress-report --from DATE --to DATE [--format table|csv|json]";

  static final String DESCRIPTION =
      """
      What left the instance from --from to --to (UTC days, YYYY-MM-DD, both included; at
      most %d days), read from the egress ledger, beside the period of the same length just
      before: per feature.action the events and bytes exported, the catalog versions they
      were judged under, and per field path (privateMetadata.<key>, metadata.<key>,
      marketingTracking.<field>) how many events carried it out and how many it was withheld
      from. What is new against the period before (a name, or a field that left) is marked.
      Names and counts only, never values or people.
      --format table (the default) is for a terminal; csv is an auditor's file, one row per
      feature.action and field with a header (RFC 4180); json is the report as the GraphQL
      field egressReport answers it."""
          .formatted(EgressLedger.MAX_DAYS);

  /** The parsed arguments. */
  record Arguments(LocalDate from, LocalDate to, String format) {}

  private EgressReportCommand() {}

  /**
   * The arguments, or an {@link IllegalArgumentException} that says what to fix (an empty message
   * when they do not have the command's shape).
   */
  static Arguments parse(List<String> args) {
    LocalDate from = null;
    LocalDate to = null;
    String format = "table";
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String value = i + 1 < args.size() ? args.get(i + 1) : null;
      switch (arg) {
        case "--from" -> {
          from = date(arg, value);
          i++;
        }
        case "--to" -> {
          to = date(arg, value);
          i++;
        }
        case "--format" -> {
          if (value == null || !List.of("table", "csv", "json").contains(value)) {
            throw new IllegalArgumentException(
                "--format is table, csv or json, got "
                    + (value == null ? "nothing" : "'" + value + "'"));
          }
          format = value;
          i++;
        }
        default -> throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
    }
    if (from == null || to == null) {
      throw new IllegalArgumentException(
          "give the period: --from DATE and --to DATE (YYYY-MM-DD, UTC)");
    }
    if (to.isBefore(from)) {
      throw new IllegalArgumentException(
          "--to (" + to + ") is before --from (" + from + "): the period ends before it starts");
    }
    long days = java.time.temporal.ChronoUnit.DAYS.between(from, to) + 1;
    if (days > EgressLedger.MAX_DAYS) {
      throw new IllegalArgumentException(
          "the period is "
              + days
              + " days long; at most "
              + EgressLedger.MAX_DAYS
              + " are reported at once");
    }
    return new Arguments(from, to, format);
  }

  private static LocalDate date(String option, String value) {
    if (value == null) {
      throw new IllegalArgumentException(option + " takes a date, YYYY-MM-DD");
    }
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          option + " takes a date as YYYY-MM-DD, got '" + value + "'");
    }
  }

  /** What is wrong with the arguments: null when nothing, else a sentence. */
  static String checkArguments(List<String> args) {
    try {
      parse(args);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** Prints the report of arguments {@link #checkArguments} accepted. */
  static int run(List<String> args, DataSource dataSource, PrintStream out) {
    Arguments arguments = parse(args);
    EgressReport report = new EgressLedger(dataSource).report(arguments.from(), arguments.to());
    switch (arguments.format()) {
      case "csv" -> out.print(EgressReportFormats.csv(report));
      case "json" -> out.print(Json.writeIndented(EgressReportFormats.json(report)) + "\n");
      default -> out.print(EgressReportFormats.table(report));
    }
    out.flush();
    return 0;
  }
}
