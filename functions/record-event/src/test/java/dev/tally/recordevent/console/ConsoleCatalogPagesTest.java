package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.recordevent.console.ConsoleBackend.CatalogCounters;
import dev.tally.recordevent.console.ConsoleBackend.CatalogDiff;
import dev.tally.recordevent.console.ConsoleBackend.CatalogEntry;
import dev.tally.recordevent.console.ConsoleBackend.CatalogOverview;
import dev.tally.recordevent.console.ConsoleBackend.CatalogPolicy;
import dev.tally.recordevent.console.ConsoleBackend.CatalogPrivateKey;
import dev.tally.recordevent.console.ConsoleBackend.CatalogVersion;
import dev.tally.recordevent.console.ConsoleBackend.CounterDay;
import dev.tally.recordevent.console.ConsoleBackend.EventDiff;
import dev.tally.recordevent.console.ConsoleBackend.KeyCounter;
import dev.tally.recordevent.console.ConsoleBackend.KeyDiff;
import dev.tally.recordevent.console.ConsoleBackend.ObservedCatalog;
import dev.tally.recordevent.console.ConsoleBackend.ObservedCount;
import dev.tally.recordevent.console.ConsoleBackend.ObservedEvent;
import dev.tally.recordevent.console.ConsoleBackend.ObservedPrivateKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The catalog's pages rendered from an in-memory backend, read as an administrator reads them: the
 * version in force and its entries, the inbox and its entries to paste, the counters, the versions
 * with their diffs; what is escaped, what each says when there is nothing to show.
 */
class ConsoleCatalogPagesTest {
  private static final String HOSTILE = "<script>alert(1)</script>";

  private final ConsoleHarness console = new ConsoleHarness();
  private final FakeBackend backend = console.backend;
  private final String session = console.signedIn();

  private FakeResponse get(String path) throws Exception {
    return console.get(path, session);
  }

  private FakeResponse get(String path, String parameter, String value) throws Exception {
    return console.send(
        FakeRequest.get(path)
            .query(parameter, value)
            .header("Cookie", ConsoleHarness.cookie(session)));
  }

  /** The HTML of the element whose {@code id} is given, up to its closing tag. */
  private static String element(FakeResponse page, String tag, String id) {
    String body = page.body();
    int start = body.indexOf("id=\"" + id + "\"");
    assertTrue(start >= 0, id + " in " + body);
    return body.substring(start, body.indexOf("</" + tag + ">", start));
  }

  private static CatalogEntry entry(String feature, String action, String status, String sunset) {
    return new CatalogEntry(
        feature,
        action,
        status,
        sunset,
        "search-team",
        "A search was run",
        List.of("resultCount", "latencyMs"),
        List.of(
            new CatalogPrivateKey("query", false, null),
            new CatalogPrivateKey("repo", true, "public repository names only")),
        1204,
        5310,
        "2024-05-01");
  }

