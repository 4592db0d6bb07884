package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.functions.HttpRequest;
import dev.tally.json.Json;
import dev.tally.recordevent.console.ConsoleBackend.CatalogCounters;
import dev.tally.recordevent.console.ConsoleBackend.CatalogDiff;
import dev.tally.recordevent.console.ConsoleBackend.CatalogEntry;
import dev.tally.recordevent.console.ConsoleBackend.CatalogOverview;
import dev.tally.recordevent.console.ConsoleBackend.CatalogPolicy;
import dev.tally.recordevent.console.ConsoleBackend.CatalogPrivateKey;
import dev.tally.recordevent.console.ConsoleBackend.CatalogVersion;
import dev.tally.recordevent.console.ConsoleBackend.CounterDay;
import dev.tally.recordevent.console.ConsoleBackend.EventDiff;
import dev.tally.recordevent.console.ConsoleBackend.ExportOverview;
import dev.tally.recordevent.console.ConsoleBackend.ExportRun;
import dev.tally.recordevent.console.ConsoleBackend.ExportState;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvents;
import dev.tally.recordevent.console.ConsoleBackend.KeyCounter;
import dev.tally.recordevent.console.ConsoleBackend.KeyDiff;
import dev.tally.recordevent.console.ConsoleBackend.ObservedCatalog;
import dev.tally.recordevent.console.ConsoleBackend.ObservedCount;
import dev.tally.recordevent.console.ConsoleBackend.ObservedEvent;
import dev.tally.recordevent.console.ConsoleBackend.ObservedPrivateKey;
import dev.tally.recordevent.console.ConsoleBackend.Page;
import dev.tally.recordevent.console.ConsoleBackend.RecordedEvent;
import dev.tally.recordevent.console.ConsoleBackend.RecordedEventSummary;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import dev.tally.recordevent.console.ConsoleBackend.UsageReport;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real backend's side of the port: the query each method asks with its variables, and how an
 * answer of the API (payloads under {@code src/test/resources/console}) or its refusal comes back.
 */
class GraphQlBackendTest {
  private static final String SESSION = "s".repeat(43);

  private final Api api = new Api();
  private final GraphQlBackend backend = new GraphQlBackend(api);
  private final SignedIn session = new SignedIn(FakeRequest.get("/console"), SESSION);

  /** The API answering each query with the next answer a test gave it; keeps what it was asked. */
  private static final class Api implements GraphQlApi {
    final List<String> queries = new ArrayList<>();
    final List<Map<String, Object>> variables = new ArrayList<>();
    final List<String> sessions = new ArrayList<>();
    Answer next = Answer.DONE;
    SignIn signIn;

    @Override
    public SignIn signIn(HttpRequest request, String token, String query) {
      queries.add(query);
      return signIn;
    }

    @Override
    public Answer execute(
        HttpRequest request, String sessionId, String query, Map<String, Object> variables) {
      sessions.add(sessionId);
      queries.add(query);
      this.variables.add(variables);
      return next;
    }

    @Override
    public Answer signOut(String sessionId) {
      sessions.add(sessionId);
      return next;
    }
  }

  @SuppressWarnings("unchecked")
  private static GraphQlApi.Answer answer(String name) throws IOException {
    try (InputStream in =
        GraphQlBackendTest.class.getResourceAsStream("/console/" + name + "-answer.json")) {
      return new GraphQlApi.Answer(200, (Map<String, Object>) Json.read(in.readAllBytes()), 0);
    }
  }

  private static GraphQlApi.Answer error(int status, String code, String message) {
    return new GraphQlApi.Answer(
        status,
        Map.of("errors", List.of(Map.of("message", message, "extensions", Map.of("code", code)))),
        status == 429 ? 12 : 0);
  }

