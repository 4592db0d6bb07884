package dev.tally.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.event.EventInput;
import dev.tally.event.InvalidEventException;
import dev.tally.legacy.LegacyEventInput;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A request records the legacy events of one anonymous visitor at most, however many name one with
 * {@code userCookieID}: the first one named, or else the request's own (its header).
 */
@ExtendWith(PostgresExtension.class)
class OneVisitorPerRequestTest {
  private final TestDatabase db;
  private final EventRecorder recorder;

  OneVisitorPerRequestTest(TestDatabase db) {
    this.db = db;
    this.recorder = TestRecorders.over(db);
  }

  @BeforeEach
  void reset() {
    db.execute("TRUNCATE event_logs, telemetry_events_export_queue");
  }

  @Test
  void withoutAHeader_theFirstCookieIdIsTheVisitorOfEveryLegacyEventOfTheRequest() {
    RecordingRequest request = recorder.begin(Actor.unknown(), null, null);

    request.addLegacy(List.of(event("first", null), event("second", " visitor-a ")));
    request.addLegacy(List.of(event("third", "visitor-a"), event("fourth", "")));
    request.commit();

    assertEquals(
        List.of("first:visitor-a", "second:visitor-a", "third:visitor-a", "fourth:visitor-a"),
        storedVisitors());
  }

  @Test
  void aCookieIdOfAnotherVisitor_refusesTheBatchNamingTheEventAndTheField() {
    RecordingRequest request = recorder.begin(Actor.unknown(), null, null);

    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () ->
                request.addLegacy(
                    List.of(
                        event("a", "visitor-a"),
                        event("b", "visitor-a"),
                        event("c", "visitor-b"))));

    assertTrue(
        e.getMessage().startsWith("events[2]: 'userCookieID' names another visitor"),
        e.getMessage());
    assertEquals(0, request.size(), "a refused batch adds nothing");
  }

  @Test
  void aLaterBatchNamingAnotherVisitor_isRefused_andTheFirstVisitorStays() {
    RecordingRequest request = recorder.begin(Actor.unknown(), null, null);
    request.addLegacy(List.of(event("a", "visitor-a")));

    InvalidEventException e =
        assertThrows(
            InvalidEventException.class, () -> request.addLegacy(List.of(event("b", "visitor-b"))));

    assertTrue(e.getMessage().startsWith("'userCookieID' names another visitor"), e.getMessage());
    request.addLegacy(List.of(event("c", "visitor-a")));
    request.commit();
    assertEquals(List.of("a:visitor-a", "c:visitor-a"), storedVisitors());
  }

  @Test
  void theFirstCookieId_winsOverTheHeader_asInTheOriginalServer() {
    RecordingRequest request = recorder.begin(Actor.anonymous("from-header"), null, null);

    request.addLegacy(List.of(event("none", null), event("cookie", "from-cookie")));
    assertThrows(
        InvalidEventException.class, () -> request.addLegacy(List.of(event("other", "another"))));
    request.commit();

    assertEquals(List.of("none:from-cookie", "cookie:from-cookie"), storedVisitors());
  }

  @Test
  void aCookieIdOfControlCharactersOnly_namesNobody() {
    RecordingRequest request = recorder.begin(Actor.unknown(), null, null);

    request.addLegacy(List.of(event("controls", "\u0001\u0002 ")));
    request.commit();

    assertEquals(List.of("controls:unknown"), storedVisitors());
  }

  @Test
  void withoutACookieId_theHeadersVisitorIsTheRequests() {
    RecordingRequest request = recorder.begin(Actor.anonymous("from-header"), null, null);

    request.addLegacy(List.of(event("none", null), event("blank", " ")));
    request.commit();

    assertEquals(List.of("none:from-header", "blank:from-header"), storedVisitors());
  }

  @Test
  void aSignedInRequest_isItsUsers_whateverCookieIdsItsEventsName() {
    RecordingRequest request = recorder.begin(Actor.user(42), null, null);

    request.addLegacy(List.of(event("a", "visitor-a"), event("b", "visitor-b")));
    request.commit();

    assertEquals(2, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 42"));
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM event_logs WHERE anonymous_user_id LIKE 'visitor-%'"),
        "the cookie IDs are not stored");
  }

  @Test
  void theV2EventsOfTheRequest_stayTheRequestsOwn() {
    RecordingRequest request = recorder.begin(Actor.unknown(), null, null);

    request.addLegacy(List.of(event("legacy", "visitor-a")));
    request.add(List.of(EventInput.backend("a.b", "c.d", EventInput.Parameters.of(0, Map.of()))));
    request.commit();

    assertEquals(List.of("legacy:visitor-a", "a.b.c.d:unknown"), storedVisitors());
  }

  /** Each stored event as {@code name:anonymous_user_id}, in the order they were recorded. */
  private List<String> storedVisitors() {
    String joined =
        db.queryString(
            "SELECT string_agg(name || ':' || anonymous_user_id, ',' ORDER BY event_id)"
                + " FROM event_logs");
    return List.of(joined.split(","));
  }

  private static LegacyEventInput event(String name, String userCookieId) {
    return new LegacyEventInput(
        name, userCookieId, "WEB", Map.of(), null, null, null, null, null, null);
  }
}
