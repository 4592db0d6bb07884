package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the console reads and changes, in its own words: the port its pages are written against.
 * {@link GraphQlBackend} is the real one, a client of the administrator's GraphQL fields; tests
 * render the pages from an in-memory one.
 *
 * <p>Every method but {@link #signIn} runs in a console session. A refusal or a failure is a {@link
 * BackendException}: 401 when the session or its token no longer works, code {@code FORBIDDEN} when
 * the token is not an administrator's, otherwise the status and message of the failure.
 */
interface ConsoleBackend {
  /**
   * Signs in with an administrator's access token: checks it as an {@code Authorization} header's,
   * checks that it may read the administrator's fields, and opens a console session.
   *
   * @param request the console's HTTP request, for its address and tracing headers
   * @return the new session's ID, for the cookie
   */
  String signIn(HttpRequest request, String token);

  /** Ends a console session. */
  void signOut(String sessionId);

  /** What the instance recorded over the last {@code days} UTC days. */
  UsageReport usage(SignedIn session, int days);

  /**
   * Recorded events, newest first, from after the cursor {@code after} ({@code null}: the first).
   */
  Page<RecordedEventSummary> recordedEvents(SignedIn session, String after);

  /** One recorded event as stored beside what export sends of it; empty when there is none. */
  Optional<RecordedEvent> recordedEvent(SignedIn session, String id);

  /** What left the instance, newest first, from after the cursor {@code after}. */
  ExportedEvents exportedEvents(SignedIn session, String after);

  /** The export switch, the queue, the recent runs and the set-aside events. */
  ExportOverview export(SignedIn session);

  /** Turns export of the instance's events on or off. */
  void setExportEnabled(SignedIn session, boolean enabled);

  /** Queues the set-aside events {@code ids} for export again. */
  void retrySetAsideEvents(SignedIn session, List<String> ids);

  /** Queues every set-aside event for export again. */
  void retryAllSetAsideEvents(SignedIn session);

  /** Deletes the set-aside events {@code ids} for good. */
  void discardSetAsideEvents(SignedIn session, List<String> ids);

  /**
   * A request of a signed-in administrator.
   *
   * @param request the console's HTTP request, for its address and tracing headers
   * @param sessionId the console session its cookie holds
   */
  record SignedIn(HttpRequest request, String sessionId) {
    @Override
    public String toString() {
      return "SignedIn[" + request.getPath() + "]";
    }
  }

  /**
   * A page of a list, newest first.
   *
   * @param endCursor where the next page starts: pass it as {@code after}
   */
  record Page<T>(List<T> nodes, boolean hasNextPage, String endCursor) {}

  /**
   * What the instance recorded over a range of UTC days.
   *
   * @param from the first day (YYYY-MM-DD)
   * @param to the last day: today
   * @param pendingEvents recently recorded events not counted yet
   * @param features the features {@code days} are split by, most events first
   * @param days every day of the range, oldest first
   */
  record UsageReport(
      String from,
      String to,
      long pendingEvents,
      List<String> features,
      List<DayEvents> days,
      List<EventUsage> topEvents,
      ActiveUsers activeUsers,
      List<ClientUsage> clients) {}

  /**
   * One day's events.
   *
   * @param byFeature the events of each of the report's features, in their order
   * @param other the events of all other features
   */
  record DayEvents(String day, long events, List<Long> byFeature, long other) {}

  /** How often an event was recorded, and by how many distinct users. */
  record EventUsage(String feature, String action, long events, long users) {}

  /** Distinct users of the last day, 7 days and 30 days of the range. */
  record ActiveUsers(UserCounts daily, UserCounts weekly, UserCounts monthly) {}

  /** Distinct users, signed-in and anonymous apart. */
  record UserCounts(long signedIn, long anonymous) {}

  /**
   * A client's events.
   *
   * @param version {@code null} when the client sent none
   */
  record ClientUsage(String client, String version, long events) {}

  /** Where a recorded event is on its way out. */
  enum ExportState {
    WAITING("waiting for export"),
    EXPORTED("exported"),
    SET_ASIDE("set aside"),
    NOT_QUEUED("not queued for export");

    private final String text;

    ExportState(String text) {
      this.text = text;
    }

    /** The state in words. */
    String text() {
      return text;
    }
  }

  /** A recorded event in the list. */
  record RecordedEventSummary(
      String id, String name, String timestamp, String client, ExportState exportState) {}

  /**
   * A recorded event as the instance keeps it.
   *
   * @param exportedAt when the gateway acknowledged it; {@code null} when it did not
   * @param stored its {@code event_logs} row as JSON
   * @param exported what export sends of it, as JSON; {@code null} when it is not queued
   */
  record RecordedEvent(
      String id,
      String name,
      String timestamp,
      ExportState exportState,
      String exportedAt,
      Map<?, ?> stored,
      Map<?, ?> exported) {}

  /** The exported events kept on the instance: how many, and a page of them. */
  record ExportedEvents(long totalCount, Page<ExportedEvent> page) {}

  /**
   * An event that left the instance.
   *
   * @param payload the event as it was sent, as JSON
   */
  record ExportedEvent(String id, String exportedAt, Map<?, ?> payload) {}

  /** The export page's numbers: the state of export and the set-aside events. */
  record ExportOverview(ExportStatus status, long setAsideCount, List<SetAsideEvent> setAside) {}

  /**
   * The state of export from the instance.
   *
   * @param oldestUnexportedSeconds {@code null} when no event waits
   */
  record ExportStatus(
      boolean enabled,
      long usersOverridingOn,
      long usersOverridingOff,
      long usersOptedOut,
      long backlog,
      Long oldestUnexportedSeconds,
      long exportedKept,
      long setAside,
      List<ExportRun> recentRuns) {}

  /**
   * One export run.
   *
   * @param backlog events waiting after it; {@code null} when unknown
   * @param error why it failed; {@code null} when it did not
   */
  record ExportRun(
      String startedAt,
      long durationMs,
      long exported,
      long failed,
      long setAside,
      Long backlog,
      String error) {}

  /** An event the export set aside. */
  record SetAsideEvent(
      String id,
      String setAsideAt,
      String reason,
      long attempts,
      long failures,
      String lastError) {}
}
