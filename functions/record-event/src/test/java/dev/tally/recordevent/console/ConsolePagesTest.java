package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.recordevent.console.ConsoleBackend.ActiveUsers;
import dev.tally.recordevent.console.ConsoleBackend.ClientUsage;
import dev.tally.recordevent.console.ConsoleBackend.DayEvents;
import dev.tally.recordevent.console.ConsoleBackend.EventUsage;
import dev.tally.recordevent.console.ConsoleBackend.ExportOverview;
import dev.tally.recordevent.console.ConsoleBackend.ExportRun;
import dev.tally.recordevent.console.ConsoleBackend.ExportState;
import dev.tally.recordevent.console.ConsoleBackend.ExportStatus;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvent;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvents;
import dev.tally.recordevent.console.ConsoleBackend.Page;
import dev.tally.recordevent.console.ConsoleBackend.RecordedEvent;
import dev.tally.recordevent.console.ConsoleBackend.RecordedEventSummary;
import dev.tally.recordevent.console.ConsoleBackend.SetAsideEvent;
import dev.tally.recordevent.console.ConsoleBackend.UsageReport;
import dev.tally.recordevent.console.ConsoleBackend.UserCounts;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every page of the console rendered from an in-memory backend, read as an administrator reads it:
 * the rows and numbers, what is escaped, where a form leads, and the headers that keep a page to
 * itself.
 */
class ConsolePagesTest {
  private final ConsoleHarness console = new ConsoleHarness();
  private final FakeBackend backend = console.backend;
  private final String session = console.signedIn();

  private FakeResponse get(String path) throws Exception {
    return console.get(path, session);
  }

  /** A {@code GET} of {@code path} with query parameters given as name, value, name, value... */
  private FakeResponse get(String path, String... query) throws Exception {
    FakeRequest request = FakeRequest.get(path).header("Cookie", ConsoleHarness.cookie(session));
    for (int i = 0; i < query.length; i += 2) {
      request.query(query[i], query[i + 1]);
    }
    return console.send(request);
  }

  private FakeResponse post(String path, String form) throws Exception {
    return console.post(path, form, session);
  }

  /** The HTML of the element whose {@code id} is given, up to its closing tag. */
  private static String element(FakeResponse page, String tag, String id) {
    String body = page.body();
    int start = body.indexOf("id=\"" + id + "\"");
    assertTrue(start >= 0, id + " in " + body);
    return body.substring(start, body.indexOf("</" + tag + ">", start));
  }

  private static UsageReport usage(long pending, List<ClientUsage> clients) {
    return new UsageReport(
        "2024-04-25",
        "2024-05-01",
        pending,
        List.of("search", "<script>alert(1)</script>"),
        List.of(
            new DayEvents("2024-04-30", 12, List.of(7L, 3L), 2),
            new DayEvents("2024-05-01", 4, List.of(4L, 0L), 0)),
        List.of(new EventUsage("search", "submitted", 11, 3)),
        new ActiveUsers(new UserCounts(2, 5), new UserCounts(3, 8), new UserCounts(4, 13)),
        clients);
  }

  @Test
  void usage_showsEachDaysEventsInTheChartAndTheTable() throws Exception {
    backend.usage = usage(0, List.of(new ClientUsage("VSCode", "1.90.0", 16)));

    FakeResponse page = get("/console");

    assertEquals(200, page.status(), page.body());
    assertEquals(List.of(30), backend.asked, "the default range");
    assertTrue(page.body().contains("from 2024-04-25 to 2024-05-01"), page.body());
    assertTrue(
        page.body().contains("<g class=\"bar\" data-day=\"2024-04-30\" data-events=\"12\">"));
    assertTrue(page.body().contains("<g class=\"bar\" data-day=\"2024-05-01\" data-events=\"4\">"));
    String table = element(page, "table", "events-per-day");
    assertTrue(
        table.contains(
            "<tr><th scope=\"row\">2024-04-30</th><td>12</td><td>7</td><td>3</td><td>2</td></tr>"),
        table);
    assertTrue(
        table.contains(
            "<tr><th scope=\"row\">2024-05-01</th><td>4</td><td>4</td><td>0</td><td>0</td></tr>"),
        table);
    assertTrue(
        element(page, "table", "top-events-table")
            .contains("<tr><td>search</td><td>submitted</td><td>11</td><td>3</td></tr>"));
    String active = element(page, "table", "active-users-table");
    assertTrue(active.contains("Day (2024-05-01)</th><td>2</td><td>5</td>"), active);
    assertTrue(active.contains("7 days</th><td>3</td><td>8</td>"), active);
    assertTrue(active.contains("30 days</th><td>4</td><td>13</td>"), active);
    assertTrue(
        element(page, "table", "clients-table")
            .contains("<tr><td>VSCode</td><td>1.90.0</td><td>16</td></tr>"));
    assertFalse(page.body().contains("role=\"status\""), "no events wait to be counted");
    assertTrue(page.body().contains("<a href=\"/console\" aria-current=\"page\">Usage</a>"));
  }

