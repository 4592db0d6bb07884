package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import dev.tally.egress.EgressReport;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The console's backend in memory: access tokens and the sessions they open, and what each page
 * reads, set by a test; the changes the console asks for are kept for the test to check. It refuses
 * as the real one does: 401 for a token or session that does not work, {@code FORBIDDEN} for a
 * token that is not an administrator's.
 */
final class FakeBackend implements ConsoleBackend {
  /** The policy of an instance that never applied a catalog. */
  static final CatalogPolicy POLICY_OFF = new CatalogPolicy("off", "off", "off");

  private final Map<String, Boolean> tokens = new HashMap<>();
  private final Map<String, String> sessions = new LinkedHashMap<>();
  private final Map<String, String> ended = new HashMap<>();
  private BackendException failure;

  UsageReport usage = emptyUsage();
  Page<RecordedEventSummary> recorded = new Page<>(List.of(), false, null);
  final Map<String, RecordedEvent> events = new HashMap<>();
  ExportedEvents exported = new ExportedEvents(0, new Page<>(List.of(), false, null));
  ExportOverview export = exportOverview(false, List.of());
  CatalogOverview catalog = new CatalogOverview(0, null, null, POLICY_OFF, List.of());
  ObservedCatalog observed = new ObservedCatalog(0, List.of());
  String catalogDraft = "policy:\n  unplannedEvents: off\nevents: []\n";
  CatalogCounters counters = new CatalogCounters(0, POLICY_OFF, List.of());
  List<CatalogVersion> versions = List.of();
  EgressReport egress =
      new EgressReport(
          new EgressReport.Period(LocalDate.parse("2024-04-02"), LocalDate.parse("2024-05-01")),
          new EgressReport.Period(LocalDate.parse("2024-03-03"), LocalDate.parse("2024-04-01")),
          0,
          0,
          List.of());

  /** The periods the egress report was asked for: from, to, days. */
  final List<List<Object>> egressAsked = new ArrayList<>();

  /** The names the exported events were filtered by ({@code null}: none). */
  final List<String> exportedName = new ArrayList<>();

  /** What the pages asked: {@code days} of the usage and counters, {@code after} of the lists. */
  final List<Object> asked = new ArrayList<>();

  Boolean exportEnabled;
  final List<List<String>> retried = new ArrayList<>();
  int retriedAll;
  final List<List<String>> discarded = new ArrayList<>();
  final List<String> signedOut = new ArrayList<>();

  /** An access token that signs in; {@code admin} whether it has the site-admin scope. */
  FakeBackend token(String token, boolean admin) {
    tokens.put(token, admin);
    return this;
  }

  /** A session open for {@code token}, as a sign-in would open it; returns its ID. */
  String session(String token) {
    String id = newSessionId();
    sessions.put(id, token);
    return id;
  }

  /** Revokes {@code token}: its sessions stop working. */
  void revoke(String token) {
    tokens.remove(token);
    sessions.forEach(
        (id, of) -> {
          if (of.equals(token)) {
            ended.put(id, "the access token this console session was opened with was revoked");
          }
        });
  }

  /** The next request of any kind fails with {@code failure}. */
  void failNext(BackendException failure) {
    this.failure = failure;
  }

  /** Sessions opened, by sign-ins and by tests. */
  int sessionsOpened() {
    return sessions.size();
  }

  boolean isOpen(String sessionId) {
    return sessions.containsKey(sessionId) && !ended.containsKey(sessionId);
  }

  @Override
  public String signIn(HttpRequest request, String token) {
    failIfTold();
    Boolean admin = tokens.get(token);
    if (admin == null) {
      throw new BackendException(401, "UNAUTHENTICATED", "the access token is not valid", 0);
    }
    if (!admin) {
      throw forbidden();
    }
    return session(token);
  }

  @Override
  public void signOut(String sessionId) {
    failIfTold();
    signedOut.add(sessionId);
    if (sessions.containsKey(sessionId)) {
      ended.putIfAbsent(sessionId, "this console session was signed out");
    }
  }

  @Override
  public UsageReport usage(SignedIn session, int days) {
    check(session);
    asked.add(days);
    return usage;
  }

  @Override
  public Page<RecordedEventSummary> recordedEvents(SignedIn session, String after) {
    check(session);
    asked.add(after);
    return recorded;
  }

  @Override
  public Optional<RecordedEvent> recordedEvent(SignedIn session, String id) {
    check(session);
    return Optional.ofNullable(events.get(id));
  }

  @Override
  public ExportedEvents exportedEvents(SignedIn session, String after, String name) {
    check(session);
    asked.add(after);
    exportedName.add(name);
    return exported;
  }

  @Override
  public EgressReport egressReport(SignedIn session, String from, String to, int days) {
    check(session);
    egressAsked.add(Arrays.asList(from, to, days));
    return egress;
  }

  @Override
  public ExportOverview export(SignedIn session) {
    check(session);
    return export;
  }

  @Override
  public void setExportEnabled(SignedIn session, boolean enabled) {
    check(session);
    exportEnabled = enabled;
  }

  @Override
  public void retrySetAsideEvents(SignedIn session, List<String> ids) {
    check(session);
    retried.add(ids);
  }

  @Override
  public void retryAllSetAsideEvents(SignedIn session) {
    check(session);
    retriedAll++;
  }

  @Override
  public void discardSetAsideEvents(SignedIn session, List<String> ids) {
    check(session);
    discarded.add(ids);
  }

  @Override
  public CatalogOverview catalog(SignedIn session) {
    check(session);
    return catalog;
  }

  @Override
  public ObservedCatalog observedEvents(SignedIn session) {
    check(session);
    return observed;
  }

  @Override
  public String catalogDraft(SignedIn session) {
    check(session);
    return catalogDraft;
  }

  @Override
  public CatalogCounters catalogCounters(SignedIn session, int days) {
    check(session);
    asked.add(days);
    return counters;
  }

  @Override
  public List<CatalogVersion> catalogVersions(SignedIn session) {
    check(session);
    return versions;
  }

  private void check(SignedIn session) {
    failIfTold();
    String token = sessions.get(session.sessionId());
    if (token == null) {
      throw new BackendException(
          401, "UNAUTHENTICATED", "this console session is not known here", 0);
    }
    if (ended.containsKey(session.sessionId())) {
      throw new BackendException(401, "UNAUTHENTICATED", ended.get(session.sessionId()), 0);
    }
    if (!tokens.get(token)) {
      throw forbidden();
    }
  }

  private void failIfTold() {
    BackendException failing = failure;
    failure = null;
    if (failing != null) {
      throw failing;
    }
  }

  private static BackendException forbidden() {
    return new BackendException(
        200, "FORBIDDEN", "exportStatus needs an access token with the site-admin scope", 0);
  }

  private String newSessionId() {
    String count = String.valueOf(sessions.size() + 1);
    return "s".repeat(43 - count.length()) + count;
  }

  static UsageReport emptyUsage() {
    UserCounts none = new UserCounts(0, 0);
    return new UsageReport(
        "2024-04-02",
        "2024-05-01",
        0,
        List.of(),
        List.of(),
        List.of(),
        new ActiveUsers(none, none, none),
        List.of());
  }

  static ExportOverview exportOverview(boolean enabled, List<SetAsideEvent> setAside) {
    return new ExportOverview(
        new ExportStatus(enabled, 0, 0, 0, 0, null, 0, setAside.size(), List.of()),
        setAside.size(),
        setAside);
  }
}
