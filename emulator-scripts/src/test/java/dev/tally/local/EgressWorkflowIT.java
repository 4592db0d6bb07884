package dev.tally.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.local.StackScripts.Result;
import dev.tally.testing.PubSubEmulator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The egress report on a fresh local stack, as a new user follows the README: record events of
 * several names with private keys the allowlist lets leave and keys it withholds, let export run,
 * and read in {@code tally-admin egress-report --format csv} and on the console's What leaves page
 * exactly which keys left and which were withheld, with their counts, the same counts as the
 * messages on the topic; then record a key that is allowlisted and was never sent before, and see
 * it marked new against the day before.
 */
class EgressWorkflowIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EXPORTED_WITHIN = Duration.ofSeconds(60);

  /** The CSV's header, as the README shows it. */
  private static final String HEADER =
      "period_from,period_to,feature,action,name_events,name_bytes,catalog_versions,name_is_new,"
          + "field,left_events,withheld_events,newly_left";

  /** Where round one's ledger rows wait while round two is exported (a day nothing else uses). */
  private static final LocalDate PUT_ASIDE = LocalDate.parse("2000-01-01");

  @TempDir static Path localDir;

  private static StackScripts scripts;
  private static StackUser user;
  private static PubSubEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    scripts = new StackScripts(localDir);
    Result started = scripts.script("run-local.sh", "--detach", "--no-build");
    assertEquals(0, started.exitCode(), started.output());
    user = new StackUser(scripts, EnvFile.read(scripts.envFile()));
    emulator =
        PubSubEmulator.attach(user.get("PUBSUB_EMULATOR_HOST"), user.get("PUBSUB_PROJECT_ID"));
  }

  @AfterAll
  static void stop() throws Exception {
    Result stopped = scripts.script("stop-local.sh");
    assertEquals(0, stopped.exitCode(), stopped.output());
  }

  @Test
  void egressReport_namesExactlyTheKeysThatLeftAndWereWithheld_andMarksANewAllowlistedKeyNew()
      throws Exception {
    // Round one: a search carries two private keys no allowlist names (and a metadata key, which
    // the ledger counts only where the catalog withholds one); the example event (the built-in
    // allowlist lets its testField leave) carries another private key
    // and marketing tracking, both withheld.
    List<String> roundOne = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      roundOne.add(record(search()));
    }
    for (int i = 0; i < 2; i++) {
      roundOne.add(record(example("{repo: \\\"github.com/acme/secret\\\"}", true)));
    }
    awaitExported(roundOne);
    Map<String, Map<String, Integer>> published = publishedKeys(roundOne.size());

    LocalDate day = onlyLedgerDayAfter(PUT_ASIDE);
    List<String> csv = egressReportCsv(day);
    // Names with something new first (both are new today), then by events; fields by name.
    assertEquals(
        List.of(
            HEADER,
            row(day, "search.query,submitted,3", "true", "privateMetadata.language,0,3,false"),
            row(day, "search.query,submitted,3", "true", "privateMetadata.query,0,3,false"),
            row(day, "exampleFeature,exampleAction,2", "true", "marketingTracking.url,0,2,false"),
            row(day, "exampleFeature,exampleAction,2", "true", "privateMetadata.repo,0,2,false")),
        withoutBytes(csv),
        String.join("\n", csv));
    // What the ledger says left is what the gateway published: the same events per name, and the
    // same keys carried out by as many of them.
    assertEquals(
        Map.of(
            "exampleFeature.exampleAction", Map.of("", 2), "search.query.submitted", Map.of("", 3)),
        published);
    assertEquals(published, leftPerName(csv));

    String page = user.console("/exported?from=" + day + "&to=" + day);
    assertTrue(page.contains("5 events left"), page);
    assertTrue(page.contains("<code>privateMetadata.query</code> 3</li>"), page);
    assertTrue(page.contains("<code>privateMetadata.repo</code> 2</li>"), page);

    // A day passes. Round one is put aside while round two is exported, then made the day before
    // round two's day (the ledger's day is the UTC day of export), whichever day that is.
    moveLedgerDay(day, PUT_ASIDE);
    List<String> roundTwo = new ArrayList<>();
    roundTwo.add(record(search()));
    roundTwo.add(
        record(example("{testField: \\\"shown\\\", repo: \\\"github.com/acme/x\\\"}", false)));
    awaitExported(roundTwo);
    Map<String, Map<String, Integer>> publishedAgain = publishedKeys(roundTwo.size());
    LocalDate nextDay = onlyLedgerDayAfter(PUT_ASIDE);
    moveLedgerDay(PUT_ASIDE, nextDay.minusDays(1));

    List<String> next = egressReportCsv(nextDay);
    assertEquals(
        List.of(
            HEADER,
            row(
                nextDay,
                "exampleFeature,exampleAction,1",
                "false",
                "privateMetadata.repo,0,1,false"),
            row(
                nextDay,
                "exampleFeature,exampleAction,1",
                "false",
                "privateMetadata.testField,1,0,true"),
            row(nextDay, "search.query,submitted,1", "false", "privateMetadata.language,0,1,false"),
            row(nextDay, "search.query,submitted,1", "false", "privateMetadata.query,0,1,false")),
        withoutBytes(next),
        String.join("\n", next));
    assertEquals(publishedAgain, leftPerName(next));
    assertEquals(
        1, publishedAgain.get("exampleFeature.exampleAction").get("privateMetadata.testField"));

    String nextPage = user.console("/exported?from=" + nextDay + "&to=" + nextDay);
    String news = between(nextPage, "id=\"egress-news\"", "</div>");
    assertTrue(
        news.contains(
            "exampleFeature.exampleAction</a>: <code>privateMetadata.testField</code> left"),
        news);
    assertFalse(news.contains("search.query"), news);
  }

  private static String record(String event) throws Exception {
    return user.record(user.get("ACCESS_TOKEN"), event);
  }

  private static String search() {
    return "{feature: \\\"search.query\\\", action: \\\"submitted\\\", source: {client: \\\"it\\\"},"
        + " parameters: {version: 0, metadata: [{key: \\\"resultCount\\\", value: 3}],"
        + " privateMetadata: {language: \\\"go\\\", query: \\\"secret plans\\\"}}}";
  }

  /** The built-in allowlist's example event, with these private metadata and marketing or not. */
  private static String example(String privateMetadata, boolean marketing) {
    return "{feature: \\\"exampleFeature\\\", action: \\\"exampleAction\\\","
        + " source: {client: \\\"it\\\"}, parameters: {version: 0, privateMetadata: "
        + privateMetadata
        + "}"
        + (marketing ? ", marketingTracking: {url: \\\"https://example.com/campaign\\\"}" : "")
        + "}";
  }

  /**
   * Export runs every 2 s on this stack: waits until every one of the events is marked exported.
   */
  private static void awaitExported(List<String> eventIds) throws Exception {
    long deadline = System.nanoTime() + EXPORTED_WITHIN.toNanos();
    int exported;
    do {
      try (Connection db = user.database();
          PreparedStatement query =
              db.prepareStatement(
                  "SELECT count(*) FROM telemetry_events_export_queue"
                      + " WHERE id = ANY (?::uuid[]) AND exported_at IS NOT NULL")) {
        query.setArray(1, db.createArrayOf("text", eventIds.toArray()));
        try (ResultSet row = query.executeQuery()) {
          row.next();
          exported = row.getInt(1);
        }
      }
      if (exported < eventIds.size()) {
        Thread.sleep(200);
      }
    } while (exported < eventIds.size() && System.nanoTime() < deadline);
    assertEquals(eventIds.size(), exported, "events exported within " + EXPORTED_WITHIN);
  }

  /**
   * The messages on the stack's subscription, per {@code feature.action}: {@code ""} → how many
   * events, and per field path the ledger counts as leaving (top-level private metadata keys,
   * marketing fields) how many of them carried it.
   */
  private static Map<String, Map<String, Integer>> publishedKeys(int count) throws Exception {
    List<PubSubEmulator.Message> messages =
        emulator.pull(user.get("SUBSCRIPTION_ID"), count, EXPORTED_WITHIN);
    assertEquals(count, messages.size(), "messages on the subscription");
    Map<String, Map<String, Integer>> keys = new TreeMap<>();
    for (PubSubEmulator.Message message : messages) {
      JsonNode event = JSON.readTree(message.data()).path("event");
      Map<String, Integer> name =
          keys.computeIfAbsent(
              event.path("feature").asText() + "." + event.path("action").asText(),
              n -> new TreeMap<>());
      name.merge("", 1, Integer::sum);
      for (Iterator<String> key = event.path("parameters").path("privateMetadata").fieldNames();
          key.hasNext(); ) {
        name.merge("privateMetadata." + key.next(), 1, Integer::sum);
      }
      for (Iterator<String> field = event.path("marketingTracking").fieldNames();
          field.hasNext(); ) {
        name.merge("marketingTracking." + field.next(), 1, Integer::sum);
      }
    }
    return keys;
  }

  /** The same from the CSV: events per name, and left_events of every field that left. */
  private static Map<String, Map<String, Integer>> leftPerName(List<String> csv) {
    Map<String, Map<String, Integer>> keys = new TreeMap<>();
    for (String line : csv.subList(1, csv.size())) {
      String[] cells = line.split(",", -1);
      Map<String, Integer> name =
          keys.computeIfAbsent(cells[2] + "." + cells[3], n -> new TreeMap<>());
      name.put("", Integer.parseInt(cells[4]));
      if (Integer.parseInt(cells[9]) > 0) {
        name.put(cells[8], Integer.parseInt(cells[9]));
      }
    }
    return keys;
  }

  /** {@code egress-report --from DAY --to DAY --format csv}, as an auditor runs it: its lines. */
  private static List<String> egressReportCsv(LocalDate day) throws Exception {
    Result report = user.admin("egress-report --from " + day + " --to " + day + " --format csv");
    assertEquals(0, report.exitCode(), report.output());
    List<String> lines = report.output().lines().toList();
    int header = lines.indexOf(HEADER);
    assertTrue(header >= 0, report.output());
    return lines.subList(header, lines.size());
  }

  /** A CSV row; its bytes cell is checked apart (it depends on the payloads' encoded size). */
  private static String row(LocalDate day, String nameAndEvents, String isNew, String field) {
    return day + "," + day + "," + nameAndEvents + ",_,0," + isNew + "," + field;
  }

  /**
   * The CSV with each row's bytes cell replaced by {@code _}, once every row is checked to carry a
   * positive byte count.
   */
  private static List<String> withoutBytes(List<String> csv) {
    List<String> rows = new ArrayList<>(List.of(csv.get(0)));
    for (String line : csv.subList(1, csv.size())) {
      String[] cells = line.split(",", -1);
      assertTrue(Long.parseLong(cells[5]) > 0, "bytes sent: " + line);
      cells[5] = "_";
      rows.add(String.join(",", cells));
    }
    return rows;
  }

  /** The one UTC day after {@code after} that the ledger holds (the day of export). */
  private static LocalDate onlyLedgerDayAfter(LocalDate after) throws Exception {
    try (Connection db = user.database();
        PreparedStatement query =
            db.prepareStatement("SELECT DISTINCT day::text FROM egress_ledger WHERE day > ?")) {
      query.setObject(1, after);
      TreeSet<String> days = new TreeSet<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          days.add(rows.getString(1));
        }
      }
      assertEquals(1, days.size(), "days in the ledger: " + days);
      return LocalDate.parse(days.first());
    }
  }

  private static void moveLedgerDay(LocalDate from, LocalDate to) throws Exception {
    try (Connection db = user.database();
        Statement statement = db.createStatement()) {
      for (String table : List.of("egress_ledger", "egress_ledger_fields")) {
        statement.executeUpdate(
            "UPDATE " + table + " SET day = DATE '" + to + "' WHERE day = DATE '" + from + "'");
      }
    }
  }

  private static String between(String page, String start, String end) {
    int from = page.indexOf(start);
    assertTrue(from >= 0, start + " in the page:\n" + page);
    return page.substring(from, page.indexOf(end, from));
  }
}