  @Test
  void usage_asksForTheRangeAndReadsEveryPartOfTheReport() throws Exception {
    api.next = answer("usage");

    UsageReport usage = backend.usage(session, 7);

    assertEquals(List.of(GraphQlBackend.USAGE_QUERY), api.queries);
    assertEquals(List.of(Map.of("days", 7)), api.variables);
    assertEquals(List.of(SESSION), api.sessions);
    assertEquals("2024-04-25", usage.from());
    assertEquals("2024-05-01", usage.to());
    assertEquals(3, usage.pendingEvents());
    assertEquals(List.of("search", "<b>cody</b>"), usage.features());
    assertEquals(
        List.of(
            new ConsoleBackend.DayEvents("2024-04-30", 12, List.of(7L, 3L), 2),
            new ConsoleBackend.DayEvents("2024-05-01", 4, List.of(4L, 0L), 0)),
        usage.days());
    assertEquals(
        new ConsoleBackend.EventUsage("search", "submitted", 11, 3), usage.topEvents().get(0));
    assertEquals(new ConsoleBackend.UserCounts(4, 13), usage.activeUsers().monthly());
    assertEquals(
        List.of(
            new ConsoleBackend.ClientUsage("VSCode", "1.90.0", 14),
            new ConsoleBackend.ClientUsage("\"><img src=x>", null, 2)),
        usage.clients());
  }

  @Test
  void export_readsTheStatusItsRunsAndTheSetAsideEvents() throws Exception {
    api.next = answer("export");

    ExportOverview export = backend.export(session);

    assertEquals(List.of(GraphQlBackend.EXPORT_QUERY), api.queries);
    assertTrue(export.status().enabled());
    assertEquals(17, export.status().backlog());
    assertEquals(7500L, export.status().oldestUnexportedSeconds());
    assertEquals(
        new ExportRun("2024-05-01T10:00:00Z", 812, 40, 1, 1, null, "gateway <down>"),
        export.status().recentRuns().get(0));
    assertEquals(5L, export.status().recentRuns().get(1).backlog());
    assertNull(export.status().recentRuns().get(1).error());
    assertEquals(1, export.setAsideCount());
    assertEquals("payload is not a valid Event: <truncated>", export.setAside().get(0).reason());
  }

  @Test
  void recordedEvents_passTheCursorAndReadTheStatesAndThePage() throws Exception {
    api.next = answer("recorded");

    Page<RecordedEventSummary> page = backend.recordedEvents(session, null);
    backend.recordedEvents(session, "cursor-4");

    assertEquals(GraphQlBackend.RECORDED_QUERY, api.queries.get(0));
    Map<String, Object> first = new HashMap<>();
    first.put("after", null);
    assertEquals(List.of(first, Map.of("after", "cursor-4")), api.variables);
    assertEquals(
        List.of(
            ExportState.WAITING,
            ExportState.SET_ASIDE,
            ExportState.EXPORTED,
            ExportState.NOT_QUEUED),
        page.nodes().stream().map(RecordedEventSummary::exportState).toList());
    assertEquals(
        new RecordedEventSummary(
            "id-2", "<b>x</b>.y", "2024-05-01T09:00:00Z", "web", ExportState.SET_ASIDE),
        page.nodes().get(1));
    assertTrue(page.hasNextPage());
    assertEquals("cursor-4", page.endCursor());
  }

  @Test
  void recordedEvent_readsTheStoredAndExportedForms() throws Exception {
    api.next = answer("event");

    RecordedEvent event = backend.recordedEvent(session, "id-1").orElseThrow();

    assertEquals(List.of(Map.of("id", "id-1")), api.variables);
    assertEquals(ExportState.EXPORTED, event.exportState());
    assertEquals("2024-05-01T10:05:00Z", event.exportedAt());
    assertEquals(
        List.of("name", "argument", "url", "referrer", "kept_local_reason"),
        new ArrayList<>(event.stored().keySet()),
        "in the order the API gave them");
    assertEquals("exampleFeature", event.exported().get("feature"));

    api.next = answer("event-kept-local");
    RecordedEvent kept = backend.recordedEvent(session, "id-5").orElseThrow();
    assertNull(kept.exported());
    assertNull(kept.exportedAt());
    assertEquals("gpc", kept.stored().get("kept_local_reason"));
  }

