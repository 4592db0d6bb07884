package dev.tally.recordevent;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.runtime.Lazy;
import dev.tally.runtime.RequestBodies;
import dev.tally.store.StoreException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The record-event HTTP function: GraphQL over HTTP ({@code POST} JSON with {@code query}, {@code
 * variables} and {@code operationName}) on any path, such as {@code /.api/graphql}. It checks the
 * method and content type, counts the request against its address ({@link RequestGate}), and hands
 * it to {@link RecordEventService#execute}, which checks its credentials and the caller's limits
 * before this class reads, bounds and parses the body; then it maps the outcome to HTTP.
 *
 * <p>Paths under {@value #CONSOLE_PATH} go to the administrators' console ({@link
 * dev.tally.recordevent.console.Console}), whose classes load with its first request, never on the
 * way of {@code recordEvents}.
 *
 * <p>Entry point: {@code dev.tally.recordevent.RecordEventFunction}.
 */
public final class RecordEventFunction implements HttpFunction {
  static final String CONSOLE_PATH = "/console";

  private final RecordEventConfig config;
  private final Cors cors;
  private final Supplier<RecordEventService> service;
  private final RequestGate gate;
  private final ConsoleRoute console;

  /** Called by the Functions Framework: reads the configuration; connects on first use. */
  public RecordEventFunction() {
    this(RecordEventConfig.fromEnv(System.getenv()));
  }

  private RecordEventFunction(RecordEventConfig config) {
    this(config, new CallerLimits(config.rateLimits(), Clock.systemUTC()));
    JsonLog.install(config.log());
  }

  private RecordEventFunction(RecordEventConfig config, CallerLimits limits) {
    this(
        config,
        limits,
        new Lazy<>(() -> RecordEventService.create(config, limits))
            .warmUpInBackground(
                RecordEventService::warmUpDatabase,
                RecordEventService::warmUpEvents,
                RecordEventService::warmUpGraphQlAfterFirstAnswer));
  }

