package dev.tally.admin;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.event.Actor;
import dev.tally.log.JsonLog;
import dev.tally.privacy.Erasure;
import dev.tally.store.AccessTokens;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.store.Migrations;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Administers the instance database named by {@code DATABASE_URL} (and {@code DATABASE_USER},
 * {@code DATABASE_PASSWORD}):
 *
 * <pre>
 * migrate                                  apply pending schema migrations
 * create-token USER_ID [site-admin]        create an access token and print it
 * list-tokens [USER_ID]                    list access tokens (never the tokens themselves)
 * revoke-token ID...                       revoke access tokens and end their console sessions
 * set-flag NAME true|false [USER_ID]       set a feature flag, or one user's override
 * unset-flag NAME USER_ID                  remove one user's override: the instance's value applies
 * set-aside list [N]                       list the newest N events set aside from export
 * set-aside retry ID...|--all              export set-aside events again
 * set-aside discard ID...                  delete set-aside events for good
 * erase --user ID | --anonymous ID         erase one person's data; prints what was deleted
 * catalog validate FILE [--previous FILE...]
 *                                          check an event catalog file, offline (no database)
 * catalog pull [--days N] [--output FILE]  write the observed catalog as a draft catalog file
 * catalog diff FILE [--days N] [--format text|json]
 *                                          the replay preview of a catalog file
 * catalog apply FILE [--days N]            apply a catalog file; releases held events it approves
 * catalog release                          release the held events the version in force approves
 * egress-report --from DATE --to DATE [--format table|csv|json]
 *                                          what left the instance, key by key, for an auditor
 * </pre>
 *
 * <p>Quiet by default: standard output holds what the command was asked for, standard error its
 * warnings and errors (and the audit line of an erasure); the libraries' INFO logs (connection
 * pool, migrations) only with {@code --verbose}. {@code --help}, {@code help COMMAND} and {@code
 * COMMAND --help} say what each command does. Exit codes: 0 done, 1 failed, 2 wrong usage.
 */
public final class TallyAdmin {
  /** One command: how it is called, and what it does. */
  private record Command(String name, String synopsis, String description) {
    String usage() {
      return "usage: tally-admin [--verbose] " + synopsis;
    }

    String help() {
      return usage() + "\n\n" + description.indent(2).stripTrailing() + "\n\n" + DATABASE;
    }
  }

  private static final String DATABASE =
      "The database comes from DATABASE_URL, DATABASE_USER and DATABASE_PASSWORD.";

  private static final List<Command> COMMANDS =
      List.of(
          new Command(
              "migrate",
              "migrate",
              """
              Applies the pending schema migrations and prints how many ran. The functions also
              apply them when they start on a schema that is behind."""),
          new Command(
              "create-token",
              "create-token USER_ID [site-admin]",
              """
              Creates an access token for the user (a number), with the site-admin scope when
              asked, and prints it: the only time the token is shown. The database keeps its
              hash only."""),
          new Command(
              "list-tokens",
              "list-tokens [USER_ID]",
              """
              Lists the access tokens of one user, or of every user, oldest first: ID, user,
              scopes, when created, when they expire (never, or a time) and when they were
              revoked, and their note. Never the token or its hash, which cannot be shown."""),
          new Command(
              "revoke-token",
              "revoke-token ID...",
              """
              Revokes access tokens by ID (list-tokens shows them): each stops working at once,
              and so does every console session signed in with it. Prints, for each, how many of
              its console sessions ended. Exits with 1 when an ID names no token."""),
          new Command(
              "set-flag",
              "set-flag NAME true|false [USER_ID]",
              """
              Sets a feature flag for the whole instance, or one user's own value of it. The flag
              telemetry-export turns export to the gateway on or off. A user's own export opt-out
              (setExportOptOut) is kept apart: it keeps their events local whatever the flag says,
              and only they can remove it."""),
          new Command(
              "unset-flag",
              "unset-flag NAME USER_ID",
              """
              Removes one user's own value of a feature flag, so that the instance's value applies
              to them again. A user's own export opt-out is not touched."""),
          new Command(
              "set-aside",
              "set-aside list [N] | retry ID...|--all | discard ID...",
              """
              Events the export set aside (a payload it cannot read, or one the gateway refused
              again and again): list the newest N (20), export some or all of them again, or
              delete some for good."""),
          new Command(
              "erase",
              "erase --user ID | --anonymous ID",
              """
              Deletes everything the instance holds about one person, named by their user ID or
              their anonymous visitor ID: their event_logs rows, their events in the export queue
              (waiting, set aside, and exported ones still kept), and the usage rollups' rows that
              name them. Prints the counts, and writes one audit line (JSON, with the counts but
              not the person's ID) to standard error. Copies the gateway already published are
              not reached: see the README, Privacy."""),
          new Command(
              "catalog",
              CatalogFileCommands.SYNOPSIS + " | " + CatalogCommands.SYNOPSIS,
              CatalogFileCommands.DESCRIPTION + "\n" + CatalogCommands.DESCRIPTION),
          new Command(
              "egress-report", EgressReportCommand.SYNOPSIS, EgressReportCommand.DESCRIPTION));