  @Test
  void recordedEvent_thatIsNotThere_isEmpty() {
    Map<String, Object> none = new HashMap<>();
    none.put("recordedEvent", null);
    api.next = new GraphQlApi.Answer(200, Map.of("data", Map.of("telemetry", none)), 0);

    assertTrue(backend.recordedEvent(session, "nope").isEmpty());
  }

  @Test
  void exportedEvents_readEachPayloadAsSent() throws Exception {
    api.next = answer("exported");

    ExportedEvents exported = backend.exportedEvents(session, "cursor-9", "search.submitted");

    assertEquals(GraphQlBackend.EXPORTED_QUERY, api.queries.get(0));
    assertEquals(List.of(Map.of("after", "cursor-9", "name", "search.submitted")), api.variables);
    assertEquals(31, exported.totalCount());
    assertEquals("submitted", exported.page().nodes().get(0).payload().get("action"));
    assertNull(exported.page().nodes().get(1).exportedAt());
    assertEquals(false, exported.page().hasNextPage());
  }

  @Test
  void changes_sendTheirMutationsWithTheChosenEvents() {
    backend.setExportEnabled(session, false);
    backend.retrySetAsideEvents(session, List.of("a", "b"));
    backend.retryAllSetAsideEvents(session);
    backend.discardSetAsideEvents(session, List.of("c"));

    assertEquals(
        List.of(
            GraphQlBackend.SWITCH_MUTATION,
            GraphQlBackend.RETRY_MUTATION,
            GraphQlBackend.RETRY_MUTATION,
            GraphQlBackend.DISCARD_MUTATION),
        api.queries);
    Map<String, Object> all = new HashMap<>();
    all.put("ids", null);
    assertEquals(
        Arrays.asList(
            Map.of("enabled", false),
            Map.of("ids", List.of("a", "b")),
            all,
            Map.of("ids", List.of("c"))),
        api.variables);
  }

  @Test
  void refusalsAndFailures_areThrownWithTheirStatusCodeAndMessage() {
    api.next = error(401, "UNAUTHENTICATED", "this console session was signed out");
    BackendException signedOut =
        assertThrows(BackendException.class, () -> backend.usage(session, 30));
    assertTrue(signedOut.unauthenticated());
    assertEquals("this console session was signed out", signedOut.getMessage());

    api.next = error(200, "FORBIDDEN", "exportStatus needs an access token with the site-admin");
    BackendException forbidden =
        assertThrows(BackendException.class, () -> backend.export(session));
    assertTrue(forbidden.forbidden());
    assertEquals(200, forbidden.status());

    api.next = error(429, "RATE_LIMITED", "too many administrator requests");
    BackendException limited =
        assertThrows(BackendException.class, () -> backend.setExportEnabled(session, true));
    assertEquals(429, limited.status());
    assertEquals(12, limited.retryAfterSeconds());
    assertEquals("RATE_LIMITED", limited.code());

    api.next = error(503, "UNAVAILABLE", "the instance database is unavailable");
    BackendException unavailable =
        assertThrows(BackendException.class, () -> backend.signOut(SESSION));
    assertEquals(503, unavailable.status());
  }

  @Test
  void signIn_returnsTheSessionOrThrowsWhy() {
    api.signIn = new GraphQlApi.SignIn(GraphQlApi.Answer.DONE, SESSION);
    assertEquals(SESSION, backend.signIn(FakeRequest.get("/"), "tly_token"));
    assertEquals(List.of(GraphQlBackend.SIGN_IN_QUERY), api.queries);

    api.signIn =
        new GraphQlApi.SignIn(error(401, "UNAUTHENTICATED", "the access token is not valid"), null);
    assertTrue(
        assertThrows(BackendException.class, () -> backend.signIn(FakeRequest.get("/"), "x"))
            .unauthenticated());

    api.signIn = new GraphQlApi.SignIn(GraphQlApi.Answer.DONE, null);
    BackendException noSession =
        assertThrows(BackendException.class, () -> backend.signIn(FakeRequest.get("/"), "x"));
    assertEquals(200, noSession.status(), "answered as a failed request");
    assertNull(noSession.getMessage());
  }

