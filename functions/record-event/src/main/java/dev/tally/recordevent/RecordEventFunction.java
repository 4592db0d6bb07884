package dev.tally.recordevent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.event.Actor;
import dev.tally.instance.Lazy;
import dev.tally.instance.RequestBodies;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import dev.tally.store.AccessTokens;
import dev.tally.store.StoreException;
import graphql.ExecutionResult;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The record-event HTTP function: GraphQL over HTTP ({@code POST} JSON with {@code query}, {@code
 * variables} and {@code operationName}) on any path, such as {@code /.api/graphql}.
 *
 * <p>Entry point: {@code dev.tally.recordevent.RecordEventFunction}.
 */
public final class RecordEventFunction implements HttpFunction {
  static final String ANONYMOUS_UID_HEADER = "X-Sourcegraph-Actor-Anonymous-UID";
  static final String INTERACTION_ID_HEADER = "X-Sourcegraph-Interaction-ID";

  private static final String ALLOWED_HEADERS =
      "Authorization, Content-Type, X-Requested-With, X-Sourcegraph-Client, "
          + ANONYMOUS_UID_HEADER
          + ", "
          + INTERACTION_ID_HEADER
          + ", traceparent";

  private final RecordEventConfig config;
  private final Supplier<RecordEventService> service;

  /** Called by the Functions Framework: reads the configuration; connects on first use. */
  public RecordEventFunction() {
    this(RecordEventConfig.fromEnv(System.getenv()));
  }

  private RecordEventFunction(RecordEventConfig config) {
    this(
        config,
        new Lazy<>(() -> RecordEventService.create(config))
            .warmUpInBackground(
                RecordEventService::warmUpDatabase,
                RecordEventService::warmUpGraphQl,
                RecordEventService::warmUpEvents));
    JsonLog.installAsJulHandler();
  }