  @Test
  void catalog_showsTheVersionInForceItsModesAndEachEntryWithItsVolume() throws Exception {
    backend.catalog =
        new CatalogOverview(
            3,
            "2024-05-01T09:30:00Z",
            "tally-admin:ci",
            new CatalogPolicy("hold", "shadow", "drop"),
            List.of(
                entry("search", "submitted", "approved", null),
                new CatalogEntry(
                    "cody",
                    "abTest*",
                    "deprecated",
                    "2024-06-01",
                    null,
                    null,
                    List.of(),
                    List.of(),
                    0,
                    0,
                    null)));

    FakeResponse page = get("/console/catalog");

    assertEquals(200, page.status(), page.body());
    String version = element(page, "dl", "catalog-version");
    assertTrue(
        version.contains(
            "<dd><a href=\"/console/catalog/versions#version-3\">Version 3</a></dd>"
                + "\n<dt>Applied</dt><dd>2024-05-01T09:30:00Z</dd>"
                + "\n<dt>Applied by</dt><dd><code>tally-admin:ci</code></dd>"),
        version);
    assertEquals(
        "id=\"mode-events\"><strong>hold</strong>: stored and kept on this instance, never"
            + " exported, until a version of the catalog plans them",
        element(page, "dd", "mode-events"));
    assertEquals(
        "id=\"mode-metadata\"><strong>shadow</strong>: leave as the redaction rules allow, and"
            + " are counted as keys it would drop",
        element(page, "dd", "mode-metadata"));
    assertEquals(
        "id=\"mode-private\"><strong>drop</strong>: removed from the exported copy; this instance"
            + " keeps them",
        element(page, "dd", "mode-private"));
    String entries = element(page, "table", "catalog-entries");
    assertTrue(
        entries.contains(
            "<tr><th scope=\"row\"><code>search.submitted</code></th><td>approved</td>"
                + "<td>search-team</td><td>A search was run</td><td>1204</td><td>5310</td>"
                + "<td>2024-05-01</td>"
                + "<td><ul class=\"keys\"><li><code>repo</code>: public repository names only"
                + "</li></ul></td>"
                + "<td><ul class=\"keys\"><li><code>query</code></li></ul></td>"
                + "<td><ul class=\"keys\"><li><code>resultCount</code></li>"
                + "<li><code>latencyMs</code></li></ul></td></tr>"),
        entries);
    assertTrue(
        entries.contains(
            "<tr><th scope=\"row\"><code>cody.abTest*</code></th>"
                + "<td>deprecated, sunset 2024-06-01</td><td></td><td></td><td>0</td><td>0</td>"
                + "<td>never</td>"),
        entries);
    assertTrue(
        page.body().contains("<a href=\"/console/catalog/versions\" id=\"versions-link\">"),
        "the link to the versions");
    assertTrue(page.body().contains("<a href=\"/console/catalog\" aria-current=\"page\">Catalog"));
    assertTrue(page.body().contains("<a href=\"/console/catalog\" aria-current=\"page\">Entries"));
    assertTrue(page.body().contains("<a href=\"/console/catalog/inbox\">Inbox</a>"));
    assertFalse(page.body().contains("id=\"no-catalog\""));
  }