  private static final String USAGE = usage();

  private TallyAdmin() {}

  private static String usage() {
    StringBuilder usage =
        new StringBuilder("usage: tally-admin [--verbose] COMMAND [ARGUMENTS]\n\ncommands:\n");
    for (Command command : COMMANDS) {
      usage.append(String.format("  %-58s%n", command.synopsis()));
    }
    return usage
        .append(
            "\ntally-admin help COMMAND (or COMMAND --help) says what a command does; --verbose"
                + " also shows the\nlibraries' INFO logs. "
                + DATABASE)
        .toString();
  }

  public static void main(String[] args) {
    System.exit(run(List.of(args), System.getenv(), System.out, System.err));
  }

  /** Runs one command; returns the process exit code. */
  static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    List<String> rest = new ArrayList<>(args);
    boolean verbose = false;
    while (!rest.isEmpty() && rest.get(0).startsWith("-")) {
      String option = rest.remove(0);
      switch (option) {
        case "--verbose", "-v" -> verbose = true;
        case "--help", "-h" -> {
          out.println(USAGE);
          return 0;
        }
        default -> {
          err.println("unknown option '" + option + "'\n" + USAGE);
          return 2;
        }
      }
    }
    if (rest.isEmpty()) {
      err.println(USAGE);
      return 2;
    }
    String name = rest.remove(0);
    if (name.equals("help")) {
      if (rest.isEmpty()) {
        out.println(USAGE);
        return 0;
      }
      name = rest.get(0);
      rest = new ArrayList<>(List.of("--help"));
    }
    Command command = command(name);
    if (command == null) {
      err.println("unknown command '" + name + "'\n" + USAGE);
      return 2;
    }
    if (rest.contains("--help") || rest.contains("-h")) {
      out.println(command.help());
      return 0;
    }
    try (QuietLogging logging = QuietLogging.to(err, verbose)) {
      return run(command, rest, env, out, err);
    }
  }

  private static Command command(String name) {
    for (Command command : COMMANDS) {
      if (command.name().equals(name)) {
        return command;
      }
    }
    return null;
  }

  /** Prints a command's usage after what was wrong, and gives the exit code of wrong usage. */
  private static int wrongUsage(Command command, String problem, PrintStream err) {
    err.println(
        (problem == null ? "" : problem + "\n")
            + command.usage()
            + "\n(tally-admin help "
            + command.name()
            + " says more)");
    return 2;
  }

  private static int run(
      Command command,
      List<String> rest,
      Map<String, String> env,
      PrintStream out,
      PrintStream err) {
    if (command.name().equals("catalog")
        && (rest.isEmpty() || !CatalogCommands.ACTIONS.contains(rest.get(0)))) {
      // validate needs no database; pull opens its own; diff, apply and release go on below.
      return new CatalogFileCommands(
              command.usage() + "\n(tally-admin help " + command.name() + " says more)", out, err)
          .run(rest, env);
    }
    DatabaseConfig config;
    try {
      config = DatabaseConfig.fromEnv(env);
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 2;
    }
    // Arguments are checked before the database is touched.
    String problem = checkArguments(command.name(), rest);
    if (problem != null) {
      return wrongUsage(command, problem.isEmpty() ? null : problem, err);
    }
    try (HikariDataSource dataSource =
        DataSources.pooled(
            new DatabaseConfig(config.url(), config.user(), config.password(), 1, false),
            "tally-admin")) {
      switch (command.name()) {
        case "migrate" -> {
          out.println("applied " + Migrations.apply(config) + " migration(s)");
          return 0;
        }
        case "create-token" -> {
          Set<String> scopes = new LinkedHashSet<>(List.of(AccessTokens.USER_ALL));
          if (rest.size() == 2) {
            scopes.add(AccessTokens.SITE_ADMIN);
          }
          AccessTokens.CreatedToken token =
              new AccessTokens(dataSource, Clock.systemUTC())
                  .create(Long.parseLong(rest.get(0)), scopes, null, "created by TallyAdmin");
          out.println(token.token());
          return 0;
        }
        case "list-tokens" -> {
          return listTokens(rest, new AccessTokens(dataSource, Clock.systemUTC()), out);
        }
        case "revoke-token" -> {
          return revokeTokens(rest, new AccessTokens(dataSource, Clock.systemUTC()), out, err);
        }
        case "set-flag" -> {
          FeatureFlags flags = new FeatureFlags(dataSource);
          boolean enabled = Boolean.parseBoolean(rest.get(1));
          if (rest.size() == 3) {
            flags.setOverride(rest.get(0), Long.parseLong(rest.get(2)), enabled);
          } else {
            flags.set(rest.get(0), enabled);
          }
          out.println(
              rest.get(0) + " = " + enabled + (rest.size() == 3 ? " for user " + rest.get(2) : ""));
          return 0;
        }
        case "unset-flag" -> {
          boolean removed =
              new FeatureFlags(dataSource).removeOverride(rest.get(0), Long.parseLong(rest.get(1)));
          out.println(
              rest.get(0)
                  + (removed ? " unset" : " had no value of its own")
                  + " for user "
                  + rest.get(1)
                  + ": the instance's value applies");
          return 0;
        }
        case "set-aside" -> {
          return setAside(command, rest, new ExportQueue(dataSource, Clock.systemUTC()), out, err);
        }
        case "erase" -> {
          return erase(rest, dataSource, out, err);
        }
        case "catalog" -> {
          return CatalogCommands.run(rest, dataSource, env, out, err);
        }
        case "egress-report" -> {
          return EgressReportCommand.run(rest, dataSource, out);
        }
        default -> throw new IllegalStateException("no code for command " + command.name());
      }
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 1;
    }
  }

  /**
   * What is wrong with a command's arguments: {@code null} when nothing, an empty string when they
   * do not have the command's shape, a sentence otherwise.
   */
  private static String checkArguments(String command, List<String> args) {
    switch (command) {
      case "migrate" -> {
        return args.isEmpty() ? null : "";
      }
      case "create-token" -> {
        if (args.isEmpty()
            || args.size() > 2
            || (args.size() == 2 && !args.get(1).equals("site-admin"))) {
          return "";
        }
        return userId(args.get(0));
      }
      case "list-tokens" -> {
        if (args.size() > 1) {
          return "";
        }
        return args.isEmpty() ? null : userId(args.get(0));
      }
      case "revoke-token" -> {
        if (args.isEmpty()) {
          return "name the tokens by ID (list-tokens shows them)";
        }
        for (String arg : args) {
          if (!arg.matches("[0-9]{1,18}")) {
            return "a token ID must be a number, got '" + arg + "'";
          }
        }
        return null;
      }
      case "set-flag" -> {
        if (args.size() < 2 || args.size() > 3 || !List.of("true", "false").contains(args.get(1))) {
          return "";
        }
        return args.size() == 3 ? userId(args.get(2)) : null;
      }
      case "unset-flag" -> {
        return args.size() == 2 ? userId(args.get(1)) : "";
      }
      case "set-aside" -> {
        return args.isEmpty() || !List.of("list", "retry", "discard").contains(args.get(0))
            ? ""
            : null;
      }
      case "erase" -> {
        if (args.size() != 2 || !List.of("--user", "--anonymous").contains(args.get(0))) {
          return "";
        }
        if (args.get(1).isBlank()) {
          return "name the person: the ID must not be blank";
        }
        return args.get(0).equals("--user") ? userId(args.get(1)) : null;
      }
      case "catalog" -> {
        return CatalogCommands.checkArguments(args);
      }
      case "egress-report" -> {
        return EgressReportCommand.checkArguments(args);
      }
      default -> {
        return null;
      }
    }
  }

  private static String userId(String arg) {
    try {
      Long.parseLong(arg.trim());
      return null;
    } catch (NumberFormatException e) {
      return "a user ID must be a number, got '" + arg + "'";
    }
  }

  /** {@code list-tokens [USER_ID]}: a table, one token a line. */
  private static int listTokens(List<String> args, AccessTokens tokens, PrintStream out) {
    List<AccessTokens.Listed> listed =
        tokens.list(args.isEmpty() ? null : Long.parseLong(args.get(0).trim()));
    out.println(
        listed.size()
            + " access token(s)"
            + (args.isEmpty() ? "" : " of user " + args.get(0).trim())
            + (listed.isEmpty() ? "" : ":"));
    if (listed.isEmpty()) {
      return 0;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("ID", "USER", "SCOPES", "CREATED", "EXPIRES", "REVOKED", "NOTE"));
    for (AccessTokens.Listed token : listed) {
      rows.add(
          List.of(
              String.valueOf(token.id()),
              String.valueOf(token.userId()),
              String.join(",", token.scopes()),
              time(token.createdAt(), "?"),
              time(token.expiresAt(), "never"),
              time(token.revokedAt(), "-"),
              printable(token.note())));
    }
    int[] widths = new int[rows.get(0).size()];
    for (List<String> row : rows) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < widths.length; i++) {
        String cell = row.get(i);
        line.append(i == widths.length - 1 ? cell : String.format("%-" + widths[i] + "s  ", cell));
      }
      out.println(line.toString().stripTrailing());
    }
    return 0;
  }

  private static String time(Instant instant, String none) {
    return instant == null ? none : instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** A note as one line of text: control characters (a terminal's escapes) become spaces. */
  private static String printable(String note) {
    return note == null ? "" : note.replaceAll("\\p{Cntrl}", " ");
  }

  /** {@code revoke-token ID...}: each token, and how many of its console sessions ended. */
  private static int revokeTokens(
      List<String> args, AccessTokens tokens, PrintStream out, PrintStream err) {
    int status = 0;
    for (String arg : args) {
      long id = Long.parseLong(arg);
      AccessTokens.Revocation revocation = tokens.revoke(id);
      String sessions = "; " + revocation.consoleSessionsEnded() + " console session(s) ended";
      switch (revocation.before()) {
        case VALID -> out.println("revoked token " + id + sessions);
        case EXPIRED -> out.println("revoked token " + id + " (it had expired)" + sessions);
        case REVOKED -> out.println("token " + id + " was revoked already" + sessions);
        case NO_SUCH_TOKEN -> {
          err.println("no access token with ID " + id);
          status = 1;
        }
      }
    }
    return status;
  }

  /** {@code set-aside list [N]}, {@code retry ID...|--all}, {@code discard ID...}. */
  private static int setAside(
      Command command, List<String> args, ExportQueue queue, PrintStream out, PrintStream err) {
    String action = args.isEmpty() ? "" : args.get(0);
    List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
    switch (action) {
      case "list" -> {
        int limit;
        try {
          limit = rest.isEmpty() ? 20 : Integer.parseInt(rest.get(0));
        } catch (NumberFormatException e) {
          limit = -1;
        }
        if (rest.size() > 1 || limit < 1) {
          return wrongUsage(command, "set-aside list takes a number of events, at least 1", err);
        }
        ExportQueue.SetAsidePage page = queue.listSetAside(limit, null);
        out.println(
            page.totalCount()
                + " event(s) set aside"
                + (page.hasNextPage() ? ", the newest " + page.nodes().size() + ":" : ""));
        for (ExportQueue.SetAsideEvent event : page.nodes()) {
          out.println(
              event.id()
                  + "  "
                  + event.setAsideAt()
                  + "  "
                  + event.event().map(e -> e.getFeature() + "/" + e.getAction()).orElse("?")
                  + "  attempts="
                  + event.attempts()
                  + " failures="
                  + event.failures()
                  + "  "
                  + event.reason());
        }
        return 0;
      }
      case "retry" -> {
        if (rest.equals(List.of("--all"))) {
          out.println("retried " + queue.retryAllSetAside() + " set-aside event(s)");
          return 0;
        }
        List<UUID> ids = ids(command, rest, err);
        if (ids == null) {
          return 2;
        }
        out.println("retried " + queue.retrySetAside(ids) + " of " + ids.size() + " event(s)");
        return 0;
      }
      case "discard" -> {
        List<UUID> ids = ids(command, rest, err);
        if (ids == null) {
          return 2;
        }
        out.println("discarded " + queue.discardSetAside(ids) + " of " + ids.size() + " event(s)");
        return 0;
      }
      default -> {
        return wrongUsage(command, null, err);
      }
    }
  }

  /**
   * {@code erase --user ID} or {@code erase --anonymous ID}, arguments checked; the audit line goes
   * to standard error.
   */
  private static int erase(
      List<String> args, DataSource dataSource, PrintStream out, PrintStream err) {
    String id = args.get(1).trim();
    Actor person =
        args.get(0).equals("--user") ? Actor.user(Long.parseLong(id)) : Actor.anonymous(id);
    Erasure.Result erased;
    try (JsonLog.Scope audit = JsonLog.writingTo(err)) {
      erased =
          new Erasure(dataSource, Clock.systemUTC())
              .erase(person, "TallyAdmin:" + System.getProperty("user.name", "unknown"));
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return 2;
    }
    out.println(
        "erased "
            + erased.eventLogs()
            + " event_logs row(s), "
            + erased.unexported()
            + " queued event(s) not yet exported, "
            + erased.exported()
            + " exported event(s) still kept, "
            + erased.usageRows()
            + " usage rollup row(s), "
            + erased.held()
            + " held event(s)");
    if (erased.exported() > 0) {
      out.println(
          "some of these events had already left the instance: their copies at the gateway are"
              + " not erased by this (README, Privacy)");
    }
    return 0;
  }

  /** The event IDs given, or {@code null} after saying what is wrong with them. */
  private static List<UUID> ids(Command command, List<String> args, PrintStream err) {
    if (args.isEmpty()) {
      wrongUsage(command, "name the events by ID (set-aside list shows them)", err);
      return null;
    }
    List<UUID> ids = new ArrayList<>();
    for (String arg : args) {
      try {
        ids.add(UUID.fromString(arg));
      } catch (IllegalArgumentException e) {
        err.println("not an event ID: '" + arg + "'");
        return null;
      }
    }
    return ids;
  }
}
