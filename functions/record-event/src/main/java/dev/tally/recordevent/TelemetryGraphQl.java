package dev.tally.recordevent;

import dev.tally.event.EventInput;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingRequest;
import dev.tally.store.StoreException;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.ResultPath;
import graphql.scalars.datetime.DateTimeScalar;
import graphql.scalars.object.JsonScalar;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.GraphQLScalarType;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The telemetry GraphQL schema and its resolvers. The schema is parsed and wired once; {@link
 * #execute} runs one request.
 *
 * <p>A request is all or nothing: its recording fields (however many, under whatever aliases) only
 * gather their events, which are stored together in one transaction after every field ran without
 * an error. One refused event anywhere, or a refusal of the whole request (a rate limit, a database
 * failure), means nothing of it is stored, and every recording field answers with an error.
 */
final class TelemetryGraphQl {
  private static final Object NAMESPACE = new Object();

  private final EventRecorder recorder;
  private final CallerLimits limits;
  private final AdminFields admin;
  private final UsageFields usage;
  private final ExportStatusFields export;
  private final RecordedEventField recordedEvent;
  private final PrivacyFields privacy;
  private final CatalogFields catalog;
  private final LegacyFields legacy = new LegacyFields();
  private final ObservedCatalogFields observedCatalog;
  private final EgressReportFields egress;
  private final GraphQL graphQl;

  TelemetryGraphQl(
      EventRecorder recorder,
      AdminStores stores,
      CallerLimits limits,
      OperationLimits operationLimits) {
    this.recorder = recorder;
    this.limits = limits;
    AdminGate gate = new AdminGate(limits);
    this.observedCatalog = new ObservedCatalogFields(stores, gate);
    this.admin = new AdminFields(stores.queue(), gate);
    this.usage = new UsageFields(stores, gate);
    this.export = new ExportStatusFields(stores, gate);
    this.recordedEvent = new RecordedEventField(stores, gate);
    this.privacy = new PrivacyFields(stores, gate);
    this.catalog = new CatalogFields(stores, gate);
    this.egress = new EgressReportFields(stores, gate);
    GraphQLSchema schema = schema();
    this.graphQl =
        GraphQL.newGraphQL(schema)
            .defaultDataFetcherExceptionHandler(new ErrorMapper())
            .preparsedDocumentProvider(
                new DocumentCache(new DocumentPreparer(schema, operationLimits)))
            .build();
  }

  private GraphQLSchema schema() {
    String sdl;
    try (InputStream in =
        TelemetryGraphQl.class.getResourceAsStream("/graphql/telemetry.graphqls")) {
      sdl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the GraphQL schema", e);
    }
    // The two scalars by their own classes: ExtendedScalars would load all of its scalars.
    GraphQLScalarType jsonValue =
        GraphQLScalarType.newScalar(JsonScalar.INSTANCE).name("JSONValue").build();
    RuntimeWiring wiring =
        RuntimeWiring.newRuntimeWiring()
            .scalar(DateTimeScalar.INSTANCE)
            .scalar(jsonValue)
            .type("Query", type -> type.dataFetcher("telemetry", env -> NAMESPACE))
            .type(
                "Mutation",
                type ->
                    type.dataFetcher("telemetry", env -> NAMESPACE)
                        .dataFetcher("logEvent", legacy::logEvent)
                        .dataFetcher("logEvents", legacy::logEvents)
                        .dataFetcher("logUserEvent", legacy::logUserEvent))
            .type(
                "TelemetryMutation",
                type ->
                    type.dataFetcher("recordEvents", this::recordEvents)
                        .dataFetcher("recordEvent", this::recordEvent)
                        .dataFetcher("retrySetAsideEvents", admin::retrySetAsideEvents)
                        .dataFetcher("discardSetAsideEvents", admin::discardSetAsideEvents)
                        .dataFetcher("setExportEnabled", export::setExportEnabled)
                        .dataFetcher("setExportOptOut", privacy::setExportOptOut)
                        .dataFetcher("erasePersonalData", privacy::erasePersonalData)
                        .dataFetcher("applyCatalog", catalog::applyCatalog))
            .type(
                "TelemetryQuery",
                type ->
                    type.dataFetcher("exportedEvents", admin::exportedEvents)
                        .dataFetcher("setAsideEvents", admin::setAsideEvents)
                        .dataFetcher("usage", usage::usage)
                        .dataFetcher("exportStatus", export::exportStatus)
                        .dataFetcher("recordedEvent", recordedEvent::recordedEvent)
                        .dataFetcher("recordedEvents", recordedEvent::recordedEvents)
                        .dataFetcher("exportOptOut", privacy::exportOptOut)
                        .dataFetcher("catalog", catalog::catalog)
                        .dataFetcher("egressReport", egress::egressReport))
            .type(
                "UsageReport",
                type ->
                    type.dataFetcher("from", usage::from)
                        .dataFetcher("to", usage::to)
                        .dataFetcher("pendingEvents", usage::pendingEvents)
                        .dataFetcher("eventsByDay", usage::eventsByDay)
                        .dataFetcher("topEvents", usage::topEvents)
                        .dataFetcher("activeUsers", usage::activeUsers)
                        .dataFetcher("clients", usage::clients))
            .type("ExportStatus", type -> type.dataFetcher("recentRuns", export::recentRuns))
            .type(
                "EventCatalog",
                type ->
                    type.dataFetcher("version", catalog::version)
                        .dataFetcher("appliedAt", catalog::appliedAt)
                        .dataFetcher("appliedBy", catalog::appliedBy)
                        .dataFetcher("source", catalog::source)
                        .dataFetcher("policy", catalog::policy)
                        .dataFetcher("entries", catalog::entries)
                        .dataFetcher("versions", catalog::versions)
                        .dataFetcher("validate", catalog::validate)
                        .dataFetcher("diff", catalog::diff)
                        // The observed catalog's fields.
                        .dataFetcher("observed", observedCatalog::observed)
                        .dataFetcher("draft", observedCatalog::draft)
                        .dataFetcher("counters", observedCatalog::counters))
            .build();
    return new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl), wiring);
  }

  /** Runs one GraphQL request for the given caller, and stores its events if it recorded any. */
  GraphQlAnswer execute(GraphQlRequest request, RequestContext context) {
    RecordingRequest recording =
        recorder.begin(
            context.actor(), context.signals(), context.interactionId(), context.traceId());
    RequestState state = new RequestState(context, recording);
    ExecutionInput input =
        ExecutionInput.newExecutionInput()
            .query(request.query())
            .operationName(request.operationName())
            .variables(request.variables())
            .graphQLContext(builder -> builder.put(RequestState.class, state))
            .build();
    ExecutionResult result = graphQl.execute(input);
    if (!result.isDataPresent()) {
      // Refused before it ran: syntax, validation, shape, or its variables.
      return new GraphQlAnswer(400, "bad_request", result.toSpecification(), 0, 0);
    }
    if (!result.getErrors().isEmpty()) {
      Map<String, Object> body =
          notRecorded(
              result,
              state.recordingFields(),
              "not recorded: another part of this request was refused, and a request is stored"
                  + " whole or not at all");
      return new GraphQlAnswer(state.status(), state.outcome(), body, 0, state.retryAfterSeconds());
    }
    if (recording.size() > 0) {
      try {
        limits.events(context.caller(), recording.size());
        recording.commit();
      } catch (RateLimitedException | StoreException e) {
        ErrorMapper.Failure failure = ErrorMapper.failure(e);
        return new GraphQlAnswer(
            failure.status(),
            failure.outcome(),
            notRecorded(result, state.recordingFields(), failure.message()),
            0,
            e instanceof RateLimitedException limited ? limited.retryAfterSeconds() : 0);
      }
    }
    return new GraphQlAnswer(200, "ok", result.toSpecification(), recording.size(), 0);
  }

  /**
   * The response with every recording field that gathered events answered by {@code why}: its data
   * null and an error at its path.
   */
  private static Map<String, Object> notRecorded(
      ExecutionResult result, List<ResultPath> fields, String why) {
    Map<String, Object> body = new LinkedHashMap<>(result.toSpecification());
    List<Object> errors = new ArrayList<>();
    for (GraphQLError error : result.getErrors()) {
      errors.add(error.toSpecification());
    }
    Object data = body.get("data");
    for (ResultPath field : fields) {
      data = withNull(data, field.toList(), 0);
      errors.add(
          GraphqlErrorBuilder.newError()
              .message(why)
              .path(field)
              .extensions(Map.of("code", "NOT_RECORDED"))
              .build()
              .toSpecification());
    }
    body.put("errors", errors);
    body.put("data", data);
    return body;
  }

  /** A copy of {@code data} with the value at {@code path} (from {@code from} on) set to null. */
  @SuppressWarnings("unchecked")
  private static Object withNull(Object data, List<Object> path, int from) {
    if (from == path.size()) {
      return null;
    }
    if (!(data instanceof Map<?, ?> map) || !(path.get(from) instanceof String key)) {
      return data;
    }
    Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) map);
    if (copy.containsKey(key)) {
      copy.put(key, withNull(copy.get(key), path, from + 1));
    }
    return copy;
  }

  private Object recordEvents(DataFetchingEnvironment env) {
    List<Map<String, Object>> events = env.getArgument("events");
    return record(env, events);
  }

  private Object recordEvent(DataFetchingEnvironment env) {
    Map<String, Object> event = env.getArgument("event");
    return record(env, List.of(event));
  }

  private Object record(DataFetchingEnvironment env, List<Map<String, Object>> events) {
    RequestState state = env.getGraphQlContext().get(RequestState.class);
    // Counted before anything is converted: a request cannot make the server work on more.
    RecordingRequest recording = state.recordingFor(events.size());
    List<EventInput> inputs = new ArrayList<>(events.size());
    for (Map<String, Object> event : events) {
      inputs.add(EventInputs.from(event));
    }
    recording.add(inputs);
    state.gathered(env.getExecutionStepInfo().getPath());
    return EmptyResponse.VALUE;
  }
}
