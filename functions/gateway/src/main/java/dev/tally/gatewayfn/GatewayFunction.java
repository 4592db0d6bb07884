package dev.tally.gatewayfn;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.gateway.EventMessages;
import dev.tally.gateway.GatewayCalls;
import dev.tally.gateway.GatewayConfig;
import dev.tally.gateway.InstanceTokens;
import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import dev.tally.runtime.Lazy;
import dev.tally.runtime.RequestBodies;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The gateway HTTP function: {@code POST /telemetrygateway.v1.TelemeteryGatewayService/<Method>}
 * with a gRPC-web body ({@code application/grpc-web}, {@code +proto}, or {@code -text}).
 *
 * <p>Entry point: {@code dev.tally.gatewayfn.GatewayFunction}. gRPC errors are answered with HTTP
 * 200 and a {@code grpc-status}, as gRPC-web requires. The sender's token is checked before the
 * body is read: an unauthenticated request costs no more than its headers. The call itself runs in
 * {@link GrpcWebBridge}, on the request's thread and within its trace.
 */
public final class GatewayFunction implements HttpFunction {
  private static final long CALL_TIMEOUT_MILLIS = 120_000;

  private final GatewayConfig config;
  private final Supplier<GrpcWebBridge> bridge;

  /** Called by the Functions Framework: reads the configuration; connects on first use. */
  public GatewayFunction() {
    this(GatewayConfig.fromEnv(System.getenv()));
  }

  private GatewayFunction(GatewayConfig config) {
    this(
        config,
        new Lazy<>(() -> start(config))
            .warmUpInBackground(GrpcWebBridge::warmUp, bridge -> EventMessages.warmUp()));
    JsonLog.install(config.log());
  }

  GatewayFunction(GatewayConfig config, Supplier<GrpcWebBridge> bridge) {
    this.config = config;
    this.bridge = bridge;
  }

  private static GrpcWebBridge start(GatewayConfig config) {
    return start(
        config,
        GatewayRuntime::new,
        calls -> new GrpcWebBridge(calls, CALL_TIMEOUT_MILLIS, config.maxFramesPerCall()));
  }

  /**
   * Opens what the function holds for the instance's lifetime. When the bridge cannot start, the
   * runtime it was to serve is closed again, so that the next request's retry starts from nothing.
   */
  static GrpcWebBridge start(
      GatewayConfig config,
      Function<GatewayConfig, GatewayRuntime> runtimes,
      Function<GatewayCalls, GrpcWebBridge> bridges) {
    GatewayRuntime runtime = runtimes.apply(config);
    GrpcWebBridge bridge;
    try {
      bridge = bridges.apply(runtime.calls());
    } catch (RuntimeException | Error e) {
      GatewayRuntime.closeAfterFailure(runtime, e);
      throw e;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runtime.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "gateway-shutdown"));
    return bridge;
  }

  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    try (JsonLog.Scope trace = JsonLog.inRequest(RequestTrace.of(request::getFirstHeader))) {
      serve(request, response);
    }
  }

  private void serve(HttpRequest request, HttpResponse response) throws IOException {
    long start = System.nanoTime();
    response.appendHeader("Access-Control-Allow-Origin", "*");
    response.appendHeader("Access-Control-Expose-Headers", "grpc-status, grpc-message");
    String method = request.getMethod().toUpperCase(Locale.ROOT);
    if (method.equals("OPTIONS")) {
      response.appendHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
      response.appendHeader(
          "Access-Control-Allow-Headers",
          "authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, x-request-id");
      response.appendHeader("Access-Control-Max-Age", "3600");
      response.setStatusCode(204);
      return;
    }
    String contentType = request.getContentType().orElse("").toLowerCase(Locale.ROOT);
    boolean text = contentType.startsWith("application/grpc-web-text");
    if (!method.equals("POST")) {
      response.appendHeader("Allow", "POST, OPTIONS");
      reply(
          response,
          405,
          text,
          GrpcWebBridge.trailersOnly(
              Status.UNIMPLEMENTED.withDescription("gRPC-web calls use POST")));
      return;
    }
    if (!contentType.startsWith("application/grpc-web")) {
      reply(
          response,
          415,
          false,
          GrpcWebBridge.trailersOnly(
              Status.INVALID_ARGUMENT.withDescription(
                  "Content-Type must be application/grpc-web, application/grpc-web+proto or"
                      + " application/grpc-web-text, got '"
                      + contentType
                      + "'")));
      return;
    }
    long declaredBytes = request.getContentLength();
    // Who sends is known from the header alone: an unknown sender's body is never read.
    InstanceTokens.Authentication authentication =
        config.tokens().authenticate(request.getFirstHeader("Authorization").orElse(null));
    byte[] body = null;
    GrpcWebBridge.Response answer;
    if (authentication.sender() == null) {
      answer = GrpcWebBridge.trailersOnly(authentication.refusal());
    } else {
      body =
          RequestBodies.readAtMost(
              request.getInputStream(), declaredBytes, config.maxRequestBytes());
      if (body == null) {
        answer =
            GrpcWebBridge.trailersOnly(
                Status.RESOURCE_EXHAUSTED.withDescription(
                    "the request body may be at most "
                        + config.maxRequestBytes()
                        + " bytes (limit set by "
                        + GatewayConfig.MAX_REQUEST_BYTES
                        + "); send smaller batches"));
      } else {
        answer =
            bridge
                .get()
                .handle(
                    request.getPath(),
                    text,
                    request.getFirstHeader("grpc-timeout").orElse(null),
                    authentication.sender(),
                    body);
      }
    }
    if (body == null) {
      // The body was left unread: the connection cannot carry another request. Saying so keeps
      // clients from sending their next request on a connection the server is closing.
      response.appendHeader("Connection", "close");
    }
    reply(response, 200, text, answer);
    Map<String, Object> log = new LinkedHashMap<>();
    log.put("path", request.getPath());
    log.put("declaredBytes", declaredBytes);
    // Bytes of the body kept in memory: 0 when none were (unauthenticated, or over the limit).
    log.put("requestBytes", body == null ? 0 : body.length);
    log.put("grpcStatus", answer.headers().getOrDefault("grpc-status", "in trailers"));
    log.put("latencyMs", (System.nanoTime() - start) / 1_000_000.0);
    JsonLog.info("gateway request", log);
  }

  private static void reply(
      HttpResponse response, int httpStatus, boolean text, GrpcWebBridge.Response answer)
      throws IOException {
    response.setStatusCode(httpStatus);
    response.setContentType(
        text ? "application/grpc-web-text+proto" : "application/grpc-web+proto");
    answer.headers().forEach(response::appendHeader);
    byte[] body = text ? GrpcWebBridge.toText(answer.body()) : answer.body();
    try (OutputStream out = response.getOutputStream()) {
      out.write(body);
    }
  }
}