  @Test
  void catalog_escapesWhatTheFileSays() throws Exception {
    backend.catalog =
        new CatalogOverview(
            1,
            "2024-05-01T09:30:00Z",
            "tally-admin:\"><b>",
            new CatalogPolicy("off", "off", HOSTILE),
            List.of(
                new CatalogEntry(
                    "f<i>",
                    "a'b",
                    "approved",
                    null,
                    HOSTILE,
                    "<img src=x onerror=alert(1)>",
                    List.of("<u>k</u>"),
                    List.of(new CatalogPrivateKey("<s>p</s>", true, "\"quoted\" & <em>")),
                    1,
                    1,
                    "2024-05-01")));

    FakeResponse page = get("/console/catalog");

    assertEquals(200, page.status());
    assertFalse(page.body().contains("<script>alert"), "text, never markup");
    assertFalse(page.body().contains("<img"));
    assertFalse(page.body().contains("<b>") || page.body().contains("<i>"));
    assertFalse(page.body().contains("<u>") || page.body().contains("<s>"));
    assertTrue(page.body().contains("<code>tally-admin:&quot;&gt;&lt;b&gt;</code>"));
    assertTrue(page.body().contains("<code>f&lt;i&gt;.a&#39;b</code>"), page.body());
    assertTrue(page.body().contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assertTrue(page.body().contains("<td>&lt;img src&#61;x onerror&#61;alert(1)&gt;</td>"));
    assertTrue(
        page.body()
            .contains(
                "<li><code>&lt;s&gt;p&lt;/s&gt;</code>: &quot;quoted&quot; &amp; &lt;em&gt;</li>"));
    assertTrue(
        element(page, "dd", "mode-private")
            .contains(
                "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>: a mode this console"),
        "a mode of a newer API is shown as it is");
  }

  @Test
  void catalog_noneApplied_saysSoAndWhereToStart() throws Exception {
    FakeResponse page = get("/console/catalog");

    assertEquals(200, page.status());
    assertTrue(
        element(page, "p", "no-catalog")
            .contains(
                "No catalog applied yet: no event is planned and every mode is off, so this"
                    + " instance records and exports its events as it would without a catalog."),
        page.body());
    assertTrue(element(page, "p", "no-catalog").contains("<a href=\"/console/catalog/inbox\">"));
    assertFalse(page.body().contains("id=\"catalog-version\""));
    assertTrue(
        element(page, "table", "catalog-entries")
            .contains("<tr><td colspan=\"10\">No catalog applied yet.</td></tr>"));
    assertTrue(element(page, "dd", "mode-events").contains("<strong>off</strong>: recorded and"));
  }

  @Test
  void catalog_appliedWithoutEntries_saysItHasNone() throws Exception {
    backend.catalog =
        new CatalogOverview(1, "2024-05-01T09:30:00Z", "user:1", FakeBackend.POLICY_OFF, List.of());

    FakeResponse page = get("/console/catalog");

    assertTrue(
        element(page, "table", "catalog-entries")
            .contains("<tr><td colspan=\"10\">The catalog in force has no entries.</td></tr>"));
    assertFalse(page.body().contains("id=\"no-catalog\""));
  }

  private static ObservedEvent observed(String feature, String action, boolean planned) {
    return new ObservedEvent(
        feature,
        action,
        "2024-04-02",
        "2024-05-01",
        88,
        1204,
        List.of(new ObservedCount("VSCode", 1000), new ObservedCount("web", 204)),
        List.of(new ObservedCount("durationMs", 1204)),
        List.of(
            new ObservedPrivateKey("repoName", 300, false),
            new ObservedPrivateKey("lang", 9, true)),
        List.of(new ObservedCount("CODY:chat", 1204)),
        planned ? feature + "." + action : null,
        planned,
        planned
            ? null
            : "- feature: " + feature + "\n  action: " + action + "\n  status: proposed\n");
  }

  @Test
  void inbox_listsTheEventsTheCatalogDoesNotPlanEachWithAnEntryToPaste() throws Exception {
    backend.observed =
        new ObservedCatalog(
            2,
            List.of(
                observed("search", "submitted", true),
                observed("cody", "chatOpened", false),
                observed("cody", "abTestStarted", false)));

    FakeResponse page = get("/console/catalog/inbox");

    assertEquals(200, page.status(), page.body());
    assertFalse(page.body().contains("search.submitted"), "a planned event is not in the inbox");
    String first = element(page, "article", "inbox-0");
    assertTrue(first.contains("<h2 id=\"inbox-0-h\"><code>cody.chatOpened</code></h2>"), first);
    assertTrue(first.contains("<dt>First seen</dt><dd>2024-04-02</dd>"), first);
    assertTrue(first.contains("<dt>Last seen</dt><dd>2024-05-01</dd>"), first);
    assertTrue(first.contains("<dd>88 over 7 days, 1204 over 30 days</dd>"), first);
    assertTrue(first.contains("<li>VSCode (1000)</li><li>web (204)</li>"), first);
    assertTrue(first.contains("<li><code>durationMs</code> (1204)</li>"), first);
    assertTrue(
        first.contains(
            "<li><code>repoName</code> (300): <span class=\"fate-withheld\">withheld</span></li>"
                + "<li><code>lang</code> (9): <span class=\"fate-leaves\">leaves</span></li>"),
        first);
    assertTrue(first.contains("<li><code>CODY:chat</code> (1204)</li>"), first);
    assertEquals(
        "id=\"inbox-0-draft\">- feature: cody&#10;  action: chatOpened&#10;  status: proposed&#10;",
        element(page, "pre", "inbox-0-draft"));
    assertTrue(
        first.contains(
            "<button type=\"button\" class=\"copy\" data-copy=\"inbox-0-draft\" hidden>"
                + "Copy this entry</button> <span class=\"copied\" role=\"status\"></span>"),
        first);
    assertTrue(element(page, "article", "inbox-1").contains("<code>cody.abTestStarted</code>"));
    assertFalse(page.body().contains("id=\"inbox-2\""));
    assertTrue(
        page.body()
            .contains(
                "<a href=\"/console/catalog/draft.yaml\" download=\"tally-catalog-draft.yaml\""
                    + " id=\"draft-download\">Download the whole draft (YAML)</a>"));
    assertTrue(page.body().contains("<script src=\"/console/console.js\"></script>"));
    assertEquals(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        page.header("Content-Security-Policy").orElseThrow(),
        "the console's own script, and no inline one");
    assertFalse(page.body().contains("id=\"no-catalog\""));
    assertFalse(page.body().contains("id=\"inbox-empty\""));
    assertTrue(
        page.body().contains("<a href=\"/console/catalog/inbox\" aria-current=\"page\">Inbox"));
  }

  @Test
  void inbox_anEventWhoseEntryDoesNotPlanIt_namesTheEntry() throws Exception {
    ObservedEvent proposed = observed("cody", "chatOpened", false);
    backend.observed =
        new ObservedCatalog(
            2,
            List.of(
                new ObservedEvent(
                    proposed.feature(),
                    proposed.action(),
                    proposed.firstSeen(),
                    proposed.lastSeen(),
                    proposed.events7d(),
                    proposed.events30d(),
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    "cody.chat*",
                    false,
                    proposed.draftEntry())));

    String item = element(get("/console/catalog/inbox"), "article", "inbox-0");

    assertTrue(
        item.contains(
            "The entry <code>cody.chat*</code> matches it but does not plan it: it is proposed,"
                + " or past its sunset."),
        item);
    assertTrue(item.contains("<dt>Clients</dt><dd><ul class=\"keys\"></ul>none</dd>"), item);
    assertTrue(item.contains("<dt>Private-metadata keys</dt><dd><ul class=\"keys\"></ul>none"));
  }

  @Test
  void inbox_escapesNamesKeysAndTheEntryToPaste() throws Exception {
    backend.observed =
        new ObservedCatalog(
            0,
            List.of(
                new ObservedEvent(
                    "f<b>",
                    "a\"b",
                    "2024-05-01",
                    "2024-05-01",
                    1,
                    1,
                    List.of(new ObservedCount(HOSTILE, 1)),
                    List.of(new ObservedCount("<i>m</i>", 1)),
                    List.of(new ObservedPrivateKey("<u>p</u>", 1, true)),
                    List.of(),
                    null,
                    false,
                    "- feature: x\n  description: </pre><script>alert(1)</script>\n")));

    FakeResponse page = get("/console/catalog/inbox");

    assertFalse(page.body().contains("<script>alert"), page.body());
    assertFalse(page.body().contains("<b>") || page.body().contains("<i>"));
    assertFalse(page.body().contains("<u>"));
    assertTrue(page.body().contains("<code>f&lt;b&gt;.a&quot;b</code>"));
    assertTrue(
        element(page, "pre", "inbox-0-draft")
            .endsWith("description: &lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#10;"),
        "the entry to paste is text");
    assertTrue(page.body().contains("<li>&lt;script&gt;alert(1)&lt;/script&gt; (1)</li>"));
  }

  @Test
  void inbox_whenTheCatalogPlansEveryEvent_saysNothingIsInTheInbox() throws Exception {
    backend.observed = new ObservedCatalog(4, List.of(observed("search", "submitted", true)));

    FakeResponse page = get("/console/catalog/inbox");

    assertEquals(
        "id=\"inbox-empty\">Nothing in the inbox: the catalog in force plans every event recorded"
            + " here.",
        element(page, "p", "inbox-empty"));
    assertFalse(page.body().contains("<article"));
    assertFalse(page.body().contains("id=\"no-catalog\""));
  }

  @Test
  void inbox_withoutACatalogOrEvents_saysNoEventWasRecordedYet() throws Exception {
    FakeResponse page = get("/console/catalog/inbox");

    assertEquals(200, page.status());
    assertEquals(
        "id=\"inbox-empty\">Nothing in the inbox: no event was recorded here yet.",
        element(page, "p", "inbox-empty"));
    assertTrue(
        element(page, "p", "no-catalog")
            .contains("No catalog applied yet: no event is planned, so every event recorded here"));
  }

  @Test
  void inbox_asLongAsTheObservedLimit_saysOnlyTheBiggestWereRead() throws Exception {
    List<ObservedEvent> many = new ArrayList<>();
    for (int i = 0; i < GraphQlBackend.OBSERVED_READ; i++) {
      many.add(observed("feature" + i, "action", i % 2 == 0));
    }
    backend.observed = new ObservedCatalog(1, many);

    FakeResponse page = get("/console/catalog/inbox");

    assertTrue(
        page.body()
            .contains(
                "<p class=\"help\">Only the 200 event names with the most events were read.</p>"));
    assertTrue(page.body().contains("id=\"inbox-99\""));
    assertFalse(page.body().contains("id=\"inbox-100\""), "100 of the 200 are planned");
  }

  @Test
  void draft_isAYamlFileToSave() throws Exception {
    backend.catalogDraft = "# drafted\npolicy:\n  unplannedEvents: shadow\nevents: []\n";

    FakeResponse draft = get("/console/catalog/draft.yaml");

    assertEquals(200, draft.status());
    assertEquals("application/yaml; charset=utf-8", draft.getContentType().orElseThrow());
    assertEquals(
        "attachment; filename=\"tally-catalog-draft.yaml\"",
        draft.header("Content-Disposition").orElseThrow());
    assertEquals("no-store", draft.header("Cache-Control").orElseThrow());
    assertEquals("nosniff", draft.header("X-Content-Type-Options").orElseThrow());
    assertEquals("# drafted\npolicy:\n  unplannedEvents: shadow\nevents: []\n", draft.body());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/console/catalog",
        "/console/catalog/inbox",
        "/console/catalog/draft.yaml",
        "/console/catalog/counters",
        "/console/catalog/versions"
      })
  void catalogPages_withoutASession_areTheSignInForm(String path) throws Exception {
    FakeResponse page = console.send(FakeRequest.get(path));

    assertEquals(401, page.status());
    assertTrue(page.body().contains("id=\"token\""), page.body());
    assertFalse(page.body().contains("policy:"), "no draft without a session");
    assertTrue(backend.asked.isEmpty(), "the backend was not asked");
  }

