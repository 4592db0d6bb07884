package dev.tally.gatewayfn;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.gateway.EventMessages;
import dev.tally.gateway.GatewayConfig;
import dev.tally.instance.Lazy;
import dev.tally.instance.RequestBodies;
import dev.tally.log.JsonLog;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The gateway HTTP function: {@code POST /telemetrygateway.v1.TelemeteryGatewayService/<Method>}
 * with a gRPC-web body ({@code application/grpc-web}, {@code +proto}, or {@code -text}).
 *
 * <p>Entry point: {@code dev.tally.gatewayfn.GatewayFunction}. gRPC errors are answered with HTTP
 * 200 and a {@code grpc-status}, as gRPC-web requires.
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
    JsonLog.installAsJulHandler();
  }

  GatewayFunction(GatewayConfig config, Supplier<GrpcWebBridge> bridge) {
    this.config = config;
    this.bridge = bridge;
  }

  private static GrpcWebBridge start(GatewayConfig config) {
    GatewayRuntime runtime = new GatewayRuntime(config);
    GrpcWebBridge bridge = new GrpcWebBridge(runtime.service(), CALL_TIMEOUT_MILLIS);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    bridge.close();
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
    byte[] body =
        RequestBodies.readAtMost(
            request.getInputStream(), request.getContentLength(), config.maxRequestBytes());
    GrpcWebBridge.Response answer;
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
      Map<String, String> headers = new LinkedHashMap<>();
      request
          .getHeaders()
          .forEach(
              (name, values) -> {
                if (!values.isEmpty()) {
                  headers.put(name.toLowerCase(Locale.ROOT), values.get(0));
                }
              });
      answer = bridge.get().handle(request.getPath(), text, headers, body);
    }
    reply(response, 200, text, answer);
    Map<String, Object> log = new LinkedHashMap<>();
    log.put("path", request.getPath());
    log.put("requestBytes", body == null ? -1 : body.length);
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
