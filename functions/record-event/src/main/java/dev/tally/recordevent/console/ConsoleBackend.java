package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import dev.tally.egress.EgressReport;
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

  /**
   * What left the instance, newest first, from after the cursor {@code after}; only the events
   * named {@code name} ({@code feature.action}) unless it is {@code null}.
   */
  ExportedEvents exportedEvents(SignedIn session, String after, String name);

  /**
   * What left the instance over a period, from the egress ledger, beside the period before it: the
   * days {@code from} to {@code to} (YYYY-MM-DD) when both are given, else the last {@code days}.
   */
  EgressReport egressReport(SignedIn session, String from, String to, int days);

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

  /** The event catalog in force: its version, its policy, its entries with their volume. */
  CatalogOverview catalog(SignedIn session);

  /** The event names recorded on the instance, most events first, each planned or not. */
  ObservedCatalog observedEvents(SignedIn session);

  /**
   * The observed catalog as a draft catalog file (YAML): the entries in force, and a proposed entry
   * for every observed event they do not plan.
   */
  String catalogDraft(SignedIn session);

  /** The catalog's counters per UTC day over the last {@code days} days, newest first. */
  CatalogCounters catalogCounters(SignedIn session, int days);

  /** The applied versions of the catalog, newest first, each with its diff and file. */
  List<CatalogVersion> catalogVersions(SignedIn session);

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

  /**
   * The catalog in force.
   *
   * @param version 0 when no catalog was ever applied
   * @param appliedAt when it was applied; {@code null} for version 0
   * @param appliedBy who applied it; {@code null} for version 0
   * @param entries in the file's order
   */
  record CatalogOverview(
      long version,
      String appliedAt,
      String appliedBy,
      CatalogPolicy policy,
      List<CatalogEntry> entries) {}

  /** The catalog's modes: {@code off}, {@code shadow}, and {@code hold} or {@code drop}. */
  record CatalogPolicy(
      String unplannedEvents, String unplannedMetadataKeys, String unplannedPrivateKeys) {}

  /**
   * An entry of the catalog in force with its observed volume.
   *
   * @param action the action, or a pattern in which {@code *} stands for any characters
   * @param status {@code proposed}, {@code approved} or {@code deprecated}
   * @param sunset the first day a deprecated entry no longer plans its events, or {@code null}
   * @param events7d the events it matched over the last 7 days
   * @param events30d the events it matched over the last 30 days
   * @param lastSeen the last UTC day an event it matches was recorded, or {@code null}
   */
  record CatalogEntry(
      String feature,
      String action,
      String status,
      String sunset,
      String owner,
      String description,
      List<String> metadataKeys,
      List<CatalogPrivateKey> privateKeys,
      long events7d,
      long events30d,
      String lastSeen) {}

  /** A private-metadata key of an entry: whether it leaves, and why. */
  record CatalogPrivateKey(String key, boolean export, String justification) {}

  /**
   * The event names observed in the recorded events, beside the version in force.
   *
   * @param version the version in force; 0 when none was applied
   * @param events most events first
   */
  record ObservedCatalog(long version, List<ObservedEvent> events) {}

  /**
   * An event name seen in the recorded events: never values, only names and counts.
   *
   * @param firstSeen the first UTC day one was recorded
   * @param lastSeen the last UTC day one was recorded
   * @param entry the entry in force that matches it, or {@code null}
   * @param planned whether the catalog in force plans it
   * @param draftEntry a catalog entry for it, ready to paste (YAML), when it is not planned
   */
  record ObservedEvent(
      String feature,
      String action,
      String firstSeen,
      String lastSeen,
      long events7d,
      long events30d,
      List<ObservedCount> clients,
      List<ObservedCount> metadataKeys,
      List<ObservedPrivateKey> privateKeys,
      List<ObservedCount> billing,
      String entry,
      boolean planned,
      String draftEntry) {}

  /** A name and how many events carried it. */
  record ObservedCount(String name, long events) {}

  /** A private-metadata key seen, with the events that carried it and whether it leaves. */
  record ObservedPrivateKey(String key, long events, boolean leaves) {}

  /**
   * The catalog's counters beside the policy that makes them.
   *
   * @param days every day of the range, newest first
   */
  record CatalogCounters(long version, CatalogPolicy policy, List<CounterDay> days) {}

  /**
   * One UTC day's counters.
   *
   * @param held events held back
   * @param wouldHold events the catalog would have held (shadow)
   * @param keys keys dropped from exported copies, or that would have been
   */
  record CounterDay(String day, long held, long wouldHold, List<KeyCounter> keys) {}

  /**
   * How many events of one name had one key dropped, or would have.
   *
   * @param kind {@code metadata} or {@code private}
   * @param outcome {@code dropped} or {@code would_drop}
   */
  record KeyCounter(
      String feature, String action, String kind, String key, String outcome, long events) {}

  /**
   * An applied version of the catalog.
   *
   * @param source the file as it was applied
   * @param diff the replay preview against the version before it, when it was applied
   * @param released held events it queued for export
   */
  record CatalogVersion(
      long version,
      String appliedAt,
      String appliedBy,
      String source,
      CatalogDiff diff,
      long released) {}

  /**
   * The replay preview of a catalog against the version before it.
   *
   * @param fromVersion the version compared with; 0 for none
   * @param days the days of stored events replayed
   * @param eventsReplayed the stored events replayed
   * @param entryChanges entries added, removed or changed, as {@code feature.action: what changed}
   * @param policyChanges modes changed, as {@code name: from -> to}
   * @param events per event name whose fate changes
   */
  record CatalogDiff(
      long fromVersion,
      long days,
      long eventsReplayed,
      List<String> entryChanges,
      List<String> policyChanges,
      List<EventDiff> events,
      long newlyExported,
      long newlyHeld) {}

  /**
   * How a version changes the fate of one event name's stored events.
   *
   * @param entry the version's entry that matches it, or {@code null}
   * @param sample IDs of affected stored events
   */
  record EventDiff(
      String feature,
      String action,
      String entry,
      long newlyExported,
      long newlyHeld,
      List<KeyDiff> privateKeys,
      List<KeyDiff> metadataKeys,
      List<String> sample) {}

  /** How a version changes one key's fate: the events it newly leaves with, or is withheld from. */
  record KeyDiff(String key, long newlyLeaving, long newlyWithheld) {}
}