  private static CatalogCounters counters() {
    return new CatalogCounters(
        2,
        new CatalogPolicy("shadow", "off", "drop"),
        List.of(
            new CounterDay(
                "2024-05-01",
                1,
                1204,
                List.of(
                    new KeyCounter("search", "submitted", "metadata", "latencyMs", "would_drop", 3),
                    new KeyCounter("cody", "chat", "private", "repo", "dropped", 88))),
            new CounterDay(
                "2024-04-30",
                0,
                1,
                List.of(new KeyCounter("cody", "chat", "private", "repo", "dropped", 1))),
            new CounterDay("2024-04-29", 0, 0, List.of())));
  }

  @Test
  void counters_showTheTotalsThenEachDaysEventsAndKeys() throws Exception {
    backend.counters = counters();

    FakeResponse page = get("/console/catalog/counters");

    assertEquals(200, page.status(), page.body());
    assertEquals(List.of(30), backend.asked, "the default range");
    assertEquals(
        "id=\"totals\">Would hold 1,205 events; held 1 event.", element(page, "p", "totals"));
    assertEquals(
        "id=\"key-totals\" class=\"counted\">"
            + "<li><code>cody.chat</code>: dropped private-metadata key <code>repo</code> from 89"
            + " events</li>\n"
            + "<li><code>search.submitted</code>: would drop metadata key <code>latencyMs</code>"
            + " from 3 events</li>\n",
        element(page, "ul", "key-totals"));
    String days = element(page, "table", "counters-per-day");
    assertTrue(
        days.contains(
            "<tr data-day=\"2024-05-01\" data-would-hold=\"1204\" data-held=\"1\">"
                + "<th scope=\"row\">2024-05-01</th>"
                + "<td>would hold 1,204 events; held 1 event</td>"
                + "<td><ul class=\"keys counted\">"
                + "<li><code>cody.chat</code>: dropped private-metadata key <code>repo</code>"
                + " from 88 events</li>"
                + "<li><code>search.submitted</code>: would drop metadata key"
                + " <code>latencyMs</code> from 3 events</li></ul></td></tr>"),
        days);
    assertTrue(
        days.contains(
            "<th scope=\"row\">2024-04-30</th><td>would hold 1 event; held 0 events</td>"
                + "<td><ul class=\"keys counted\"><li><code>cody.chat</code>: dropped"
                + " private-metadata key <code>repo</code> from 1 event</li></ul></td></tr>"),
        days);
    assertTrue(
        days.contains(
            "<th scope=\"row\">2024-04-29</th><td>would hold 0 events; held 0 events</td>"),
        days);
    assertTrue(days.indexOf("2024-05-01") < days.indexOf("2024-04-29"), "newest first");
    assertTrue(
        element(page, "dl", "policy")
            .contains("<dt>Unplanned events</dt><dd><strong>shadow</strong></dd>"));
    assertFalse(page.body().contains("id=\"counters-empty\""));
    assertFalse(page.body().contains("id=\"not-counting\""));
    assertTrue(
        page.body().contains("<a href=\"/console/catalog/counters\" aria-current=\"page\">"));
  }

