package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
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
      query ConsoleExported($after: String) { telemetry {
        exportedEvents(first: 25, after: $after) {
          totalCount nodes { id exportedAt payload } pageInfo { hasNextPage endCursor } } } }
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
  public ExportedEvents exportedEvents(SignedIn session, String after) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("after", after);
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

  /** The object at {@code data.telemetry.<field>} of the answer to {@code query}. */
  private JsonFields ask(
      SignedIn session, String query, Map<String, Object> variables, String field) {
    return JsonFields.of(answer(session, query, variables).telemetry(field), field);
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
