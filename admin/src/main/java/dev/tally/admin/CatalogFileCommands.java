package dev.tally.admin;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.InvalidCatalogException;
import dev.tally.catalog.ObservedEvent;
import dev.tally.catalogfile.CatalogFiles;
import dev.tally.catalogfile.DraftWriter;
import dev.tally.catalogstore.CatalogVersions;
import dev.tally.catalogstore.ObservedCatalog;
import dev.tally.config.TelemetryConfig;
import dev.tally.redact.Redactor;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.usage.UsageRollup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * {@code catalog validate FILE [--previous FILE...]}, offline, and {@code catalog pull [--days N]
 * [--output FILE]}, on the instance database: the catalog as a file, checked, and drafted from the
 * observed catalog.
 */
final class CatalogFileCommands {
  static final String SYNOPSIS =
      "catalog validate FILE [--previous FILE...] | pull [--days N] [--output FILE]";

  static final String DESCRIPTION =
      """
      The event catalog as a file kept in git (README, Event catalog).
      validate FILE checks a catalog file (YAML or JSON) offline, without a database:
      its JSON Schema, the feature and action names, one entry per event, an owner for
      approved and deprecated entries, a sunset only on deprecated ones, a
      justification for every exported key, and enum codes unique within a key. With
      --previous, the files of the versions applied before (oldest first): a code they
      gave to a name is never given to another. Exits with 0 when the file may be
      applied, 1 with each problem on its own line on standard error.
      pull writes the observed catalog as a draft file to commit: the catalog in force
      as it is, then each event recorded over the last N days (30) that no entry
      matches, as a proposed entry with the keys seen. To standard output, or to FILE.
      Which private keys leave today follows the redaction settings of the functions
      (TELEMETRY_SENSITIVE_METADATA_ALLOWLIST, TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA):
      set them as the functions have them.""";

  /** The days {@code pull} covers unless told. */
  static final int DEFAULT_DAYS = 30;

  /** The most days {@code pull} covers, as the API's fields. */
  static final int MAX_DAYS = 366;

  /** What a draft written by {@code pull} says made it. */
  static final String MADE_BY = "tally-admin catalog pull";

  private final String usage;
  private final PrintStream out;
  private final PrintStream err;

  /**
   * @param usage the command's usage, printed after a wrong use
   */
  CatalogFileCommands(String usage, PrintStream out, PrintStream err) {
    this.usage = usage;
    this.out = out;
    this.err = err;
  }

  /** Runs {@code catalog ARGS}; returns the exit code: 0 done, 1 failed, 2 wrong usage. */
  int run(List<String> args, Map<String, String> env) {
    if (args.isEmpty()) {
      return wrongUsage("say what to do: validate, pull, diff, apply or release");
    }
    List<String> rest = args.subList(1, args.size());
    return switch (args.get(0)) {
      case "validate" -> validate(rest);
      case "pull" -> pull(rest, env);
      default -> wrongUsage("unknown catalog command '" + args.get(0) + "'");
    };
  }

  private int wrongUsage(String problem) {
    err.println(problem + "\n" + usage);
    return 2;
  }