  @ParameterizedTest
  @CsvSource({"7,7", "30,30", "90,30", "1,30", "seven,30", "007,30"})
  void counters_showTheLastSevenOrThirtyDays(String asked, int shown) throws Exception {
    FakeResponse page = get("/console/catalog/counters", "days", asked);

    assertEquals(200, page.status());
    assertEquals(List.of(shown), backend.asked);
    assertTrue(
        page.body()
            .contains(
                "<a href=\"/console/catalog/counters?days="
                    + shown
                    + "\" aria-current=\"true\">Last "
                    + shown
                    + " days</a>"),
        page.body());
    assertTrue(page.body().contains("Totals over the last " + shown + " days"));
  }

  @Test
  void counters_escapeEventNamesAndKeys() throws Exception {
    backend.counters =
        new CatalogCounters(
            1,
            new CatalogPolicy("shadow", "shadow", "shadow"),
            List.of(
                new CounterDay(
                    "2024-05-01",
                    0,
                    0,
                    List.of(new KeyCounter("f<b>", "a", "private", HOSTILE, "would_drop", 2)))));

    FakeResponse page = get("/console/catalog/counters");

    assertFalse(page.body().contains("<script>alert"), page.body());
    assertFalse(page.body().contains("<b>"));
    assertTrue(
        page.body()
            .contains(
                "<li><code>f&lt;b&gt;.a</code>: would drop private-metadata key"
                    + " <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> from 2 events</li>"));
  }

