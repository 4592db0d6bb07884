package dev.tally.gatewayfn;

import dev.tally.config.ConfigException;
import dev.tally.config.Env;
import dev.tally.gateway.GatewayConfig;
import dev.tally.log.JsonLog;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as a native gRPC server (HTTP/2), for instances that export over native gRPC: the
 * same service and authentication as {@link GatewayFunction}, on port {@code PORT} (default 8090).
 * It speaks plaintext HTTP/2 (h2c): TLS is the job of what fronts it, such as Cloud Run with HTTP/2
 * end to end, or a load balancer.
 *
 * <pre>
 * java -cp ... dev.tally.gatewayfn.GatewayServer
 * </pre>
 */
public final class GatewayServer {
  static final String PORT = "PORT";
  static final String MAX_CONCURRENT_CALLS =
      "TELEMETRY_GATEWAY_MAX_CONCURRENT_CALLS_PER_CONNECTION";
  static final String MAX_CONNECTION_AGE = "TELEMETRY_GATEWAY_MAX_CONNECTION_AGE";
  static final String MAX_CONNECTION_AGE_GRACE = "TELEMETRY_GATEWAY_MAX_CONNECTION_AGE_GRACE";

  /** Clients may ping this often without being told to go away (gRPC's default is 5 minutes). */
  static final Duration PERMIT_KEEP_ALIVE_TIME = Duration.ofSeconds(20);

  /** A connection without calls for this long is closed. */
  static final Duration MAX_CONNECTION_IDLE = Duration.ofMinutes(5);

  private GatewayServer() {}

  /**
   * The server's own settings, read once at start.
   *
   * @param port where it listens ({@value #PORT}, default 8090)
   * @param maxMessageBytes largest message of a call: the gateway's {@code
   *     TELEMETRY_GATEWAY_MAX_REQUEST_BYTES}, so that one events message holds no more than one
   *     gRPC-web request may
   * @param maxConcurrentCallsPerConnection calls one connection may have open at once ({@value
   *     #MAX_CONCURRENT_CALLS}, default 16)
   * @param maxConnectionAge how long a connection lives before the server asks the client to open a
   *     new one, which spreads clients over instances ({@value #MAX_CONNECTION_AGE}, default 30m)
   * @param maxConnectionAgeGrace how long calls of such a connection may still run ({@value
   *     #MAX_CONNECTION_AGE_GRACE}, default 2m: longer than an exporter's call)
   */
  record Settings(
      int port,
      int maxMessageBytes,
      int maxConcurrentCallsPerConnection,
      Duration maxConnectionAge,
      Duration maxConnectionAgeGrace) {

    static Settings fromEnv(Map<String, String> environment, GatewayConfig gateway) {
      Env env = Env.of(environment);
      Duration age =
          env.duration(MAX_CONNECTION_AGE, Duration.ofMinutes(30), Duration.ofMinutes(1));
      Duration grace =
          env.duration(MAX_CONNECTION_AGE_GRACE, Duration.ofMinutes(2), Duration.ofSeconds(1));
      if (grace.compareTo(age) > 0) {
        throw new ConfigException(
            MAX_CONNECTION_AGE_GRACE + " must not be longer than " + MAX_CONNECTION_AGE);
      }
      return new Settings(
          env.integer(PORT, 8090, 1, 65535),
          gateway.maxRequestBytes(),
          env.integer(MAX_CONCURRENT_CALLS, 16, 1, 10_000),
          age,
          grace);
    }
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    Map<String, String> env = System.getenv();
    GatewayConfig config = GatewayConfig.fromEnv(env);
    JsonLog.install(config.log());
    Settings settings = Settings.fromEnv(env, config);
    GatewayRuntime runtime = new GatewayRuntime(config);
    Server server;
    try {
      server = start(runtime, settings);
    } catch (IOException | RuntimeException e) {
      GatewayRuntime.closeAfterFailure(runtime, e);
      throw e;
    }
    JsonLog.info("native gRPC gateway listening", Map.of("port", server.getPort()));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.shutdown().awaitTermination(30, TimeUnit.SECONDS);
                    runtime.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "gateway-shutdown"));
    server.awaitTermination();
  }

  static Server start(GatewayRuntime runtime, Settings settings) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress(settings.port()))
        .addService(runtime.service())
        .maxInboundMessageSize(settings.maxMessageBytes())
        .maxConcurrentCallsPerConnection(settings.maxConcurrentCallsPerConnection())
        .maxConnectionAge(settings.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionAgeGrace(settings.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS)
        .maxConnectionIdle(MAX_CONNECTION_IDLE.toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(PERMIT_KEEP_ALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
        .build()
        .start();
  }
}
