package dev.tally.admin;

import dev.tally.catalog.InvalidCatalogException;
import dev.tally.catalogfile.CatalogFiles;
import dev.tally.catalogstore.CatalogApply;
import dev.tally.catalogstore.CatalogDiff;
import dev.tally.catalogstore.HeldEvents;
import dev.tally.config.TelemetryConfig;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * {@code tally-admin catalog diff | apply | release}: the replay preview of a catalog file,
 * applying it, and releasing held events again. The file is checked as {@code catalog validate}
 * checks it; an invalid one is refused with its problems on standard error (exit 1), and nothing is
 * stored.
 */
final class CatalogCommands {
  /** The replay's days when {@code --days} is not given. */
  static final int DEFAULT_DAYS = 30;

  private static final int MAX_DAYS = 366;

  private static final CatalogApply.Check CHECK =
      (text, previous) -> {
        CatalogFiles.Checked checked = CatalogFiles.check(text, previous);
        if (!checked.valid()) {
          throw new InvalidCatalogException(checked.problems());
        }
        return checked.catalog();
      };

  private CatalogCommands() {}

  /** The catalog commands this class runs, on the instance database. */
  static final Set<String> ACTIONS = Set.of("diff", "apply", "release");

  /** Follows {@link CatalogFileCommands#SYNOPSIS} in the catalog command's usage. */
  static final String SYNOPSIS =
      "diff FILE [--days N] [--format text|json] | apply FILE [--days N] | release";

  /** Follows {@link CatalogFileCommands#DESCRIPTION}. */
  static final String DESCRIPTION =
      """
      diff FILE is the replay preview: the file run against the events the instance stored
      over the last N days (--days, 30; at most 366), beside the version in force. Per event
      name: the events newly exported and newly held, the private and metadata keys newly
      leaving or withheld, with counts and sample event IDs; and what changed in the file.
      --format json prints it as the API answers it.
      apply FILE stores the file as the new version in force (who: tally-admin:<os user>,
      when, and its diff over --days), prints the version, the diff and how many held events
      it released: queued for export, redacted by its rules; the events of users who opted
      out since stay local. The functions switch to it within seconds.
      release queues the held events the version in force no longer holds: it finishes a
      release that stopped, or catches events held by a function that had not switched yet.
      diff and apply refuse a file validate refuses, with its problems on standard error
      (exit 1), and store nothing. A release writes an audit line (JSON, counts only) to
      standard error.""";

  /** The parsed arguments of a command. */
  private record Arguments(String action, Path file, int days, boolean json) {}

  /**
   * What is wrong with the arguments: null when nothing, an empty string when they do not have the
   * command's shape, a sentence otherwise.
   */
  static String checkArguments(List<String> args) {
    try {
      parse(args);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  private static Arguments parse(List<String> args) {
    if (args.isEmpty()) {
      throw new IllegalArgumentException("");
    }
    String action = args.get(0);
    if (action.equals("release")) {
      if (args.size() != 1) {
        throw new IllegalArgumentException("catalog release takes no arguments");
      }
      return new Arguments(action, null, DEFAULT_DAYS, false);
    }
    if (!ACTIONS.contains(action)) {
      throw new IllegalArgumentException("");
    }
    Path file = null;
    int days = DEFAULT_DAYS;
    boolean json = false;
    for (int i = 1; i < args.size(); i++) {
      String arg = args.get(i);
      switch (arg) {
        case "--days" -> {
          String value = i + 1 < args.size() ? args.get(++i) : "";
          try {
            days = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            days = -1;
          }
          if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException(
                "--days takes a number of days from 1 to " + MAX_DAYS + ", got '" + value + "'");
          }
        }
        case "--format" -> {
          String value = i + 1 < args.size() ? args.get(++i) : "";
          if (!action.equals("diff") || !List.of("text", "json").contains(value)) {
            throw new IllegalArgumentException(
                action.equals("diff")
                    ? "--format is text or json, got '" + value + "'"
                    : "only catalog diff takes --format");
          }
          json = value.equals("json");
        }
        default -> {
          if (arg.startsWith("--") || file != null) {
            throw new IllegalArgumentException("unexpected argument '" + arg + "'");
          }
          file = Path.of(arg);
        }
      }
    }
    if (file == null) {
      throw new IllegalArgumentException("name the catalog file");
    }
    return new Arguments(action, file, days, json);
  }

  /** Runs a command whose arguments {@link #checkArguments} accepted. */
  static int run(
      List<String> args,
      DataSource dataSource,
      Map<String, String> env,
      PrintStream out,
      PrintStream err) {
    Arguments arguments = parse(args);
    TelemetryConfig telemetry;
    try {
      telemetry = TelemetryConfig.fromEnv(env);
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 2;
    }
    CatalogApply catalog = new CatalogApply(dataSource, Clock.systemUTC(), telemetry.redactor());
    if (arguments.action().equals("release")) {
      try (JsonLog.Scope audit = JsonLog.writingTo(err)) {
        HeldEvents.Release release = catalog.release();
        out.println(
            "released "
                + release.released()
                + " held event(s) for export by version "
                + release.version()
                + released(release.keptOptOut()));
        return 0;
      } catch (HeldEvents.ReleaseFailedException e) {
        err.println(e.getMessage());
        return 1;
      }
    }
    String text;
    try {
      text = Files.readString(arguments.file(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      err.println("cannot read " + arguments.file() + ": " + e.getMessage());
      return 1;
    }
    try {
      if (arguments.action().equals("diff")) {
        CatalogDiff diff = catalog.diff(text, arguments.days(), CHECK);
        out.print(arguments.json() ? Json.writeIndented(diff.toJson()) + "\n" : diff.toText());
        return 0;
      }
      CatalogApply.Applied applied;
      try (JsonLog.Scope audit = JsonLog.writingTo(err)) {
        applied =
            catalog.apply(
                text,
                "tally-admin:" + System.getProperty("user.name", "unknown"),
                arguments.days(),
                CHECK,
                rules -> {});
      }
      out.println("applied version " + applied.version() + " of the catalog");
      out.print(applied.diff().toText());
      out.println(
          "released "
              + applied.released()
              + " held event(s) for export"
              + released(applied.keptOptOut()));
      if (applied.releaseProblem() != null) {
        err.println(applied.releaseProblem() + " (tally-admin catalog release)");
        return 1;
      }
      return 0;
    } catch (InvalidCatalogException e) {
      err.println(arguments.file() + ": the catalog cannot be applied:");
      for (String problem : e.problems()) {
        err.println("  " + problem);
      }
      return 1;
    }
  }

  private static String released(long keptOptOut) {
    return keptOptOut == 0
        ? ""
        : "; " + keptOptOut + " kept local, their users having opted out of export since";
  }
}
