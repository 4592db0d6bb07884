package dev.tally.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.json.Json;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code tally-admin egress-report} against a real PostgreSQL, its ledger rows written directly.
 */
@ExtendWith(PostgresExtension.class)
class TallyAdminEgressReportTest {
  private final TestDatabase db;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  TallyAdminEgressReportTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void ledger() {
    db.execute("TRUNCATE egress_ledger, egress_ledger_fields");
    // The week before: search.submit carried language out.
    db.egressLedger("2026-10-28", "search", "submit", 0, 10, 1_000);
    db.egressLedgerField("2026-10-28", "search", "submit", 0, "privateMetadata.language", 10, 0);
    // This week: language again, a key with a comma and quotes newly, query withheld; and
    // docs.view, new, without fields.
    db.egressLedger("2026-11-01", "search", "submit", 0, 4, 400);
    db.egressLedger("2026-11-07", "search", "submit", 2, 6, 660);
    db.egressLedgerField("2026-11-01", "search", "submit", 0, "privateMetadata.language", 4, 0);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.query", 0, 6);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.a,\"b\"", 2, 0);
    db.egressLedger("2026-11-03", "docs", "view", 0, 3, 90);
  }

  @Test
  void csv_isOneRowPerNameAndField_withAHeader_quotedAsRfc4180Says() {
    assertEquals(
        0,
        run("egress-report", "--from", "2026-11-01", "--to", "2026-11-07", "--format", "csv"),
        err());

    assertEquals(
        "period_from,period_to,feature,action,name_events,name_bytes,catalog_versions,"
            + "name_is_new,field,left_events,withheld_events,newly_left\r\n"
            + "2026-11-01,2026-11-07,search,submit,10,1060,0 2,false,"
            + "\"privateMetadata.a,\"\"b\"\"\",2,0,true\r\n"
            + "2026-11-01,2026-11-07,search,submit,10,1060,0 2,false,"
            + "privateMetadata.language,4,0,false\r\n"
            + "2026-11-01,2026-11-07,search,submit,10,1060,0 2,false,"
            + "privateMetadata.query,0,6,false\r\n"
            + "2026-11-01,2026-11-07,docs,view,3,90,0,true,,,,\r\n",
        out());
    assertEquals("", err());
  }

  @Test
  void json_isTheReportAsTheGraphQlFieldAnswersIt() throws Exception {
    assertEquals(
        0,
        run("egress-report", "--from", "2026-11-01", "--to", "2026-11-07", "--format", "json"),
        err());

    Map<?, ?> report = (Map<?, ?>) Json.read(out());
    assertEquals(Map.of("from", "2026-11-01", "to", "2026-11-07"), report.get("period"));
    assertEquals(Map.of("from", "2026-10-25", "to", "2026-10-31"), report.get("previous"));
    assertEquals(13, ((Number) report.get("events")).intValue());
    List<?> names = (List<?>) report.get("names");
    Map<?, ?> docs = (Map<?, ?>) names.get(1);
    assertEquals("docs", docs.get("feature"));
    assertEquals(true, docs.get("isNew"));
    assertEquals("/console/exported?name=docs.view", docs.get("eventsPath"));
    Map<?, ?> search = (Map<?, ?>) names.get(0);
    assertEquals(3, ((List<?>) search.get("fields")).size());
  }

  @Test
  void table_marksWhatIsNewAtTheTop_andListsLeftAndWithheldPerName() {
    assertEquals(0, run("egress-report", "--from", "2026-11-01", "--to", "2026-11-07"), err());

    String table = out();
    assertTrue(
        table.startsWith(
            "egress 2026-11-01 .. 2026-11-07 (UTC days), against 2026-10-25 .. 2026-10-31\n"
                + "13 event(s), 1150 byte(s) exported, 2 name(s)\n\n"
                + "new against the period before:\n"
                + "  NEW  search.submit  privateMetadata.a,\"b\" left\n"
                + "  NEW  docs.view\n"),
        table);
    assertTrue(table.contains("    privateMetadata.query"), table);
    assertTrue(table.matches("(?s).*privateMetadata\\.query +0 +6\n.*"), table);
  }

  @Test
  void badArguments_exitWith2NamingWhatToFix() {
    assertEquals(2, run("egress-report", "--from", "2026-11-07", "--to", "2026-11-01"));
    assertTrue(
        err()
            .startsWith(
                "--to (2026-11-01) is before --from (2026-11-07): the period ends before it starts\n"
                    + "usage: tally-admin [--verbose] egress-report"),
        err());
    assertEquals(2, run("egress-report", "--from", "2026-11-01"));
    assertTrue(err().startsWith("give the period: --from DATE and --to DATE"), err());
    assertEquals(2, run("egress-report", "--from", "2026-11-01", "--to", "11/07/2026"));
    assertTrue(err().startsWith("--to takes a date as YYYY-MM-DD, got '11/07/2026'"), err());
    assertEquals(
        2, run("egress-report", "--from", "2026-11-01", "--to", "2026-11-07", "--format", "xml"));
    assertTrue(err().startsWith("--format is table, csv or json, got 'xml'"), err());
    assertEquals(2, run("egress-report", "--from", "2024-01-01", "--to", "2026-01-01"));
    assertTrue(
        err().startsWith("the period is 732 days long; at most 400 are reported at once"), err());
    assertEquals("", out());
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    return TallyAdmin.run(
        List.of(args),
        env,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
