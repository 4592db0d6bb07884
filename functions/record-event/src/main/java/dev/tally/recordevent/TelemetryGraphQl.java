package dev.tally.recordevent;

import com.google.protobuf.util.JsonFormat;
import dev.tally.event.EventInput;
import dev.tally.event.InvalidEventException;
import dev.tally.json.Json;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.record.EventRecorder;
import dev.tally.record.LimitExceededException;
import dev.tally.store.ExportQueue;
import dev.tally.store.StoreException;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.execution.preparsed.PreparsedDocumentProvider;
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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The telemetry GraphQL schema and its resolvers. The schema is parsed and wired once; {@link
 * #execute} runs one request.
 */
final class TelemetryGraphQl {
  /** Largest page of {@code exportedEvents}. */
  static final int MAX_PAGE = 1000;

  private static final Object NAMESPACE = new Object();
  private static final Map<String, Object> EMPTY_RESPONSE = Collections.emptyMap();

  private final EventRecorder recorder;
  private final ExportQueue queue;
  private final GraphQL graphQl;

  TelemetryGraphQl(EventRecorder recorder, ExportQueue queue) {
    this.recorder = recorder;
    this.queue = queue;
    this.graphQl =
        GraphQL.newGraphQL(schema())
            .defaultDataFetcherExceptionHandler(new ErrorMapper())
            .preparsedDocumentProvider(new DocumentCache())
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
            .type("Mutation", type -> type.dataFetcher("telemetry", env -> NAMESPACE))
            .type(
                "TelemetryMutation",
                type ->
                    type.dataFetcher("recordEvents", this::recordEvents)
                        .dataFetcher("recordEvent", this::recordEvent))
            .type(
                "TelemetryQuery", type -> type.dataFetcher("exportedEvents", this::exportedEvents))
            .build();
    return new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl), wiring);
  }

  /** Runs one GraphQL request for the given caller. */
  ExecutionResult execute(
      String query,
      String operationName,
      Map<String, Object> variables,
      RequestContext context,
      GraphQlOutcome outcome) {
    ExecutionInput input =
        ExecutionInput.newExecutionInput()
            .query(query)
            .operationName(operationName)
            .variables(variables == null ? Map.of() : variables)
            .graphQLContext(
                builder ->
                    builder.put(RequestContext.class, context).put(GraphQlOutcome.class, outcome))
            .build();
    return graphQl.execute(input);
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
    RequestContext context = env.getGraphQlContext().get(RequestContext.class);
    List<EventInput> inputs = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      try {
        inputs.add(toEventInput(events.get(i)));
      } catch (InvalidEventException e) {
        throw events.size() == 1
            ? e
            : new InvalidEventException("events[" + i + "]: " + e.getMessage());
      }
    }
    recorder.record(inputs, context.actor(), context.interactionId(), context.traceId());
    env.getGraphQlContext().<GraphQlOutcome>get(GraphQlOutcome.class).recorded(inputs.size());
    return EMPTY_RESPONSE;
  }

  @SuppressWarnings("unchecked")
  private static EventInput toEventInput(Map<String, Object> event) {
    Map<String, Object> source = (Map<String, Object>) event.get("source");
    Map<String, Object> parameters = (Map<String, Object>) event.get("parameters");
    Map<String, Object> metadata = new LinkedHashMap<>();
    List<Map<String, Object>> entries = (List<Map<String, Object>>) parameters.get("metadata");
    if (entries != null) {
      for (Map<String, Object> entry : entries) {
        metadata.put((String) entry.get("key"), entry.get("value"));
      }
    }
    Map<String, Object> billing = (Map<String, Object>) parameters.get("billingMetadata");
    OffsetDateTime timestamp = (OffsetDateTime) event.get("timestamp");
    return new EventInput(
        (String) event.get("feature"),
        (String) event.get("action"),
        timestamp == null ? null : timestamp.toInstant(),
        new EventInput.Client((String) source.get("client"), (String) source.get("clientVersion")),
        new EventInput.Parameters(
            (Integer) parameters.get("version"),
            metadata,
            parameters.get("privateMetadata"),
            billing == null
                ? null
                : new EventInput.Billing(
                    (String) billing.get("product"), (String) billing.get("category")),
            (String) parameters.get("interactionID")),
        marketingTracking((Map<String, Object>) event.get("marketingTracking")));
  }

  private static EventMarketingTracking marketingTracking(Map<String, Object> input) {
    if (input == null) {
      return null;
    }
    EventMarketingTracking.Builder tracking = EventMarketingTracking.newBuilder();
    setIfPresent(input, "url", tracking::setUrl);
    setIfPresent(input, "firstSourceURL", tracking::setFirstSourceUrl);
    setIfPresent(input, "cohortID", tracking::setCohortId);
    setIfPresent(input, "referrer", tracking::setReferrer);
    setIfPresent(input, "lastSourceURL", tracking::setLastSourceUrl);
    setIfPresent(input, "deviceSessionID", tracking::setDeviceSessionId);
    setIfPresent(input, "sessionReferrer", tracking::setSessionReferrer);
    setIfPresent(input, "sessionFirstURL", tracking::setSessionFirstUrl);
    return tracking.build();
  }

  private static void setIfPresent(
      Map<String, Object> input, String key, java.util.function.Consumer<String> setter) {
    Object value = input.get(key);
    if (value != null) {
      setter.accept((String) value);
    }
  }

  private Object exportedEvents(DataFetchingEnvironment env) {
    RequestContext context = env.getGraphQlContext().get(RequestContext.class);
    if (!context.siteAdmin()) {
      throw new NotPermittedException(
          "exportedEvents needs an access token with the site-admin scope");
    }
    Integer first = env.getArgument("first");
    if (first == null || first < 0 || first > MAX_PAGE) {
      throw new IllegalArgumentException(
          "'first' must be between 0 and " + MAX_PAGE + ", got " + first);
    }
    ExportQueue.ExportedPage page = queue.listExported(first, env.getArgument("after"));
    List<Map<String, Object>> nodes = new ArrayList<>(page.nodes().size());
    for (ExportQueue.ExportedEvent event : page.nodes()) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", event.id().toString());
      node.put("exportedAt", event.exportedAt().atOffset(ZoneOffset.UTC));
      node.put("payload", payload(event));
      nodes.add(node);
    }
    Map<String, Object> pageInfo = new LinkedHashMap<>();
    pageInfo.put("hasNextPage", page.hasNextPage());
    pageInfo.put("endCursor", page.endCursor());
    Map<String, Object> connection = new LinkedHashMap<>();
    connection.put("nodes", nodes);
    connection.put("totalCount", (int) Math.min(Integer.MAX_VALUE, page.totalCount()));
    connection.put("pageInfo", pageInfo);
    return connection;
  }

  private static Object payload(ExportQueue.ExportedEvent event) {
    try {
      return Json.read(EventJson.PRINTER.print(event.event()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot print exported event " + event.id(), e);
    }
  }

  /** The protobuf JSON printer, loaded with the first {@code exportedEvents} query, not before. */
  private static final class EventJson {
    static final JsonFormat.Printer PRINTER = JsonFormat.printer();
  }

  /**
   * Parsed and validated documents by their text: clients send the same few queries, which then
   * skip parsing and validation. Only valid documents of at most {@value #MAX_QUERY_CHARS}
   * characters are kept, at most {@value #MAX_ENTRIES} of them, the least recently used leaving
   * first.
   */
  static final class DocumentCache implements PreparsedDocumentProvider {
    static final int MAX_ENTRIES = 128;
    static final int MAX_QUERY_CHARS = 4096;

    private final Map<String, PreparsedDocumentEntry> entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, PreparsedDocumentEntry> eldest) {
            return size() > MAX_ENTRIES;
          }
        };

    @Override
    public CompletableFuture<PreparsedDocumentEntry> getDocumentAsync(
        ExecutionInput input, Function<ExecutionInput, PreparsedDocumentEntry> parseAndValidate) {
      String query = input.getQuery();
      PreparsedDocumentEntry entry;
      synchronized (entries) {
        entry = entries.get(query);
      }
      if (entry == null) {
        entry = parseAndValidate.apply(input);
        if (!entry.hasErrors() && query.length() <= MAX_QUERY_CHARS) {
          synchronized (entries) {
            entries.put(query, entry);
          }
        }
      }
      return CompletableFuture.completedFuture(entry);
    }

    int size() {
      synchronized (entries) {
        return entries.size();
      }
    }
  }

  /** A query the caller may not run. */
  static final class NotPermittedException extends RuntimeException {
    NotPermittedException(String message) {
      super(message);
    }
  }

  /** Turns resolver exceptions into GraphQL errors that say what to fix. */
  private static final class ErrorMapper implements DataFetcherExceptionHandler {
    @Override
    public CompletableFuture<DataFetcherExceptionHandlerResult> handleException(
        graphql.execution.DataFetcherExceptionHandlerParameters parameters) {
      Throwable exception = parameters.getException();
      GraphQlOutcome outcome =
          parameters.getDataFetchingEnvironment().getGraphQlContext().get(GraphQlOutcome.class);
      String message;
      String code;
      if (exception instanceof InvalidEventException) {
        message = exception.getMessage();
        code = "INVALID_EVENT";
        outcome.failed(200, "invalid");
      } else if (exception instanceof LimitExceededException limit) {
        message = limit.getMessage() + " (limit set by " + limit.setting() + ")";
        code = "LIMIT_EXCEEDED";
        outcome.failed(413, "too_large");
      } else if (exception instanceof NotPermittedException) {
        message = exception.getMessage();
        code = "FORBIDDEN";
        outcome.failed(200, "forbidden");
      } else if (exception instanceof IllegalArgumentException) {
        message = exception.getMessage();
        code = "BAD_ARGUMENT";
        outcome.failed(200, "invalid");
      } else if (exception instanceof StoreException) {
        message = "the events could not be stored and nothing was recorded; retry later";
        code = "UNAVAILABLE";
        outcome.failed(503, "unavailable");
        dev.tally.log.JsonLog.error("database unavailable", exception, Map.of());
      } else {
        message = "internal error; nothing was recorded";
        code = "INTERNAL";
        outcome.failed(500, "error");
        dev.tally.log.JsonLog.error("unexpected error in a resolver", exception, Map.of());
      }
      GraphQLError error =
          GraphqlErrorBuilder.newError(parameters.getDataFetchingEnvironment())
              .message(message)
              .extensions(Map.of("code", code))
              .build();
      return CompletableFuture.completedFuture(
          DataFetcherExceptionHandlerResult.newResult().error(error).build());
    }
  }
}
