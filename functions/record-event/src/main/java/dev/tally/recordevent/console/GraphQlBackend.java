package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import dev.tally.egress.EgressReport;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The console's backend over the administrator's GraphQL fields ({@link GraphQlApi}): each method
 * one query or mutation, its answer read into the port's records, a refusal or failure thrown as a
 * {@link BackendException}.
 */
final class GraphQlBackend implements ConsoleBackend {
  /** What sign-in runs to learn that the token may read the administrator's fields. */
  static final String SIGN_IN_QUERY =
      "query ConsoleSignIn { telemetry { exportStatus { enabled } } }";

  static final String USAGE_QUERY =
      """
      query ConsoleUsage($days: Int!) { telemetry { usage(days: $days) {
        from to pendingEvents
        eventsByDay(features: 5) { features days { day events other byFeature { feature events } } }
        topEvents(first: 20) { feature action events users }
        activeUsers { daily { signedIn anonymous } weekly { signedIn anonymous }
          monthly { signedIn anonymous } }
        clients(first: 20) { client version events } } } }
      """;

  static final String EXPORT_QUERY =
      """
      query ConsoleExport { telemetry {
        exportStatus { enabled usersOverridingOn usersOverridingOff usersOptedOut backlog
          oldestUnexportedSeconds exportedKept setAside
          recentRuns(first: 20) { startedAt durationMs exported failed setAside backlog error } }
        setAsideEvents(first: 50) { totalCount
          nodes { id setAsideAt reason attempts failures lastError } } } }
      """;

  static final String RECORDED_QUERY =
      """
      query ConsoleRecorded($after: String) { telemetry {
        recordedEvents(first: 50, after: $after) {
          nodes { id name timestamp client exportState } pageInfo { hasNextPage endCursor } } } }
      """;

  static final String EXPORTED_QUERY =
      """
      query ConsoleExported($after: String, $name: String) { telemetry {
        exportedEvents(first: 25, after: $after, name: $name) {
          totalCount nodes { id exportedAt payload } pageInfo { hasNextPage endCursor } } } }
      """;

  static final String EGRESS_QUERY =
      """
      query ConsoleEgress($from: String, $to: String, $days: Int) { telemetry {
        egressReport(from: $from, to: $to, days: $days) {
          period { from to } previous { from to } events bytes
          names { feature action events bytes catalogVersions isNew
            fields { field leftEvents withheldEvents newlyLeft } } } } }
      """;

  static final String EVENT_QUERY =
      """
      query ConsoleEvent($id: ID!) { telemetry { recordedEvent(id: $id) {
        id name timestamp exportState exportedAt stored exported } } }
      """;

  static final String SWITCH_MUTATION =
      """
      mutation ConsoleSwitch($enabled: Boolean!) { telemetry {
        setExportEnabled(enabled: $enabled) { enabled } } }
      """;

  static final String RETRY_MUTATION =
      "mutation ConsoleRetry($ids: [ID!]) { telemetry { retrySetAsideEvents(ids: $ids) { count } } }";

  static final String DISCARD_MUTATION =
      "mutation ConsoleDiscard($ids: [ID!]!) { telemetry {"
          + " discardSetAsideEvents(ids: $ids) { count } } }";

  /** How many applied versions the versions page shows, newest first. */
  static final int VERSIONS_SHOWN = 20;

  /** How many observed event names the inbox reads, most events first. */
  static final int OBSERVED_READ = 200;

  /**
   * The catalog in force; its entries' volume over 30 days, and again over 7 days (an alias: the
   * same entries in the same order).
   */
  static final String CATALOG_QUERY =
      """
      query ConsoleCatalog { telemetry { catalog {
        version appliedAt appliedBy
        policy { unplannedEvents unplannedMetadataKeys unplannedPrivateKeys }
        entries(days: 30) { feature action status sunset owner description metadataKeys
          privateKeys { key export justification } events lastSeen }
        lastWeek: entries(days: 7) { feature action events } } } }
      """;