  RecordEventFunction(RecordEventConfig config, Supplier<RecordEventService> service) {
    this.config = config;
    this.service = service;
  }

  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    long start = System.nanoTime();
    Map<String, Object> log = new LinkedHashMap<>();
    log.put("method", request.getMethod());
    int status;
    try {
      status = handle(request, response, log);
    } catch (StoreException e) {
      JsonLog.error("database unavailable", e, Map.of());
      status =
          error(
              response,
              503,
              "the instance database is unavailable and nothing was recorded; retry later");
      log.put("outcome", "unavailable");
    }
    log.put("status", status);
    log.put("latencyMs", (System.nanoTime() - start) / 1_000_000.0);
    log.putIfAbsent("events", 0);
    JsonLog.info("record-event request", log);
  }

  private int handle(HttpRequest request, HttpResponse response, Map<String, Object> log)
      throws IOException {
    Optional<String> origin = request.getFirstHeader("Origin");
    if (origin.isPresent() && config.allowsOrigin(origin.get())) {
      response.appendHeader("Access-Control-Allow-Origin", origin.get());
      response.appendHeader("Vary", "Origin");
      response.appendHeader("Access-Control-Allow-Credentials", "true");
    }
    String method = request.getMethod().toUpperCase(Locale.ROOT);
    if (method.equals("OPTIONS")) {
      log.put("outcome", "preflight");
      if (origin.isPresent() && config.allowsOrigin(origin.get())) {
        response.appendHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
        response.appendHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
        response.appendHeader("Access-Control-Max-Age", "3600");
      }
      response.setStatusCode(204);
      return 204;
    }
    if (!method.equals("POST")) {
      response.appendHeader("Allow", "POST, OPTIONS");
      log.put("outcome", "bad_request");
      return error(response, 405, "send GraphQL requests with POST");
    }
    Optional<String> contentType = request.getContentType();
    if (contentType.isPresent()
        && !contentType.get().toLowerCase(Locale.ROOT).startsWith("application/json")) {
      log.put("outcome", "bad_request");
      return error(response, 415, "the request body must be JSON (Content-Type: application/json)");
    }

    byte[] body =
        RequestBodies.readAtMost(
            request.getInputStream(), request.getContentLength(), config.maxRequestBytes());
    if (body == null) {
      log.put("outcome", "too_large");
      return error(
          response,
          413,
          "the request body may be at most "
              + config.maxRequestBytes()
              + " bytes (limit set by "
              + RecordEventConfig.MAX_REQUEST_BYTES
              + "); send fewer events per request");
    }
    GraphQlRequest graphQlRequest;
    try {
      graphQlRequest = GraphQlRequest.parse(body);
    } catch (BadRequestException e) {
      log.put("outcome", "bad_request");
      return error(response, 400, e.getMessage());
    }
    log.put("operation", graphQlRequest.operationName());

    RequestContext context;
    try {
      context = authenticate(request);
    } catch (UnauthenticatedException e) {
      log.put("outcome", "unauthenticated");
      response.appendHeader("WWW-Authenticate", "token");
      return error(response, 401, e.getMessage());
    }

    GraphQlOutcome outcome = new GraphQlOutcome();
    ExecutionResult result =
        service
            .get()
            .graphQl()
            .execute(
                graphQlRequest.query(),
                graphQlRequest.operationName(),
                graphQlRequest.variables(),
                context,
                outcome);
    int status = outcome.status();
    String outcomeName = outcome.outcome();
    if (!result.isDataPresent()) {
      // Syntax or validation error: the request never ran.
      status = 400;
      outcomeName = "bad_request";
    }
    log.put("outcome", result.getErrors().isEmpty() ? "ok" : outcomeName);
    log.put("events", outcome.eventsRecorded());
    write(response, status, result.toSpecification());
    return status;
  }

  private RequestContext authenticate(HttpRequest request) {
    String interactionId = request.getFirstHeader(INTERACTION_ID_HEADER).orElse(null);
    String traceId =
        request.getFirstHeader("traceparent").map(RecordEventFunction::traceId).orElse(null);
    Optional<String> authorization = request.getFirstHeader("Authorization");
    if (authorization.isPresent()) {
      String token = bearerToken(authorization.get());
      AccessTokens.Check check = service.get().tokens().authenticate(token);
      if (check instanceof AccessTokens.Check.Valid valid) {
        return new RequestContext(
            Actor.user(valid.userId()), valid.isSiteAdmin(), interactionId, traceId);
      }
      AccessTokens.Check.Reason reason = ((AccessTokens.Check.Rejected) check).reason();
      throw new UnauthenticatedException(
          switch (reason) {
            case UNKNOWN -> "the access token is not valid";
            case EXPIRED -> "the access token has expired";
            case REVOKED -> "the access token has been revoked";
          });
    }
    if (!config.allowAnonymous()) {
      throw new UnauthenticatedException(
          "this instance does not record anonymous events; send 'Authorization: token <access"
              + " token>'");
    }
    Actor actor =
        request
            .getFirstHeader(ANONYMOUS_UID_HEADER)
            .filter(uid -> !uid.isBlank())
            .map(uid -> Actor.anonymous(uid.trim()))
            .orElse(Actor.unknown());
    return new RequestContext(actor, false, interactionId, traceId);
  }

  private static String bearerToken(String authorization) {
    String[] parts = authorization.trim().split("\\s+", 2);
    if (parts.length == 2) {
      String scheme = parts[0].toLowerCase(Locale.ROOT);
      if (scheme.equals("token") || scheme.equals("bearer")) {
        return parts[1].trim();
      }
    }
    throw new UnauthenticatedException(
        "the Authorization header must be 'token <access token>' or 'Bearer <access token>'");
  }

  /** The trace ID of a W3C {@code traceparent} header, or {@code null} when malformed. */
  static String traceId(String traceparent) {
    String[] parts = traceparent.trim().split("-");
    return parts.length == 4 && parts[1].matches("[0-9a-f]{32}") ? parts[1] : null;
  }

  private static int error(HttpResponse response, int status, String message) throws IOException {
    write(response, status, Map.of("errors", List.of(Map.of("message", message))));
    return status;
  }

  private static void write(HttpResponse response, int status, Object body) throws IOException {
    response.setStatusCode(status);
    response.setContentType("application/json; charset=utf-8");
    try (OutputStream out = response.getOutputStream()) {
      Json.write(body, out);
    }
  }

  /** The fields of a GraphQL-over-HTTP request body. */
  record GraphQlRequest(String query, String operationName, Map<String, Object> variables) {
    static GraphQlRequest parse(byte[] body) {
      Object root;
      try {
        root = Json.read(body);
      } catch (IOException e) {
        String detail =
            e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
        throw new BadRequestException("the request body is not valid JSON: " + detail);
      }
      if (!(root instanceof Map<?, ?> fields)) {
        throw new BadRequestException(
            "the request body must be a JSON object with 'query' and optionally 'variables' and"
                + " 'operationName'");
      }
      if (!(fields.get("query") instanceof String query) || query.isBlank()) {
        throw new BadRequestException("'query' must be a GraphQL document as a string");
      }
      Object operationName = fields.get("operationName");
      if (operationName != null && !(operationName instanceof String)) {
        throw new BadRequestException("'operationName' must be a string");
      }
      Object variables = fields.get("variables");
      if (variables != null && !(variables instanceof Map)) {
        throw new BadRequestException("'variables' must be a JSON object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> vars = variables == null ? Map.of() : (Map<String, Object>) variables;
      return new GraphQlRequest(query, (String) operationName, vars);
    }
  }

  /** A request this function cannot run; the message says why. */
  static final class BadRequestException extends RuntimeException {
    BadRequestException(String message) {
      super(message);
    }
  }

  /** A request whose credentials are refused; the message says why. */
  static final class UnauthenticatedException extends RuntimeException {
    UnauthenticatedException(String message) {
      super(message);
    }
  }
}