  /**
   * @param limits the rate limits, which {@code service} counts with too: the first of them are
   *     checked before the service is needed
   */
  RecordEventFunction(
      RecordEventConfig config, CallerLimits limits, Supplier<RecordEventService> service) {
    this.config = config;
    this.cors = new Cors(config);
    this.service = service;
    this.gate = new RequestGate(limits);
    this.console = new ConsoleRoute(config, service);
  }

  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    try (JsonLog.Scope trace = JsonLog.inRequest(RequestTrace.of(request::getFirstHeader))) {
      serve(request, response);
    }
  }

  private void serve(HttpRequest request, HttpResponse response) throws IOException {
    long start = System.nanoTime();
    Map<String, Object> log = new LinkedHashMap<>();
    log.put("method", request.getMethod());
    int status;
    try {
      if (config.consoleEnabled() && isConsolePath(request.getPath())) {
        log.put("outcome", "console");
        log.put("path", request.getPath());
        try {
          gate.admitAddress(request);
          status = console.handle(request, response);
        } catch (RateLimitedException e) {
          status = rateLimited(response, log, e, true);
        }
      } else {
        status = handle(request, response, log);
      }
    } catch (StoreException e) {
      // A database failure outside GraphQL: authenticating the caller, before the body was read.
      ErrorMapper.Failure failure = ErrorMapper.storeFailure(e);
      status = unread(response, failure.status(), failure.message());
      log.put("outcome", failure.outcome());
    }
    log.put("status", status);
    log.put("latencyMs", (System.nanoTime() - start) / 1_000_000.0);
    log.putIfAbsent("events", 0);
    JsonLog.info("record-event request", log);
  }

  private int handle(HttpRequest request, HttpResponse response, Map<String, Object> log)
      throws IOException {
    cors.allowOrigin(request, response);
    String method = request.getMethod().toUpperCase(Locale.ROOT);
    if (method.equals("OPTIONS")) {
      log.put("outcome", "preflight");
      cors.preflight(request, response);
      return 204;
    }
    if (!method.equals("POST")) {
      response.appendHeader("Allow", "POST, OPTIONS");
      log.put("outcome", "bad_request");
      return unread(response, 405, "send GraphQL requests with POST");
    }
    Optional<String> contentType = request.getContentType();
    if (contentType.isPresent()
        && !contentType.get().toLowerCase(Locale.ROOT).startsWith("application/json")) {
      log.put("outcome", "bad_request");
      return unread(
          response, 415, "the request body must be JSON (Content-Type: application/json)");
    }

    Caller address;
    try {
      address = gate.admitAddress(request);
    } catch (RateLimitedException e) {
      return rateLimited(response, log, e, true);
    }
    RecordEventService instance = service.get();
    Body body = new Body(request, log);
    GraphQlAnswer answer;
    try {
      answer = instance.execute(request, address, Credentials.fromHeaders(request), body);
    } catch (RateLimitedException e) {
      return rateLimited(response, log, e, !body.wholeBodyRead);
    } catch (UnauthenticatedException e) {
      log.put("outcome", "unauthenticated");
      response.appendHeader("WWW-Authenticate", "token");
      return unread(response, 401, e.getMessage());
    } catch (RequestTooLargeException e) {
      log.put("outcome", "too_large");
      return unread(response, 413, e.getMessage());
    } catch (BadRequestException e) {
      log.put("outcome", "bad_request");
      return error(response, 400, e.getMessage());
    }
    log.put("outcome", answer.outcome());
    log.put("events", answer.eventsRecorded());
    if (answer.retryAfterSeconds() > 0) {
      response.appendHeader("Retry-After", String.valueOf(answer.retryAfterSeconds()));
    }
    write(response, answer.status(), answer.body());
    instance.answered();
    return answer.status();
  }

  /**
   * The request's body, read once its caller is admitted: its bytes counted against the caller
   * ({@link RequestGate}), bounded by {@value RecordEventConfig#MAX_REQUEST_BYTES}, and parsed.
   */
  private final class Body implements RequestReader {
    private final HttpRequest request;
    private final Map<String, Object> log;

    /** Whether the whole body was read: a refusal after that leaves the connection usable. */
    private boolean wholeBodyRead;

    Body(HttpRequest request, Map<String, Object> log) {
      this.request = request;
      this.log = log;
    }

    @Override
    public GraphQlRequest read(RequestContext context) throws IOException {
      gate.admitBody(request, context);
      RequestBodies.Read read =
          RequestBodies.read(
              request.getInputStream(), request.getContentLength(), config.maxRequestBytes());
      byte[] body = read.body();
      wholeBodyRead = body != null;
      try {
        gate.bodyRead(request, context, read.bytesRead());
      } catch (RateLimitedException e) {
        // A body over the size limit gets its 413, which says more; it was counted all the same.
        if (body != null) {
          throw e;
        }
      }
      if (body == null) {
        throw new RequestTooLargeException(
            "the request body may be at most "
                + config.maxRequestBytes()
                + " bytes (limit set by "
                + RecordEventConfig.MAX_REQUEST_BYTES
                + "); send fewer events per request");
      }
      GraphQlRequest graphQlRequest = GraphQlRequest.parse(body);
      graphQlRequest.loggedOperationName().ifPresent(name -> log.put("operation", name));
      return graphQlRequest;
    }
  }

  /**
   * A request over a rate limit: 429 with {@code Retry-After}, and the setting in the message and
   * the log line.
   *
   * @param bodyUnread whether the request's body was left unread
   */
  private static int rateLimited(
      HttpResponse response, Map<String, Object> log, RateLimitedException e, boolean bodyUnread)
      throws IOException {
    log.put("outcome", "rate_limited");
    log.put("limit", e.setting());
    response.appendHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
    if (bodyUnread) {
      response.appendHeader("Connection", "close");
    }
    write(
        response,
        429,
        Map.of(
            "errors",
            List.of(
                Map.of(
                    "message",
                    e.getMessage() + "; nothing of this request was recorded",
                    "extensions",
                    Map.of("code", "RATE_LIMITED", "setting", e.setting())))));
    return 429;
  }

  private static boolean isConsolePath(String path) {
    return path != null && (path.equals(CONSOLE_PATH) || path.startsWith(CONSOLE_PATH + "/"));
  }

  /**
   * An error answered with the request's body left unread, so the connection cannot carry another
   * request: saying so keeps a client from sending its next request on a connection the server is
   * closing.
   */
  private static int unread(HttpResponse response, int status, String message) throws IOException {
    response.appendHeader("Connection", "close");
    return error(response, status, message);
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
}