  @Test
  void counters_withoutACatalog_sayThereIsNothingToCount() throws Exception {
    FakeResponse page = get("/console/catalog/counters");

    assertEquals(200, page.status());
    assertTrue(
        element(page, "p", "no-catalog")
            .contains("No catalog applied yet: there is nothing to count."));
    assertEquals(
        "id=\"counters-empty\">Nothing counted over these days.",
        element(page, "p", "counters-empty"));
    assertEquals("id=\"totals\">Would hold 0 events; held 0 events.", element(page, "p", "totals"));
    assertFalse(page.body().contains("id=\"not-counting\""), "said once: no catalog");
  }

  @Test
  void counters_whenEveryModeIsOff_sayTheCatalogCountsNothing() throws Exception {
    backend.counters =
        new CatalogCounters(
            3, FakeBackend.POLICY_OFF, List.of(new CounterDay("2024-05-01", 0, 0, List.of())));

    FakeResponse page = get("/console/catalog/counters");

    assertTrue(
        element(page, "p", "not-counting")
            .contains("Every mode of the policy in force is off, so the catalog counts nothing."));
    assertTrue(page.body().contains("id=\"counters-empty\""));
  }

  private static CatalogVersion version(long number, CatalogDiff diff, String source) {
    return new CatalogVersion(number, "2024-05-01T09:30:00Z", "user:1", source, diff, 5);
  }

  private static CatalogDiff diff() {
    return new CatalogDiff(
        1,
        30,
        1204,
        List.of("cody.chat: added (approved)", "search.cancelled: removed"),
        List.of("unplannedEvents: shadow -> hold"),
        List.of(
            new EventDiff(
                "cody",
                "chat",
                "cody.chat",
                88,
                0,
                List.of(new KeyDiff("repo", 88, 0)),
                List.of(new KeyDiff("latencyMs", 0, 12)),
                List.of("id-1", "id-2")),
            new EventDiff(
                "search", "cancelled", null, 0, 40, List.of(), List.of(), List.of("id-3"))),
        88,
        40);
  }

