package dev.tally.gatewayfn;

import dev.tally.config.Env;
import dev.tally.gateway.GatewayConfig;
import dev.tally.log.JsonLog;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as a native gRPC server (HTTP/2), for instances that export over native gRPC: the
 * same service and authentication as {@link GatewayFunction}, on port {@code PORT} (default 8090).
 *
 * <pre>
 * java -cp ... dev.tally.gatewayfn.GatewayServer
 * </pre>
 */
public final class GatewayServer {
  static final String PORT = "PORT";

  private GatewayServer() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    JsonLog.installAsJulHandler();
    Map<String, String> env = System.getenv();
    GatewayConfig config = GatewayConfig.fromEnv(env);
    int port = Env.of(env).integer(PORT, 8090, 1, 65535);
    GatewayRuntime runtime = new GatewayRuntime(config);
    Server server = start(runtime, port);
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

  static Server start(GatewayRuntime runtime, int port) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress(port))
        .addService(runtime.service())
        .maxInboundMessageSize(64 * 1024 * 1024)
        .build()
        .start();
  }
}
