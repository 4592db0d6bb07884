package dev.tally.admin;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.event.Actor;
import dev.tally.privacy.Erasure;
import dev.tally.store.AccessTokens;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.store.Migrations;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
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
 * set-flag NAME true|false [USER_ID]       set a feature flag, or one user's override
 * set-aside list [N]                       list the newest N events set aside from export
 * set-aside retry ID...|--all              export set-aside events again
 * set-aside discard ID...                  delete set-aside events for good
 * erase --user ID | --anonymous ID         erase one person's data; prints what was deleted
 * </pre>
 */
public final class TallyAdmin {
  private static final String USAGE =
      """
      usage: TallyAdmin COMMAND
        migrate                               apply pending schema migrations
        create-token USER_ID [site-admin]     create an access token and print it
        set-flag NAME true|false [USER_ID]    set a feature flag, or one user's override
        set-aside list [N]                    list the newest N (20) events set aside from export
        set-aside retry ID...|--all           export set-aside events again
        set-aside discard ID...               delete set-aside events for good
        erase --user ID | --anonymous ID      erase one person's events and usage rows
      The database comes from DATABASE_URL, DATABASE_USER and DATABASE_PASSWORD.""";

  private TallyAdmin() {}

  public static void main(String[] args) {
    System.exit(run(List.of(args), System.getenv(), System.out, System.err));
  }

  /** Runs one command; returns the process exit code. */
  static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    if (args.isEmpty()) {
      err.println(USAGE);
      return 2;
    }
    DatabaseConfig config;
    try {
      config = DatabaseConfig.fromEnv(env);
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 2;
    }
    try (HikariDataSource dataSource =
        DataSources.pooled(
            new DatabaseConfig(config.url(), config.user(), config.password(), 1, false),
            "tally-admin")) {
      String command = args.get(0);
      List<String> rest = args.subList(1, args.size());
      switch (command) {
        case "migrate" -> {
          out.println("applied " + Migrations.apply(config) + " migration(s)");
          return 0;
        }
        case "create-token" -> {
          if (rest.isEmpty()
              || rest.size() > 2
              || (rest.size() == 2 && !rest.get(1).equals("site-admin"))) {
            err.println(USAGE);
            return 2;
          }
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
        case "set-flag" -> {
          if (rest.size() < 2
              || rest.size() > 3
              || !Arrays.asList("true", "false").contains(rest.get(1))) {
            err.println(USAGE);
            return 2;
          }
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
        case "set-aside" -> {
          return setAside(rest, new ExportQueue(dataSource, Clock.systemUTC()), out, err);
        }
        case "erase" -> {
          return erase(rest, dataSource, out, err);
        }
        default -> {
          err.println("unknown command '" + command + "'\n" + USAGE);
          return 2;
        }
      }
    } catch (NumberFormatException e) {
      err.println("a user ID must be a number: " + e.getMessage());
      return 2;
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 1;
    }
  }

  /** {@code set-aside list [N]}, {@code retry ID...|--all}, {@code discard ID...}. */
  private static int setAside(
      List<String> args, ExportQueue queue, PrintStream out, PrintStream err) {
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
          err.println("set-aside list takes a number of events to list, at least 1\n" + USAGE);
          return 2;
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
        List<UUID> ids = ids(rest, err);
        if (ids == null) {
          return 2;
        }
        out.println("retried " + queue.retrySetAside(ids) + " of " + ids.size() + " event(s)");
        return 0;
      }
      case "discard" -> {
        List<UUID> ids = ids(rest, err);
        if (ids == null) {
          return 2;
        }
        out.println("discarded " + queue.discardSetAside(ids) + " of " + ids.size() + " event(s)");
        return 0;
      }
      default -> {
        err.println(USAGE);
        return 2;
      }
    }
  }

  /** {@code erase --user ID} or {@code erase --anonymous ID}. */
  private static int erase(
      List<String> args, DataSource dataSource, PrintStream out, PrintStream err) {
    boolean user = args.size() == 2 && args.get(0).equals("--user");
    boolean anonymous = args.size() == 2 && args.get(0).equals("--anonymous");
    if (!user && !anonymous) {
      err.println("erase takes --user USER_ID or --anonymous ANONYMOUS_ID\n" + USAGE);
      return 2;
    }
    Erasure.Result erased;
    try {
      Actor person;
      if (user) {
        try {
          person = Actor.user(Long.parseLong(args.get(1).trim()));
        } catch (NumberFormatException e) {
          err.println("a user ID must be a number, got '" + args.get(1) + "'");
          return 2;
        }
      } else {
        person = Actor.anonymous(args.get(1).trim());
      }
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
            + " usage rollup row(s)");
    if (erased.exported() > 0) {
      out.println(
          "some of these events had already left the instance: their copies at the gateway are"
              + " not erased by this (README, Privacy)");
    }
    return 0;
  }

  /** The event IDs given, or {@code null} after saying what is wrong with them. */
  private static List<UUID> ids(List<String> args, PrintStream err) {
    if (args.isEmpty()) {
      err.println("name the events by ID (set-aside list shows them)\n" + USAGE);
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