  static final String OBSERVED_QUERY =
      """
      query ConsoleCatalogObserved { telemetry { catalog { version
        observed(days: 30, first: %d) { feature action firstSeen lastSeen events7d events30d
          clients { name events } metadataKeys { name events }
          privateKeys { key events leaves } billing { name events }
          entry planned draftEntry } } } }
      """
          .formatted(OBSERVED_READ);

  static final String DRAFT_QUERY =
      "query ConsoleCatalogDraft { telemetry { catalog { draft(days: 30) } } }";

  static final String COUNTERS_QUERY =
      """
      query ConsoleCatalogCounters($days: Int!) { telemetry { catalog { version
        policy { unplannedEvents unplannedMetadataKeys unplannedPrivateKeys }
        counters(days: $days) { day held wouldHold
          keys { feature action kind key outcome events } } } } }
      """;

  static final String VERSIONS_QUERY =
      """
      query ConsoleCatalogVersions { telemetry { catalog { versions(first: %d) {
        version appliedAt appliedBy source released
        diff { fromVersion days eventsReplayed entryChanges policyChanges newlyExported newlyHeld
          events { feature action entry newlyExported newlyHeld
            privateKeys { key newlyLeaving newlyWithheld }
            metadataKeys { key newlyLeaving newlyWithheld } sample } } } } } }
      """
          .formatted(VERSIONS_SHOWN);

  private final GraphQlApi api;

  GraphQlBackend(GraphQlApi api) {
    this.api = api;
  }

  @Override
  public String signIn(HttpRequest request, String token) {
    GraphQlApi.SignIn signIn = api.signIn(request, token, SIGN_IN_QUERY);
    GraphQlApi.Answer answer = signIn.answer();
    if (answer.status() != 200 || answer.errorCode() != null || signIn.sessionId() == null) {
      throw refusal(answer);
    }
    return signIn.sessionId();
  }

  @Override
  public void signOut(String sessionId) {
    GraphQlApi.Answer ended = api.signOut(sessionId);
    if (ended.status() != 200) {
      throw refusal(ended);
    }
  }

  @Override
  public UsageReport usage(SignedIn session, int days) {
    JsonFields usage = ask(session, USAGE_QUERY, Map.of("days", days), "usage");
    JsonFields byDay = usage.object("eventsByDay");
    List<DayEvents> dayEvents = new ArrayList<>();
    for (JsonFields day : byDay.objects("days")) {
      List<Long> byFeature = new ArrayList<>();
      for (JsonFields feature : day.objects("byFeature")) {
        byFeature.add(feature.number("events"));
      }
      dayEvents.add(
          new DayEvents(day.string("day"), day.number("events"), byFeature, day.number("other")));
    }
    List<EventUsage> topEvents = new ArrayList<>();
    for (JsonFields event : usage.objects("topEvents")) {
      topEvents.add(
          new EventUsage(
              event.string("feature"),
              event.string("action"),
              event.number("events"),
              event.number("users")));
    }
    JsonFields active = usage.object("activeUsers");
    List<ClientUsage> clients = new ArrayList<>();
    for (JsonFields client : usage.objects("clients")) {
      clients.add(
          new ClientUsage(
              client.string("client"), client.optionalString("version"), client.number("events")));
    }
    return new UsageReport(
        usage.string("from"),
        usage.string("to"),
        usage.number("pendingEvents"),
        byDay.strings("features"),
        dayEvents,
        topEvents,
        new ActiveUsers(
            userCounts(active.object("daily")),
            userCounts(active.object("weekly")),
            userCounts(active.object("monthly"))),
        clients);
  }

  private static UserCounts userCounts(JsonFields counts) {
    return new UserCounts(counts.number("signedIn"), counts.number("anonymous"));
  }