  @Test
  void versions_showEachVersionWithWhatItChangedAndItsFile() throws Exception {
    backend.versions =
        List.of(
            version(2, diff(), "# hold what is not planned\npolicy:\n  unplannedEvents: hold\n"),
            version(
                1,
                new CatalogDiff(0, 30, 0, List.of(), List.of(), List.of(), 0, 0),
                "policy: {}\n"));

    FakeResponse page = get("/console/catalog/versions");

    assertEquals(200, page.status(), page.body());
    String second = element(page, "article", "version-2");
    assertTrue(second.contains("<h2 id=\"version-2-h\">Version 2</h2>"), second);
    assertTrue(second.contains("<dt>Applied</dt><dd>2024-05-01T09:30:00Z</dd>"), second);
    assertTrue(second.contains("<dt>Applied by</dt><dd><code>user:1</code></dd>"), second);
    assertTrue(second.contains("<dd class=\"released\">5 events</dd>"), second);
    assertTrue(
        second.contains(
            "Against version 1, over the stored events of 30 days (1,204 events replayed):"
                + " 88 events newly exported, 40 events newly held."),
        second);
    assertTrue(
        second.contains(
            "<ul class=\"entry-changes\"><li>cody.chat: added (approved)</li>"
                + "<li>search.cancelled: removed</li></ul>"),
        second);
    assertTrue(
        second.contains(
            "<ul class=\"policy-changes\"><li>unplannedEvents: shadow -&gt; hold</li></ul>"),
        second);
    assertTrue(
        second.contains(
            "<tr><th scope=\"row\"><code>cody.chat</code></th><td><code>cody.chat</code></td>"
                + "<td>88</td><td>0</td><td><ul class=\"keys\">"
                + "<li>private-metadata key <code>repo</code>: newly leaving with 88, newly"
                + " withheld from 0</li>"
                + "<li>metadata key <code>latencyMs</code>: newly leaving with 0, newly withheld"
                + " from 12</li></ul></td>"
                + "<td><ul class=\"keys\"><li><a href=\"/console/events/id-1\"><code>id-1</code>"
                + "</a></li><li><a href=\"/console/events/id-2\"><code>id-2</code></a></li></ul>"
                + "</td></tr>"),
        second);
    assertTrue(
        second.contains(
            "<tr><th scope=\"row\"><code>search.cancelled</code></th><td><code>none</code></td>"
                + "<td>0</td><td>40</td>"),
        second);
    assertTrue(
        second.contains(
            "<pre class=\"source\"># hold what is not planned&#10;policy:&#10;"
                + "  unplannedEvents: hold&#10;</pre>"),
        second);
    String first = element(page, "article", "version-1");
    assertTrue(first.contains("Against no catalog, over the stored events of 30 days"), first);
    assertTrue(first.contains("<p>No entry changed.</p>"), first);
    assertTrue(first.contains("<p>No mode changed.</p>"), first);
    assertTrue(first.contains("<tr><td colspan=\"6\">No stored event changes fate.</td></tr>"));
    assertTrue(
        page.body().indexOf("id=\"version-2\"") < page.body().indexOf("id=\"version-1\""),
        "newest first");
    assertFalse(page.body().contains("id=\"no-versions\""));
    assertFalse(page.body().contains("newest versions are shown"));
  }

  @Test
  void versions_escapeTheFileTheChangesAndWhoAppliedIt() throws Exception {
    backend.versions =
        List.of(
            new CatalogVersion(
                1,
                "2024-05-01T09:30:00Z",
                "tally-admin:<b>root</b>",
                "# </pre><script>alert(1)</script>\n",
                new CatalogDiff(
                    0,
                    30,
                    1,
                    List.of("f<i>.a: added"),
                    List.of(),
                    List.of(
                        new EventDiff(
                            "f<i>",
                            "a",
                            null,
                            1,
                            0,
                            List.of(new KeyDiff("<u>k</u>", 1, 0)),
                            List.of(),
                            List.of("\"><img src=x>"))),
                    1,
                    0),
                0));

    FakeResponse page = get("/console/catalog/versions");

    assertFalse(page.body().contains("<script>alert"), page.body());
    assertFalse(page.body().contains("<img"));
    assertFalse(page.body().contains("<b>") || page.body().contains("<i>"));
    assertFalse(page.body().contains("<u>"));
    assertTrue(page.body().contains("<code>tally-admin:&lt;b&gt;root&lt;/b&gt;</code>"));
    assertTrue(
        page.body()
            .contains(
                "<pre class=\"source\"># &lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#10;"));
    assertTrue(page.body().contains("<li>f&lt;i&gt;.a: added</li>"));
    assertTrue(
        page.body().contains("<a href=\"/console/events/&quot;&gt;&lt;img src&#61;x&gt;\">"));
  }