  @Test
  void usage_escapesWhatClientsSent() throws Exception {
    backend.usage = usage(0, List.of(new ClientUsage("\"><img src=x>", null, 1)));

    FakeResponse page = get("/console");

    assertFalse(page.body().contains("<script>alert"), "a feature's name is text");
    assertTrue(page.body().contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assertFalse(page.body().contains("<img"));
    assertTrue(
        element(page, "table", "clients-table")
            .contains("<tr><td>&quot;&gt;&lt;img src&#61;x&gt;</td><td>none</td><td>1</td></tr>"),
        element(page, "table", "clients-table"));
  }

  @Test
  void usage_saysWhenRecentEventsAreNotCountedYet() throws Exception {
    backend.usage = usage(42, List.of());

    FakeResponse page = get("/console");

    assertTrue(
        page.body()
            .contains(
                "<p class=\"notice\" role=\"status\">42 recently recorded events are not counted"
                    + " yet; reload the page to count them.</p>"),
        page.body());
    assertTrue(element(page, "table", "clients-table").contains("No events in this range."));
  }

  @Test
  void usage_withoutEvents_saysSo() throws Exception {
    FakeResponse page = get("/console");

    assertEquals(200, page.status());
    assertTrue(element(page, "table", "top-events-table").contains("No events in this range."));
    assertTrue(element(page, "table", "clients-table").contains("No events in this range."));
    assertFalse(page.body().contains("<g class=\"bar\""));
  }

  @ParameterizedTest
  @CsvSource({"7,7", "30,30", "90,90", "5,30", "365,30", "seven,30", "0090,30"})
  void usage_showsTheLastSevenThirtyOrNinetyDays(String asked, int shown) throws Exception {
    FakeResponse page =
        console.send(
            FakeRequest.get("/console")
                .query("days", asked)
                .header("Cookie", ConsoleHarness.cookie(session)));

    assertEquals(200, page.status());
    assertEquals(List.of(shown), backend.asked);
    assertTrue(
        page.body()
            .contains(
                "<a href=\"/console?days="
                    + shown
                    + "\" aria-current=\"true\">Last "
                    + shown
                    + " days</a>"),
        page.body());
    assertTrue(page.body().contains("Events per day, last " + shown + " days"));
  }

  @Test
  void recordedEvents_listsEachEventWithItsExportStateInWords() throws Exception {
    backend.recorded =
        new Page<>(
            List.of(
                new RecordedEventSummary(
                    "id-1",
                    "search.submitted",
                    "2024-05-01T10:00:00Z",
                    "VSCode",
                    ExportState.WAITING),
                new RecordedEventSummary(
                    "id-2", "<b>x</b>.y", "2024-05-01T09:00:00Z", "web", ExportState.SET_ASIDE)),
            true,
            "cursor-2");

    FakeResponse page = get("/console/events");

    assertEquals(200, page.status());
    String table = element(page, "table", "recorded-events");
    assertTrue(
        table.contains(
            "<tr><td><a href=\"/console/events/id-1\">search.submitted</a></td>"
                + "<td>2024-05-01T10:00:00Z</td><td>VSCode</td><td>waiting for export</td></tr>"),
        table);
    assertTrue(table.contains("&lt;b&gt;x&lt;/b&gt;.y</a>"), table);
    assertTrue(table.contains("<td>set aside</td>"));
    assertTrue(
        page.body()
            .contains("<a href=\"/console/events?after=cursor-2\" rel=\"next\">Older events</a>"));
    assertTrue(
        page.body().contains("<a href=\"/console/events\" aria-current=\"page\">Recorded events"));
  }

  @Test
  void recordedEvents_nextPage_startsAfterTheCursor() throws Exception {
    FakeResponse page =
        console.send(
            FakeRequest.get("/console/events")
                .query("after", "cursor-2")
                .header("Cookie", ConsoleHarness.cookie(session)));

    assertEquals(Arrays.asList("cursor-2"), backend.asked);
    assertTrue(element(page, "table", "recorded-events").contains("Nothing recorded yet."));
    assertFalse(page.body().contains("rel=\"next\""), "the last page");
    get("/console/events");
    assertEquals(Arrays.asList("cursor-2", null), backend.asked, "the first page");
  }

  private static Map<String, Object> map(Object... entries) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < entries.length; i += 2) {
      map.put((String) entries[i], entries[i + 1]);
    }
    return map;
  }

  @Test
  void event_showsTheStoredFormBesideTheExportedOneAndWhatIsWithheld() throws Exception {
    backend.events.put(
        "id-1",
        new RecordedEvent(
            "id-1",
            "exampleFeature.exampleAction",
            "2024-05-01T10:00:00Z",
            ExportState.EXPORTED,
            "2024-05-01T10:05:00Z",
            map(
                "name",
                "exampleFeature.exampleAction",
                "argument",
                map("shown", "allowed-value", "secretRepo", "github.com/acme/secret"),
                "url",
                "https://example.com/private-campaign",
                "referrer",
                null),
            map(
                "feature",
                "exampleFeature",
                "parameters",
                map("privateMetadata", map("shown", "allowed-value")))));

    FakeResponse page = get("/console/events/id-1");

    assertEquals(200, page.status(), page.body());
    assertTrue(
        page.body().contains("<title>Event exampleFeature.exampleAction · Tally console</title>"));
    assertTrue(
        page.body().contains("<dd id=\"export-state\">exported at 2024-05-01T10:05:00Z</dd>"),
        page.body());
    assertEquals(
        "id=\"withheld\"><li>private metadata \u201csecretRepo\u201d</li>"
            + "<li>marketing tracking \u201curl\u201d</li>",
        element(page, "ul", "withheld"));
    String stored = element(page, "pre", "stored-form");
    assertTrue(
        stored.contains("&quot;secretRepo&quot; : &quot;github.com/acme/secret&quot;"), stored);
    String exported = element(page, "pre", "exported-form");
    assertTrue(exported.contains("&quot;shown&quot; : &quot;allowed-value&quot;"), exported);
    assertFalse(exported.contains("secret"), exported);
    assertFalse(page.body().contains("Nothing: everything stored is exported."));
  }

  @Test
  void event_exportedWhole_saysNothingIsWithheld() throws Exception {
    backend.events.put(
        "id-2",
        new RecordedEvent(
            "id-2",
            "search.submitted",
            "2024-05-01T10:00:00Z",
            ExportState.WAITING,
            null,
            map("name", "search.submitted"),
            map("feature", "search", "marketingTracking", map("url", "https://example.com"))));

    FakeResponse page = get("/console/events/id-2");

    assertTrue(page.body().contains("<dd id=\"export-state\">waiting for export</dd>"));
    assertTrue(page.body().contains("<p>Nothing: everything stored is exported.</p>"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "gpc     | the visitor&#39;s browser sent Global Privacy Control (Sec-GPC: 1)",
        "dnt     | the visitor&#39;s browser sent Do Not Track (DNT: 1), which this instance honours",
        "opt_out | its user turned export of their own events off",
        "legacy  | it was recorded by a pre-V2 mutation (logEvent), which is never exported",
        "newer   | newer"
      })
  void event_keptOnTheInstance_saysWhy(String reason, String says) throws Exception {
    backend.events.put(
        "id-3",
        new RecordedEvent(
            "id-3",
            "search.submitted",
            "2024-05-01T10:00:00Z",
            ExportState.NOT_QUEUED,
            null,
            map("kept_local_reason", reason),
            null));

    FakeResponse page = get("/console/events/id-3");

    assertEquals(
        "id=\"exported-form\">Kept on this instance, never exported: " + says + ".",
        element(page, "p", "exported-form"));
    assertFalse(page.body().contains("id=\"withheld\""), "nothing exported to compare");
    assertTrue(page.body().contains("<dd id=\"export-state\">not queued for export</dd>"));
  }

  @Test
  void event_heldByTheCatalog_saysItLeavesOnceApproved() throws Exception {
    backend.events.put(
        "id-5",
        new RecordedEvent(
            "id-5",
            "docs.page",
            "2024-05-01T10:00:00Z",
            ExportState.NOT_QUEUED,
            null,
            map("kept_local_reason", "unplanned"),
            null));

    FakeResponse page = get("/console/events/id-5");

    assertEquals(
        "id=\"exported-form\">Held on this instance by the event catalog: no approved entry of the"
            + " catalog plans it; it is queued for export when an applied version approves it"
            + " (Catalog, Inbox).",
        element(page, "p", "exported-form"));
    assertFalse(page.body().contains("never exported"), "a held event can still leave");
  }

  @Test
  void event_notQueuedForAnotherReason_saysWhatMayHaveHappened() throws Exception {
    backend.events.put(
        "id-4",
        new RecordedEvent(
            "id-4", "a.b", "2024-05-01T10:00:00Z", ExportState.NOT_QUEUED, null, map(), null));

    assertTrue(
        element(get("/console/events/id-4"), "p", "exported-form")
            .contains("Not in the export queue: export was off for its user"));
  }

  @Test
  void event_thatWasNotRecorded_isNotFound() throws Exception {
    FakeResponse page = get("/console/events/<i>nope</i>");

    assertEquals(404, page.status());
    assertTrue(
        page.body().contains("No event with the ID &lt;i&gt;nope&lt;/i&gt; was recorded here."),
        page.body());
    assertTrue(page.body().contains("<title>Error 404 · Tally console</title>"));
  }

  @Test
  void exported_showsEachPayloadExactlyAsSent() throws Exception {
    backend.exported =
        new ExportedEvents(
            31,
            new Page<>(
                List.of(
                    new ExportedEvent(
                        "id-9",
                        "2024-05-01T10:05:00Z",
                        map("feature", "search", "action", "submitted", "note", "<b>"))),
                true,
                "cursor-9"));

    FakeResponse page = get("/console/exported");

    assertEquals(200, page.status());
    assertTrue(page.body().contains("31 exported events are kept here."));
    assertTrue(
        page.body()
            .contains("<h3 id=\"h-id-9\"><a href=\"/console/events/id-9\">search.submitted"));
    assertTrue(page.body().contains("Exported at 2024-05-01T10:05:00Z · ID <code>id-9</code>"));
    assertTrue(
        page.body()
            .contains(
                "<pre class=\"payload\">{&#10;  &quot;feature&quot; : &quot;search&quot;,&#10;"
                    + "  &quot;action&quot; : &quot;submitted&quot;,&#10;"
                    + "  &quot;note&quot; : &quot;&lt;b&gt;&quot;&#10;}</pre>"),
        page.body());
    assertTrue(
        page.body()
            .contains("<a href=\"/console/exported?after=cursor-9\" rel=\"next\">Earlier exports"));
    assertEquals(Arrays.asList((Object) null), backend.asked);
  }

  @Test
  void exported_periodChooser_asksForThePeriodChosen_andMarksIt() throws Exception {
    FakeResponse week = get("/console/exported", "days", "7");
    FakeResponse dates = get("/console/exported", "from", "2024-04-01", "to", "2024-04-30");
    FakeResponse byDefault = get("/console/exported");

    assertEquals(200, week.status());
    assertEquals(
        List.of(
            Arrays.asList(null, null, 7),
            Arrays.asList("2024-04-01", "2024-04-30", 30),
            Arrays.asList(null, null, 30)),
        backend.egressAsked);
    assertTrue(
        week.body().contains("<a href=\"/console/exported?days=7\" aria-current=\"true\">"),
        week.body());
    assertFalse(dates.body().contains("aria-current=\"true\">Last"), "dates mark no period");
    assertTrue(
        byDefault.body().contains("<a href=\"/console/exported?days=30\" aria-current=\"true\">"),
        byDefault.body());
    assertTrue(
        byDefault.body().contains("<input type=\"date\" name=\"from\" value=\"2024-04-02\""),
        "the form shows the period reported");
    assertTrue(byDefault.body().contains("Nothing is new against the period before."));
    assertTrue(byDefault.body().contains("Nothing left in this period."));
  }

  @Test
  void exported_ofOneName_isFilteredAndItsNextPageKeepsTheName() throws Exception {
    backend.exported =
        new ExportedEvents(
            2,
            new Page<>(
                List.of(
                    new ExportedEvent(
                        "id-1", "2024-05-01T10:05:00Z", map("feature", "a.b", "action", "c"))),
                true,
                "cursor-1"));

    FakeResponse first = get("/console/exported", "name", "a.b.c");
    FakeResponse next = get("/console/exported", "name", "a.b.c", "after", "cursor-1");

    assertTrue(first.body().contains("Exported events of a.b.c"), first.body());
    assertTrue(
        first
            .body()
            .contains("<a href=\"/console/exported?after=cursor-1&amp;name=a.b.c\" rel=\"next\">"),
        first.body());
    assertEquals(Arrays.asList("a.b.c", "a.b.c"), backend.exportedName);
    assertEquals(1, backend.egressAsked.size(), "a later page of the listing shows no report");
    assertFalse(next.body().contains("id=\"egress\""));
  }

  @Test
  void exported_nothingYet_saysSo() throws Exception {
    FakeResponse page = get("/console/exported");

    assertTrue(page.body().contains("<p>Nothing was exported yet"));
    assertTrue(page.body().contains(" 0 exported events are kept here."));
    assertFalse(page.body().contains("rel=\"next\""));
  }

  @Test
  void export_showsTheSwitchTheQueueTheRunsAndTheSetAsideEvents() throws Exception {
    backend.export =
        new ExportOverview(
            new ExportStatus(
                true,
                2,
                1,
                4,
                17,
                200L,
                300,
                1,
                List.of(
                    new ExportRun("2024-05-01T10:00:00Z", 812, 40, 1, 1, null, "gateway <down>"),
                    new ExportRun("2024-05-01T09:00:00Z", 95, 12, 0, 0, 5L, null))),
            1,
            List.of(
                new SetAsideEvent(
                    "id-7",
                    "2024-05-01T10:00:01Z",
                    "payload is not a valid Event: <truncated>",
                    3,
                    1,
                    null)));

    FakeResponse page = get("/console/export");

    assertEquals(200, page.status(), page.body());
    assertTrue(page.body().contains("Export is <strong>on</strong>"));
    assertTrue(
        page.body()
            .contains(
                "<input type=\"hidden\" name=\"enabled\" value=\"false\"><button type=\"submit\""
                    + " id=\"export-switch\">Turn export off</button>"));
    assertTrue(
        page.body()
            .contains(
                "2 with export on, 1 with export off. Users who turned export of their own events"
                    + " off: 4."));
    assertTrue(page.body().contains("<dd id=\"backlog\">17</dd>"));
    assertTrue(page.body().contains("<dt>Oldest waiting for</dt><dd>3 min 20 s</dd>"));
    assertTrue(page.body().contains("<dt>Exported and still kept</dt><dd>300</dd>"));
    String runs = element(page, "table", "runs");
    assertTrue(
        runs.contains(
            "<tr><td>2024-05-01T10:00:00Z</td><td>812</td><td>40</td><td>1</td><td>1</td>"
                + "<td>unknown</td><td>gateway &lt;down&gt;</td></tr>"),
        runs);
    assertTrue(
        runs.contains(
            "<tr><td>2024-05-01T09:00:00Z</td><td>95</td><td>12</td><td>0</td><td>0</td>"
                + "<td>5</td><td></td></tr>"),
        runs);
    String setAside = element(page, "table", "set-aside-table");
    assertTrue(setAside.contains("payload is not a valid Event: &lt;truncated&gt;"), setAside);
    assertTrue(setAside.contains("<input type=\"hidden\" name=\"id\" value=\"id-7\">"));
    assertTrue(page.body().contains("Events the export set aside instead of sending (1)."));
    assertTrue(page.body().contains("Retry all set-aside events"));
  }

  @Test
  void export_offAndIdle_saysSo() throws Exception {
    FakeResponse page = get("/console/export");

    assertTrue(page.body().contains("Export is <strong>off</strong>"));
    assertTrue(page.body().contains("id=\"export-switch\">Turn export on</button>"));
    assertTrue(page.body().contains("<dd>none waiting</dd>"));
    assertTrue(page.body().contains("No export has run yet."));
    assertTrue(page.body().contains("None: nothing waits for an administrator."));
    assertFalse(page.body().contains("Retry all set-aside events"));
  }

  @ParameterizedTest
  @CsvSource({"0,0 s", "45,45 s", "200,3 min 20 s", "7500,2 h 5 min", "273600,3 d 4 h"})
  void age_isADurationForPeople(long seconds, String text) {
    assertEquals(text, ExportPage.age(seconds));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void exportSwitch_turnsExportOnOrOffAndGoesBackToThePage(boolean enabled) throws Exception {
    FakeResponse changed = post("/console/export/switch", "enabled=" + enabled);

    assertEquals(303, changed.status(), changed.body());
    assertEquals("/console/export", changed.header("Location").orElseThrow());
    assertEquals(enabled, backend.exportEnabled);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "enabled=yes", "enabled=TRUE", "on=true"})
  void exportSwitch_withoutTrueOrFalse_changesNothing(String form) throws Exception {
    FakeResponse refused = post("/console/export/switch", form);

    assertEquals(400, refused.status());
    assertTrue(
        refused.body().contains("Say whether export is to be on: enabled&#61;true or false."),
        refused.body());
    assertNull(backend.exportEnabled);
  }

  @Test
  void setAside_retryAndDiscard_changeTheChosenEvents() throws Exception {
    FakeResponse retried = post("/console/export/set-aside", "id=a&action=retry&id=b");
    FakeResponse all = post("/console/export/set-aside", "all=true&action=retry");
    FakeResponse discarded = post("/console/export/set-aside", "action=discard&id=c");

    for (FakeResponse changed : List.of(retried, all, discarded)) {
      assertEquals(303, changed.status(), changed.body());
      assertEquals("/console/export#set-aside", changed.header("Location").orElseThrow());
    }
    assertEquals(List.of(List.of("a", "b")), backend.retried);
    assertEquals(1, backend.retriedAll);
    assertEquals(List.of(List.of("c")), backend.discarded);
  }

  @ParameterizedTest
  @ValueSource(strings = {"action=retry", "action=discard", "action=discard&all=true", "id=a"})
  void setAside_withoutEventsOrAnAction_changesNothing(String form) throws Exception {
    FakeResponse refused = post("/console/export/set-aside", form);

    assertEquals(400, refused.status());
    assertTrue(refused.body().contains("Choose events and retry or discard them."));
    assertTrue(backend.retried.isEmpty() && backend.discarded.isEmpty());
    assertEquals(0, backend.retriedAll);
  }

  @Test
  void setAside_formTooLarge_isRefused() throws Exception {
    FakeResponse refused =
        post("/console/export/set-aside", "action=discard&id=" + "a".repeat(Form.MAX_BYTES));

    assertEquals(413, refused.status());
    assertTrue(refused.body().contains("The form was too large."));
    assertTrue(backend.discarded.isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://evil.example", "null", ""})
  void changes_needTheConsolesOwnOrigin(String origin) throws Exception {
    FakeRequest request =
        FakeRequest.post("/console/export/switch", "enabled=false")
            .header("Cookie", ConsoleHarness.cookie(session));
    if (!origin.isEmpty()) {
      request.header("Origin", origin);
    }

    FakeResponse refused = console.send(request);

    assertEquals(403, refused.status());
    assertTrue(refused.body().contains("This change was not sent from the console&#39;s own page"));
    assertNull(backend.exportEnabled, "nothing changed");
  }

  @Test
  void pages_loadNothingFromElsewhereAndAreNeverCached() throws Exception {
    backend.usage = usage(1, List.of(new ClientUsage("VSCode", "1.90.0", 16)));
    for (String path :
        List.of("/console", "/console/events", "/console/exported", "/console/export")) {
      FakeResponse page = get(path);

      assertEquals(200, page.status(), path);
      assertEquals("text/html; charset=utf-8", page.getContentType().orElseThrow());
      assertEquals("no-store", page.header("Cache-Control").orElseThrow());
      assertEquals(
          "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
              + " frame-ancestors 'none'; base-uri 'none'",
          page.header("Content-Security-Policy").orElseThrow());
      assertEquals("DENY", page.header("X-Frame-Options").orElseThrow());
      assertEquals("nosniff", page.header("X-Content-Type-Options").orElseThrow());
      assertEquals("same-origin", page.header("Referrer-Policy").orElseThrow());
      assertFalse(page.body().contains("<script"), path + ": no script");
      assertFalse(page.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing external");
      assertTrue(page.body().contains("<link rel=\"stylesheet\" href=\"/console/console.css\">"));
      assertTrue(page.body().contains("action=\"/console/sign-out\""), "the navigation");
    }
    FakeResponse css = console.send(FakeRequest.get("/console/console.css"));
    assertEquals(200, css.status());
    assertEquals("text/css; charset=utf-8", css.getContentType().orElseThrow());
    assertEquals("public, max-age=3600", css.header("Cache-Control").orElseThrow());
    assertFalse(css.body().isEmpty());
  }

  @Test
  void unknownPages_andOtherMethods_areRefused() throws Exception {
    FakeResponse missing = get("/console/nope");
    FakeResponse put =
        console.send(
            FakeRequest.get("/console")
                .method("PUT")
                .header("Cookie", ConsoleHarness.cookie(session)));
    FakeResponse postToAPage = post("/console/export", "");

    assertEquals(404, missing.status());
    assertTrue(missing.body().contains("There is no console page at /console/nope."));
    assertEquals(405, put.status());
    assertEquals("GET, POST", put.header("Allow").orElseThrow());
    assertTrue(put.body().contains("The console answers GET and POST only."));
    assertEquals(404, postToAPage.status());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "429 | RATE_LIMITED | too many administrator requests: at most 60 a minute | 429 | 7",
        "503 | UNAVAILABLE  | the instance database is unavailable: could not read usage | 503 |",
        "500 | INTERNAL     | internal error: could not read usage (SQLState 42P01) | 500 |",
        "200 | BAD_ARGUMENT | 'days' must be 1 to 90 | 400 |"
      })
  void aPageTheApiFails_isAnErrorPageThatSaysWhy(
      int status, String code, String failure, int shown, String retryAfter) throws Exception {
    backend.failNext(new BackendException(status, code, failure, 7));

    FakeResponse page = get("/console");

    assertEquals(shown, page.status());
    assertEquals(retryAfter, page.header("Retry-After").orElse(null));
    String message = failure.replace("'", "&#39;");
    assertTrue(
        page.body()
            .contains(
                "<p class=\"notice\" role=\"alert\" id=\"message\">"
                    + Character.toUpperCase(message.charAt(0))
                    + message.substring(1)
                    + ".</p>"),
        page.body());
    assertTrue(page.body().contains("<title>Error " + shown + " · Tally console</title>"));
    assertTrue(page.header("Set-Cookie").isEmpty(), "still signed in");
  }
}