  /** {@code validate FILE [--previous FILE...]}: no database. */
  private int validate(List<String> args) {
    String file = null;
    List<String> previousFiles = new ArrayList<>();
    boolean previous = false;
    for (String arg : args) {
      if (arg.equals("--previous")) {
        previous = true;
      } else if (arg.startsWith("-") && !arg.equals("-")) {
        return wrongUsage("unknown option '" + arg + "'");
      } else if (previous) {
        previousFiles.add(arg);
      } else if (file == null) {
        file = arg;
      } else {
        return wrongUsage("validate checks one file; name the versions before with --previous");
      }
    }
    if (file == null) {
      return wrongUsage("name the catalog file to check");
    }
    if (previous && previousFiles.isEmpty()) {
      return wrongUsage("--previous names the files of the versions applied before");
    }
    String text = read(file);
    if (text == null) {
      return 2;
    }
    List<Catalog> before = new ArrayList<>();
    for (String previousFile : previousFiles) {
      String previousText = read(previousFile);
      if (previousText == null) {
        return 2;
      }
      try {
        before.add(CatalogFiles.read(previousText));
      } catch (InvalidCatalogException e) {
        for (String problem : e.problems()) {
          err.println(previousFile + " (--previous): " + problem);
        }
        return 2;
      }
    }
    CatalogFiles.Checked checked = CatalogFiles.check(text, before);
    if (!checked.valid()) {
      for (String problem : checked.problems()) {
        err.println(problem);
      }
      return 1;
    }
    out.println(
        file
            + ": valid, "
            + entries(checked.catalog().entries().size())
            + (before.isEmpty() ? "" : ", against " + before.size() + " previous version(s)"));
    return 0;
  }

  /** A file's text, or null after saying why it cannot be read. */
  private String read(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException | InvalidPathException e) {
      err.println("cannot read " + file + ": " + e.getMessage());
      return null;
    }
  }

  /** {@code pull [--days N] [--output FILE]}: the draft, from the instance database. */
  private int pull(List<String> args, Map<String, String> env) {
    int days = DEFAULT_DAYS;
    String output = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if ((arg.equals("--days") || arg.equals("--output")) && i + 1 >= args.size()) {
        return wrongUsage(arg + " needs a value");
      }
      switch (arg) {
        case "--days" -> {
          String value = args.get(++i);
          try {
            days = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            days = -1;
          }
          if (days < 1 || days > MAX_DAYS) {
            return wrongUsage(
                "--days must be a number from 1 to " + MAX_DAYS + ", got '" + value + "'");
          }
        }
        case "--output" -> output = args.get(++i);
        default -> {
          return wrongUsage("unknown argument '" + arg + "'");
        }
      }
    }
    DatabaseConfig config;
    Redactor redactor;
    try {
      config = DatabaseConfig.fromEnv(env);
      redactor = TelemetryConfig.fromEnv(env).redactor();
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 2;
    }
    Clock clock = Clock.systemUTC();
    String draft;
    List<ObservedEvent> observed;
    CatalogRules rules;
    try (HikariDataSource dataSource =
        DataSources.pooled(
            new DatabaseConfig(config.url(), config.user(), config.password(), 1, false),
            "tally-admin")) {
      observed =
          new ObservedCatalog(dataSource, new UsageRollup(dataSource, clock), clock)
              .observed(days, Integer.MAX_VALUE);
      rules = inForce(dataSource, redactor);
      draft =
          DraftWriter.draft(
              rules, observed, LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC), days, MADE_BY);
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 1;
    }
    if (output == null) {
      out.print(draft);
      out.flush();
      return 0;
    }
    try {
      Files.writeString(Path.of(output), draft, StandardCharsets.UTF_8);
    } catch (IOException | InvalidPathException e) {
      err.println("cannot write " + output + ": " + e.getMessage());
      return 1;
    }
    long proposed =
        observed.stream().filter(e -> rules.match(e.feature(), e.action()) == null).count();
    out.println(
        "wrote "
            + output
            + ": "
            + entries(rules.catalog().entries().size())
            + " in force"
            + (rules.version() == 0
                ? " (no catalog applied yet)"
                : " (version " + rules.version() + ")")
            + ", "
            + proposed
            + " proposed from the events of the last "
            + days
            + " days");
    return 0;
  }

  private static String entries(int count) {
    return count + (count == 1 ? " entry" : " entries");
  }

  /**
   * The catalog in force: the highest applied version, read strictly (a document that cannot be
   * read fails the pull rather than draft a file without the entries in force, as {@code
   * LiveCatalog}, which keeps recording going, would).
   */
  private static CatalogRules inForce(DataSource dataSource, Redactor redactor) {
    return new CatalogVersions(dataSource, Clock.systemUTC()).rulesInForce(redactor);
  }
}