  @Test
  void versions_noneApplied_saysSoAndHowToApplyOne() throws Exception {
    FakeResponse page = get("/console/catalog/versions");

    assertEquals(200, page.status());
    assertTrue(
        element(page, "p", "no-versions").startsWith("id=\"no-versions\">No catalog applied yet."));
    assertTrue(element(page, "p", "no-versions").contains("TallyAdmin catalog apply FILE"));
    assertFalse(page.body().contains("<article"));
  }

  @Test
  void versions_asManyAsAreRead_sayOnlyTheNewestAreShown() throws Exception {
    List<CatalogVersion> versions = new ArrayList<>();
    for (int v = GraphQlBackend.VERSIONS_SHOWN + 5; v > 5; v--) {
      versions.add(version(v, diff(), "policy: {}\n"));
    }
    backend.versions = versions;

    FakeResponse page = get("/console/catalog/versions");

    assertTrue(page.body().contains("<p class=\"help\">The 20 newest versions are shown.</p>"));
  }

  @Test
  void catalogPages_loadOnlyTheConsolesOwnFilesAndAreNeverCached() throws Exception {
    backend.catalog = new CatalogOverview(1, "t", "user:1", FakeBackend.POLICY_OFF, List.of());
    for (String path :
        List.of("/console/catalog", "/console/catalog/counters", "/console/catalog/versions")) {
      FakeResponse page = get(path);

      assertEquals(200, page.status(), path);
      assertEquals("no-store", page.header("Cache-Control").orElseThrow());
      assertEquals(
          Responses.CONTENT_SECURITY_POLICY,
          page.header("Content-Security-Policy").orElseThrow(),
          path + ": no script");
      assertFalse(page.body().contains("<script"), path);
      assertFalse(page.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing external");
      assertTrue(page.body().contains("<nav aria-label=\"Catalog\" class=\"tabs\">"), path);
      assertTrue(page.body().contains("action=\"/console/sign-out\""), "the navigation");
    }
    FakeResponse inbox = get("/console/catalog/inbox");
    assertEquals("no-store", inbox.header("Cache-Control").orElseThrow());
    assertFalse(inbox.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing external");
    assertEquals(
        1, inbox.body().split("<script", -1).length - 1, "one script: the console's own file");

    FakeResponse script = console.send(FakeRequest.get("/console/console.js"));
    assertEquals(200, script.status());
    assertEquals("text/javascript; charset=utf-8", script.getContentType().orElseThrow());
    assertEquals("public, max-age=3600", script.header("Cache-Control").orElseThrow());
    assertEquals("nosniff", script.header("X-Content-Type-Options").orElseThrow());
    assertTrue(script.body().contains("button[data-copy]"), "the copy buttons' script");
    assertFalse(script.body().matches("(?s).*https?://.*"), "it loads nothing from elsewhere");
  }

  @Test
  void everyPage_hasTheCatalogInItsNavigation() throws Exception {
    for (String path : List.of("/console", "/console/events", "/console/export")) {
      FakeResponse page = get(path);

      assertTrue(page.body().contains("<li><a href=\"/console/catalog\">Catalog</a></li>"), path);
    }
  }

  @Test
  void aCatalogPageTheApiFails_isAnErrorPageThatSaysWhy() throws Exception {
    backend.failNext(
        new BackendException(503, "UNAVAILABLE", "the instance database is unavailable", 0));

    FakeResponse page = get("/console/catalog/versions");

    assertEquals(503, page.status());
    assertTrue(
        page.body()
            .contains(
                "<p class=\"notice\" role=\"alert\" id=\"message\">The instance database is"
                    + " unavailable.</p>"),
        page.body());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0|0 events",
        "1|1 event",
        "2|2 events",
        "1204|1,204 events",
        "1234567|1,234,567 events"
      })
  void events_areCountedInWords(long count, String words) {
    assertEquals(words, CatalogWords.events(count));
  }
}
