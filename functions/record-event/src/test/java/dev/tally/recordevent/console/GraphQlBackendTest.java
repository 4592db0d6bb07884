package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.functions.HttpRequest;
import dev.tally.json.Json;
import dev.tally.recordevent.console.ConsoleBackend.ExportOverview;
import dev.tally.recordevent.console.ConsoleBackend.ExportRun;
import dev.tally.recordevent.console.ConsoleBackend.ExportState;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvents;
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

    ExportedEvents exported = backend.exportedEvents(session, "cursor-9");

    assertEquals(GraphQlBackend.EXPORTED_QUERY, api.queries.get(0));
    assertEquals(List.of(Map.of("after", "cursor-9")), api.variables);
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
}