  @Override
  public Page<RecordedEventSummary> recordedEvents(SignedIn session, String after) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("after", after);
    JsonFields connection = ask(session, RECORDED_QUERY, variables, "recordedEvents");
    List<RecordedEventSummary> events = new ArrayList<>();
    for (JsonFields node : connection.objects("nodes")) {
      events.add(
          new RecordedEventSummary(
              node.string("id"),
              node.string("name"),
              node.string("timestamp"),
              node.string("client"),
              exportState(node.string("exportState"))));
    }
    return page(events, connection);
  }

  @Override
  public Optional<RecordedEvent> recordedEvent(SignedIn session, String id) {
    GraphQlApi.Answer answer = answer(session, EVENT_QUERY, Map.of("id", id));
    Object found = answer.telemetry("recordedEvent");
    if (found == null) {
      return Optional.empty();
    }
    JsonFields event = JsonFields.of(found, "recordedEvent");
    if (event.json("stored") == null) {
      throw new IllegalStateException("recordedEvent.stored is null");
    }
    return Optional.of(
        new RecordedEvent(
            event.string("id"),
            event.string("name"),
            event.string("timestamp"),
            exportState(event.string("exportState")),
            event.optionalString("exportedAt"),
            event.json("stored"),
            event.json("exported")));
  }

  @Override
  public ExportedEvents exportedEvents(SignedIn session, String after, String name) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("after", after);
    variables.put("name", name);
    JsonFields connection = ask(session, EXPORTED_QUERY, variables, "exportedEvents");
    List<ExportedEvent> events = new ArrayList<>();
    for (JsonFields node : connection.objects("nodes")) {
      if (node.json("payload") == null) {
        throw new IllegalStateException("exportedEvents.nodes.payload is null");
      }
      events.add(
          new ExportedEvent(
              node.string("id"), node.optionalString("exportedAt"), node.json("payload")));
    }
    return new ExportedEvents(connection.number("totalCount"), page(events, connection));
  }

  @Override
  public EgressReport egressReport(SignedIn session, String from, String to, int days) {
    Map<String, Object> variables = new HashMap<>();
    if (from != null || to != null) {
      variables.put("from", from);
      variables.put("to", to);
    } else {
      variables.put("days", days);
    }
    JsonFields report = ask(session, EGRESS_QUERY, variables, "egressReport");
    List<EgressReport.Name> names = new ArrayList<>();
    for (JsonFields name : report.objects("names")) {
      List<EgressReport.Field> fields = new ArrayList<>();
      for (JsonFields field : name.objects("fields")) {
        fields.add(
            new EgressReport.Field(
                field.string("field"),
                field.number("leftEvents"),
                field.number("withheldEvents"),
                field.bool("newlyLeft")));
      }
      names.add(
          new EgressReport.Name(
              name.string("feature"),
              name.string("action"),
              name.number("events"),
              name.number("bytes"),
              name.numbers("catalogVersions").stream().map(Long::intValue).toList(),
              name.bool("isNew"),
              fields));
    }
    return new EgressReport(
        period(report.object("period")),
        period(report.object("previous")),
        report.number("events"),
        report.number("bytes"),
        names);
  }

  private static EgressReport.Period period(JsonFields period) {
    return new EgressReport.Period(
        LocalDate.parse(period.string("from")), LocalDate.parse(period.string("to")));
  }

  @Override
  public ExportOverview export(SignedIn session) {
    GraphQlApi.Answer answer = answer(session, EXPORT_QUERY, Map.of());
    JsonFields status = JsonFields.of(answer.telemetry("exportStatus"), "exportStatus");
    JsonFields setAside = JsonFields.of(answer.telemetry("setAsideEvents"), "setAsideEvents");
    List<ExportRun> runs = new ArrayList<>();
    for (JsonFields run : status.objects("recentRuns")) {
      runs.add(
          new ExportRun(
              run.string("startedAt"),
              run.number("durationMs"),
              run.number("exported"),
              run.number("failed"),
              run.number("setAside"),
              run.optionalNumber("backlog"),
              run.optionalString("error")));
    }
    List<SetAsideEvent> events = new ArrayList<>();
    for (JsonFields node : setAside.objects("nodes")) {
      events.add(
          new SetAsideEvent(
              node.string("id"),
              node.string("setAsideAt"),
              node.string("reason"),
              node.number("attempts"),
              node.number("failures"),
              node.optionalString("lastError")));
    }
    return new ExportOverview(
        new ExportStatus(
            status.bool("enabled"),
            status.number("usersOverridingOn"),
            status.number("usersOverridingOff"),
            status.number("usersOptedOut"),
            status.number("backlog"),
            status.optionalNumber("oldestUnexportedSeconds"),
            status.number("exportedKept"),
            status.number("setAside"),
            runs),
        setAside.number("totalCount"),
        events);
  }

  @Override
  public void setExportEnabled(SignedIn session, boolean enabled) {
    answer(session, SWITCH_MUTATION, Map.of("enabled", enabled));
  }

  @Override
  public void retrySetAsideEvents(SignedIn session, List<String> ids) {
    answer(session, RETRY_MUTATION, Map.of("ids", ids));
  }

  @Override
  public void retryAllSetAsideEvents(SignedIn session) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("ids", null);
    answer(session, RETRY_MUTATION, variables);
  }

  @Override
  public void discardSetAsideEvents(SignedIn session, List<String> ids) {
    answer(session, DISCARD_MUTATION, Map.of("ids", ids));
  }

  @Override
  public CatalogOverview catalog(SignedIn session) {
    JsonFields catalog = ask(session, CATALOG_QUERY, Map.of(), "catalog");
    List<JsonFields> entries = catalog.objects("entries");
    List<JsonFields> lastWeek = catalog.objects("lastWeek");
    if (lastWeek.size() != entries.size()) {
      throw new IllegalStateException(
          "catalog.entries(days: 7) has "
              + lastWeek.size()
              + " entries, catalog.entries "
              + entries.size());
    }
    List<CatalogEntry> read = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      JsonFields entry = entries.get(i);
      JsonFields week = lastWeek.get(i);
      if (!week.string("feature").equals(entry.string("feature"))
          || !week.string("action").equals(entry.string("action"))) {
        throw new IllegalStateException(
            "catalog.entries(days: 7) lists other entries than catalog.entries at " + i);
      }
      List<CatalogPrivateKey> privateKeys = new ArrayList<>();
      for (JsonFields key : entry.objects("privateKeys")) {
        privateKeys.add(
            new CatalogPrivateKey(
                key.string("key"), key.bool("export"), key.optionalString("justification")));
      }
      read.add(
          new CatalogEntry(
              entry.string("feature"),
              entry.string("action"),
              entry.string("status"),
              entry.optionalString("sunset"),
              entry.optionalString("owner"),
              entry.optionalString("description"),
              entry.strings("metadataKeys"),
              privateKeys,
              week.number("events"),
              entry.number("events"),
              entry.optionalString("lastSeen")));
    }
    return new CatalogOverview(
        catalog.number("version"),
        catalog.optionalString("appliedAt"),
        catalog.optionalString("appliedBy"),
        policy(catalog.object("policy")),
        read);
  }

  @Override
  public ObservedCatalog observedEvents(SignedIn session) {
    JsonFields catalog = ask(session, OBSERVED_QUERY, Map.of(), "catalog");
    List<ObservedEvent> events = new ArrayList<>();
    for (JsonFields event : catalog.objects("observed")) {
      List<ObservedPrivateKey> privateKeys = new ArrayList<>();
      for (JsonFields key : event.objects("privateKeys")) {
        privateKeys.add(
            new ObservedPrivateKey(key.string("key"), key.number("events"), key.bool("leaves")));
      }
      events.add(
          new ObservedEvent(
              event.string("feature"),
              event.string("action"),
              event.string("firstSeen"),
              event.string("lastSeen"),
              event.number("events7d"),
              event.number("events30d"),
              counts(event, "clients"),
              counts(event, "metadataKeys"),
              privateKeys,
              counts(event, "billing"),
              event.optionalString("entry"),
              event.bool("planned"),
              event.optionalString("draftEntry")));
    }
    return new ObservedCatalog(catalog.number("version"), events);
  }

  private static List<ObservedCount> counts(JsonFields event, String field) {
    List<ObservedCount> counts = new ArrayList<>();
    for (JsonFields count : event.objects(field)) {
      counts.add(new ObservedCount(count.string("name"), count.number("events")));
    }
    return counts;
  }

  @Override
  public String catalogDraft(SignedIn session) {
    return ask(session, DRAFT_QUERY, Map.of(), "catalog").string("draft");
  }

  @Override
  public CatalogCounters catalogCounters(SignedIn session, int days) {
    JsonFields catalog = ask(session, COUNTERS_QUERY, Map.of("days", days), "catalog");
    List<CounterDay> counted = new ArrayList<>();
    for (JsonFields day : catalog.objects("counters")) {
      List<KeyCounter> keys = new ArrayList<>();
      for (JsonFields key : day.objects("keys")) {
        keys.add(
            new KeyCounter(
                key.string("feature"),
                key.string("action"),
                key.string("kind"),
                key.string("key"),
                key.string("outcome"),
                key.number("events")));
      }
      counted.add(
          new CounterDay(day.string("day"), day.number("held"), day.number("wouldHold"), keys));
    }
    return new CatalogCounters(
        catalog.number("version"), policy(catalog.object("policy")), counted);
  }

  @Override
  public List<CatalogVersion> catalogVersions(SignedIn session) {
    JsonFields catalog = ask(session, VERSIONS_QUERY, Map.of(), "catalog");
    List<CatalogVersion> versions = new ArrayList<>();
    for (JsonFields version : catalog.objects("versions")) {
      versions.add(
          new CatalogVersion(
              version.number("version"),
              version.string("appliedAt"),
              version.string("appliedBy"),
              version.string("source"),
              diff(version.object("diff")),
              version.number("released")));
    }
    return versions;
  }

  private static CatalogDiff diff(JsonFields diff) {
    List<EventDiff> events = new ArrayList<>();
    for (JsonFields event : diff.objects("events")) {
      events.add(
          new EventDiff(
              event.string("feature"),
              event.string("action"),
              event.optionalString("entry"),
              event.number("newlyExported"),
              event.number("newlyHeld"),
              keyDiffs(event, "privateKeys"),
              keyDiffs(event, "metadataKeys"),
              event.strings("sample")));
    }
    return new CatalogDiff(
        diff.number("fromVersion"),
        diff.number("days"),
        diff.number("eventsReplayed"),
        diff.strings("entryChanges"),
        diff.strings("policyChanges"),
        events,
        diff.number("newlyExported"),
        diff.number("newlyHeld"));
  }

  private static List<KeyDiff> keyDiffs(JsonFields event, String field) {
    List<KeyDiff> keys = new ArrayList<>();
    for (JsonFields key : event.objects(field)) {
      keys.add(
          new KeyDiff(key.string("key"), key.number("newlyLeaving"), key.number("newlyWithheld")));
    }
    return keys;
  }

  private static CatalogPolicy policy(JsonFields policy) {
    return new CatalogPolicy(
        policy.string("unplannedEvents"),
        policy.string("unplannedMetadataKeys"),
        policy.string("unplannedPrivateKeys"));
  }

  /**
   * The object at {@code data.telemetry.<field>} of the answer to {@code query}. When it is not
   * there and the answer says why (an error without a code, such as a field the API could not
   * resolve), that error is thrown.
   */
  private JsonFields ask(
      SignedIn session, String query, Map<String, Object> variables, String field) {
    GraphQlApi.Answer answer = answer(session, query, variables);
    Object value = answer.telemetry(field);
    if (value == null && answer.errorMessage() != null) {
      throw refusal(answer);
    }
    return JsonFields.of(value, field);
  }

  /** The answer to {@code query}; a refusal or failure is thrown. */
  private GraphQlApi.Answer answer(SignedIn session, String query, Map<String, Object> variables) {
    GraphQlApi.Answer answer =
        api.execute(session.request(), session.sessionId(), query, variables);
    if (answer.status() != 200 || answer.errorCode() != null) {
      throw refusal(answer);
    }
    return answer;
  }

  private static BackendException refusal(GraphQlApi.Answer answer) {
    return new BackendException(
        answer.status(), answer.errorCode(), answer.errorMessage(), answer.retryAfterSeconds());
  }

  private static <T> Page<T> page(List<T> nodes, JsonFields connection) {
    JsonFields pageInfo = connection.object("pageInfo");
    return new Page<>(nodes, pageInfo.bool("hasNextPage"), pageInfo.optionalString("endCursor"));
  }

  private static ExportState exportState(String state) {
    for (ExportState known : ExportState.values()) {
      if (known.name().equals(state)) {
        return known;
      }
    }
    return ExportState.NOT_QUEUED;
  }
}
