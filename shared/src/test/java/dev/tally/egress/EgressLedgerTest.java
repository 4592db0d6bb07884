package dev.tally.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.egress.EgressReport.Field;
import dev.tally.egress.EgressReport.Name;
import dev.tally.egress.EgressReport.Period;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The report read from ledger rows written straight into the tables. */
@ExtendWith(PostgresExtension.class)
class EgressLedgerTest {
  private static final LocalDate FROM = LocalDate.parse("2026-11-01");
  private static final LocalDate TO = LocalDate.parse("2026-11-07");

  private final TestDatabase db;
  private final EgressLedger ledger;

  EgressLedgerTest(TestDatabase db) {
    this.db = db;
    this.ledger = new EgressLedger(db.dataSource());
  }

  @BeforeEach
  void emptyLedger() {
    db.execute("TRUNCATE egress_ledger, egress_ledger_fields");
  }

  @Test
  void report_sumsThePeriodPerName_andMarksWhatIsNewAgainstThePeriodBefore() {
    // The week before: search.submit left with query withheld and language carried out.
    db.egressLedger("2026-10-28", "search", "submit", 0, 10, 1_000);
    db.egressLedgerField("2026-10-28", "search", "submit", 0, "privateMetadata.language", 10, 0);
    db.egressLedgerField("2026-10-28", "search", "submit", 0, "privateMetadata.query", 0, 10);
    // This week: the same under catalog versions 0 and 2, plus a key newly carried out, and a name
    // seen for the first time. A day outside both periods counts nowhere.
    db.egressLedger("2026-11-01", "search", "submit", 0, 4, 400);
    db.egressLedger("2026-11-07", "search", "submit", 2, 6, 660);
    db.egressLedgerField("2026-11-01", "search", "submit", 0, "privateMetadata.language", 4, 0);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.language", 6, 0);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.query", 0, 6);
    db.egressLedgerField("2026-11-07", "search", "submit", 2, "privateMetadata.repo", 2, 0);
    db.egressLedger("2026-11-03", "docs", "view", 0, 3, 90);
    db.egressLedgerField("2026-11-03", "docs", "view", 0, "marketingTracking.url", 0, 3);
    db.egressLedger("2026-11-08", "late", "event", 0, 99, 9_900);

    EgressReport report = ledger.report(FROM, TO);

    assertEquals(new Period(FROM, TO), report.period());
    assertEquals(
        new Period(LocalDate.parse("2026-10-25"), LocalDate.parse("2026-10-31")),
        report.previous());
    assertEquals(13, report.events());
    assertEquals(1_150, report.bytes());
    assertEquals(
        List.of(
            new Name(
                "search",
                "submit",
                10,
                1_060,
                List.of(0, 2),
                false,
                List.of(
                    new Field("privateMetadata.language", 10, 0, false),
                    new Field("privateMetadata.query", 0, 6, false),
                    new Field("privateMetadata.repo", 2, 0, true))),
            new Name(
                "docs",
                "view",
                3,
                90,
                List.of(0),
                true,
                List.of(new Field("marketingTracking.url", 0, 3, false)))),
        report.names());
  }

  @Test
  void namesWithoutNews_comeAfterThoseWithNews_mostEventsFirst() {
    db.egressLedger("2026-10-30", "a", "old", 0, 1, 1);
    db.egressLedger("2026-10-30", "b", "old", 0, 1, 1);
    db.egressLedger("2026-11-02", "a", "old", 0, 5, 5);
    db.egressLedger("2026-11-02", "b", "old", 0, 50, 50);
    db.egressLedger("2026-11-02", "c", "new", 0, 1, 1);

    List<String> order =
        ledger.report(FROM, TO).names().stream().map(n -> n.feature() + "." + n.action()).toList();

    assertEquals(List.of("c.new", "b.old", "a.old"), order);
  }

  @Test
  void aPeriodBackwardsOrTooLong_isRefusedNamingIt() {
    IllegalArgumentException backwards =
        assertThrows(IllegalArgumentException.class, () -> ledger.report(TO, FROM));
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class,
            () -> ledger.report(FROM, FROM.plusDays(EgressLedger.MAX_DAYS)));

    assertEquals(
        "the period ends (2026-11-01) before it starts (2026-11-07)", backwards.getMessage());
    assertEquals(
        "the period is 401 days long; at most 400 are reported at once", tooLong.getMessage());
  }
}