  @Test
  void anAnswerOfAnotherShape_namesTheField() throws Exception {
    Map<String, Object> usage = new HashMap<>(Map.of("from", 20240425));
    api.next =
        new GraphQlApi.Answer(200, Map.of("data", Map.of("telemetry", Map.of("usage", usage))), 0);

    IllegalStateException wrong =
        assertThrows(IllegalStateException.class, () -> backend.usage(session, 30));

    assertTrue(
        wrong.getMessage().startsWith("usage.eventsByDay is not an object"), wrong.getMessage());
  }

  @Test
  void catalog_readsTheVersionItsPolicyAndEachEntryWithItsVolumeOverSevenAndThirtyDays()
      throws Exception {
    api.next = answer("catalog");

    CatalogOverview catalog = backend.catalog(session);

    assertEquals(List.of(GraphQlBackend.CATALOG_QUERY), api.queries);
    assertEquals(List.of(Map.of()), api.variables);
    assertEquals(3, catalog.version());
    assertEquals("2024-05-01T09:30:00Z", catalog.appliedAt());
    assertEquals("tally-admin:ci", catalog.appliedBy());
    assertEquals(new CatalogPolicy("hold", "shadow", "drop"), catalog.policy());
    assertEquals(
        List.of(
            new CatalogEntry(
                "search",
                "submitted",
                "approved",
                null,
                "search-team",
                "A search was run",
                List.of("resultCount"),
                List.of(
                    new CatalogPrivateKey("repo", true, "public names only"),
                    new CatalogPrivateKey("query", false, null)),
                1204,
                5310,
                "2024-05-01"),
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
                null)),
        catalog.entries());
  }

  @Test
  void catalog_neverApplied_hasNoVersionNorWhoNorWhen() {
    Map<String, Object> catalog = new HashMap<>();
    catalog.put("version", 0);
    catalog.put("appliedAt", null);
    catalog.put("appliedBy", null);
    catalog.put(
        "policy",
        Map.of(
            "unplannedEvents",
            "off",
            "unplannedMetadataKeys",
            "off",
            "unplannedPrivateKeys",
            "off"));
    catalog.put("entries", List.of());
    catalog.put("lastWeek", List.of());
    api.next =
        new GraphQlApi.Answer(
            200, Map.of("data", Map.of("telemetry", Map.of("catalog", catalog))), 0);

    CatalogOverview read = backend.catalog(session);

    assertEquals(0, read.version());
    assertNull(read.appliedAt());
    assertNull(read.appliedBy());
    assertTrue(read.entries().isEmpty());
  }

  @Test
  void catalog_whoseSevenDayEntriesAreNotTheSame_namesTheField() throws Exception {
    GraphQlApi.Answer answer = answer("catalog");
    @SuppressWarnings("unchecked")
    Map<String, Object> catalog = (Map<String, Object>) answer.telemetry("catalog");
    catalog.put("lastWeek", List.of(Map.of("feature", "cody", "action", "abTest*", "events", 0)));
    api.next = answer;

    IllegalStateException wrong =
        assertThrows(IllegalStateException.class, () -> backend.catalog(session));

    assertTrue(wrong.getMessage().startsWith("catalog.entries(days: 7) has 1"), wrong.getMessage());
  }

  @Test
  void observedEvents_readEveryCountAndTheEntryToPaste() throws Exception {
    api.next = answer("catalog-observed");

    ObservedCatalog observed = backend.observedEvents(session);

    assertEquals(List.of(GraphQlBackend.OBSERVED_QUERY), api.queries);
    assertTrue(GraphQlBackend.OBSERVED_QUERY.contains("observed(days: 30, first: 200)"));
    assertEquals(2, observed.version());
    assertEquals(2, observed.events().size());
    assertTrue(observed.events().get(0).planned());
    assertEquals("search.submitted", observed.events().get(0).entry());
    assertEquals(
        new ObservedEvent(
            "cody",
            "chatOpened",
            "2024-04-20",
            "2024-04-30",
            88,
            90,
            List.of(new ObservedCount("VSCode", 80), new ObservedCount("web", 10)),
            List.of(new ObservedCount("durationMs", 90)),
            List.of(
                new ObservedPrivateKey("repoName", 30, false),
                new ObservedPrivateKey("lang", 9, true)),
            List.of(new ObservedCount("CODY:chat", 90)),
            null,
            false,
            "- feature: cody\n  action: chatOpened\n  status: proposed\n"),
        observed.events().get(1));
  }

  @Test
  void catalogDraft_readsTheFileAsItIs() {
    String draft = "# drafted by Tally\npolicy:\n  unplannedEvents: off\nevents: []\n";
    api.next =
        new GraphQlApi.Answer(
            200, Map.of("data", Map.of("telemetry", Map.of("catalog", Map.of("draft", draft)))), 0);

    assertEquals(draft, backend.catalogDraft(session));
    assertEquals(List.of(GraphQlBackend.DRAFT_QUERY), api.queries);
  }

  @Test
  void catalogCounters_askForTheRangeAndReadEachDaysKeys() throws Exception {
    api.next = answer("catalog-counters");

    CatalogCounters counters = backend.catalogCounters(session, 7);

    assertEquals(List.of(GraphQlBackend.COUNTERS_QUERY), api.queries);
    assertEquals(List.of(Map.of("days", 7)), api.variables);
    assertEquals(2, counters.version());
    assertEquals(new CatalogPolicy("shadow", "off", "drop"), counters.policy());
    assertEquals(
        List.of(
            new CounterDay(
                "2024-05-01",
                1,
                1204,
                List.of(
                    new KeyCounter("search", "submitted", "metadata", "latencyMs", "would_drop", 3),
                    new KeyCounter("cody", "chat", "private", "repo", "dropped", 88))),
            new CounterDay("2024-04-30", 0, 0, List.of())),
        counters.days());
  }

  @Test
  void catalogVersions_readEachVersionWithItsDiff() throws Exception {
    api.next = answer("catalog-versions");

    List<CatalogVersion> versions = backend.catalogVersions(session);

    assertEquals(List.of(GraphQlBackend.VERSIONS_QUERY), api.queries);
    assertTrue(GraphQlBackend.VERSIONS_QUERY.contains("versions(first: 20)"));
    assertEquals(2, versions.size());
    CatalogVersion second = versions.get(0);
    assertEquals(2, second.version());
    assertEquals("user:1", second.appliedBy());
    assertEquals("# hold\npolicy:\n  unplannedEvents: hold\n", second.source());
    assertEquals(5, second.released());
    assertEquals(
        new CatalogDiff(
            1,
            30,
            1204,
            List.of("cody.chat: added (approved)"),
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
                    List.of("0190a6d4-0000-7000-8000-000000000001")),
                new EventDiff("search", "cancelled", null, 0, 40, List.of(), List.of(), List.of())),
            88,
            40),
        second.diff());
    assertEquals(0, versions.get(1).diff().fromVersion());
    assertEquals("tally-admin:root", versions.get(1).appliedBy());
  }

  @Test
  void catalogFieldsRefused_areThrownAsTheOtherPagesAre() {
    api.next = error(200, "FORBIDDEN", "catalog needs an access token with the site-admin scope");

    BackendException forbidden =
        assertThrows(BackendException.class, () -> backend.catalogVersions(session));

    assertTrue(forbidden.forbidden());
  }

  @Test
  void aFieldAnsweredWithNothingButAnError_isThrownWithTheErrorsMessage() {
    Map<String, Object> data = new HashMap<>();
    data.put("telemetry", null);
    api.next =
        new GraphQlApi.Answer(
            200,
            Map.of(
                "data",
                data,
                "errors",
                List.of(
                    Map.of(
                        "message",
                        "The field at path '/telemetry/catalog' was declared as a non null type,"
                            + " but the code involved in retrieving data has wrongly returned a"
                            + " null value."))),
            0);

    BackendException failed = assertThrows(BackendException.class, () -> backend.catalog(session));

    assertEquals(200, failed.status(), "shown as a failed request");
    assertNull(failed.code());
    assertTrue(failed.getMessage().contains("'/telemetry/catalog'"), failed.getMessage());
  }
}
