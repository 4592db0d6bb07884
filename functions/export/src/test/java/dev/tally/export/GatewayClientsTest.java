package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Timestamp;
import com.sun.net.httpserver.HttpServer;
import dev.tally.export.GatewayClient.GatewayException;
import dev.tally.export.GatewayClient.GatewayException.Kind;
import dev.tally.grpcweb.GrpcWebFrames;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Both gateway clients say what kind of failure a call met, against real servers that answer the
 * way a gateway, a proxy or nothing at all would.
 */
class GatewayClientsTest {
  private static final RecordEventsRequestMetadata METADATA =
      RecordEventsRequestMetadata.newBuilder()
          .setRequestId("r")
          .setIdentifier(ExporterConfig.identifier("instance-1", null, ""))
          .build();
  private static final Event EVENT =
      Event.newBuilder()
          .setId("e1")
          .setFeature("a.b")
          .setAction("c.d")
          .setTimestamp(Timestamp.newBuilder().setSeconds(1))
          .build();

  @ParameterizedTest(name = "gRPC status {0} is {1}")
  @CsvSource({
    "1, TRANSIENT",
    "4, TRANSIENT",
    "10, TRANSIENT",
    "14, TRANSIENT",
    "2, SUSPECT",
    "3, SUSPECT",
    "8, SUSPECT",
    "13, SUSPECT",
    "9, SUSPECT",
    "15, SUSPECT",
    "5, REFUSED",
    "7, REFUSED",
    "12, REFUSED",
    "16, REFUSED"
  })
  void ofGrpcStatus_classifiesEveryCode(int code, Kind kind) {
    assertEquals(kind, GatewayException.ofGrpcStatus(code));
  }

  /** A gRPC-web "gateway" that answers every call with the given HTTP status, headers and body. */
  private static GatewayException callGrpcWeb(
      int httpStatus, Map<String, String> headers, byte[] body) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          headers.forEach(exchange.getResponseHeaders()::add);
          exchange.sendResponseHeaders(httpStatus, body.length == 0 ? -1 : body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    try {
      GatewayClient client =
          new GrpcWebGatewayClient(
              URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
              "token",
              Duration.ofSeconds(10));
      return assertThrows(
          GatewayException.class,
          () -> client.send(METADATA, List.of(List.of(EVENT.toByteArray()))));
    } finally {
      server.stop(0);
    }
  }

  @ParameterizedTest(name = "HTTP {0} with grpc-status {1} is {2}")
  @CsvSource({
    "200, 14, TRANSIENT",
    "200, 8, SUSPECT",
    "200, 3, SUSPECT",
    "200, 13, SUSPECT",
    "200, 16, REFUSED",
    "200, 7, REFUSED"
  })
  void grpcWeb_classifiesTheGatewaysStatus(int http, String grpcStatus, Kind kind)
      throws Exception {
    GatewayException failure =
        callGrpcWeb(
            http,
            Map.of("Content-Type", "application/grpc-web+proto", "grpc-status", grpcStatus),
            new byte[0]);

    assertEquals(kind, failure.kind(), failure.getMessage());
  }

  @ParameterizedTest(name = "HTTP {0} without a gRPC status is {1}")
  @CsvSource({
    "413, SUSPECT",
    "400, SUSPECT",
    "429, TRANSIENT",
    "500, TRANSIENT",
    "503, TRANSIENT",
    "404, REFUSED",
    "401, REFUSED"
  })
  void grpcWeb_classifiesAnAnswerWithoutAGrpcStatus(int http, Kind kind) throws Exception {
    GatewayException failure =
        callGrpcWeb(http, Map.of("Content-Type", "text/html"), "<html>no</html>".getBytes());

    assertEquals(kind, failure.kind(), failure.getMessage());
  }

  @Test
  void grpcWeb_aMalformedAnswerIsSuspectAndKeepsWhatWasAcknowledgedBefore() throws Exception {
    byte[] truncated = {0, 0, 0, 0, 9, 1, 2};

    assertEquals(
        Kind.SUSPECT,
        callGrpcWeb(200, Map.of("Content-Type", "application/grpc-web+proto"), truncated).kind());

    byte[] ackThenFailure =
        concat(
            GrpcWebFrames.frame(
                GrpcWebFrames.DATA,
                RecordEventsResponse.newBuilder().addSucceededEvents("e1").build().toByteArray()),
            GrpcWebFrames.trailers(Map.of("grpc-status", "13", "grpc-message", "boom")));
    GatewayException failure =
        callGrpcWeb(200, Map.of("Content-Type", "application/grpc-web+proto"), ackThenFailure);
    assertEquals(Kind.SUSPECT, failure.kind());
    assertEquals(Set.of("e1"), failure.acknowledged());
  }

  @Test
  void grpcWeb_aRefusedConnectionIsTransient() throws Exception {
    GatewayClient client =
        new GrpcWebGatewayClient(
            URI.create("http://127.0.0.1:" + freePort()), "token", Duration.ofSeconds(5));

    GatewayException failure =
        assertThrows(
            GatewayException.class,
            () -> client.send(METADATA, List.of(List.of(EVENT.toByteArray()))));

    assertEquals(Kind.TRANSIENT, failure.kind());
  }

  @ParameterizedTest(name = "native {0} is {1}")
  @CsvSource({
    "UNAVAILABLE, TRANSIENT",
    "RESOURCE_EXHAUSTED, SUSPECT",
    "INVALID_ARGUMENT, SUSPECT",
    "UNAUTHENTICATED, REFUSED",
    "PERMISSION_DENIED, REFUSED"
  })
  void nativeGrpc_classifiesTheGatewaysStatus(Status.Code code, Kind kind) throws Exception {
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new TelemeteryGatewayServiceGrpc.TelemeteryGatewayServiceImplBase() {
                  @Override
                  public StreamObserver<RecordEventsRequest> recordEvents(
                      StreamObserver<RecordEventsResponse> responses) {
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(RecordEventsRequest request) {
                        if (request.hasEvents()) {
                          responses.onNext(
                              RecordEventsResponse.newBuilder()
                                  .addSucceededEvents("acknowledged-first")
                                  .build());
                          responses.onError(code.toStatus().asRuntimeException());
                        }
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    };
                  }
                })
            .build()
            .start();
    NativeGatewayClient client =
        new NativeGatewayClient("127.0.0.1", server.getPort(), false, "t", Duration.ofSeconds(10));
    try {
      GatewayException failure =
          assertThrows(
              GatewayException.class,
              () -> client.send(METADATA, List.of(List.of(EVENT.toByteArray()))));

      assertEquals(kind, failure.kind(), failure.getMessage());
      assertEquals(Set.of("acknowledged-first"), failure.acknowledged());
    } finally {
      client.close();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void nativeGrpc_aRefusedConnectionIsTransient() throws Exception {
    NativeGatewayClient client =
        new NativeGatewayClient("127.0.0.1", freePort(), false, "t", Duration.ofSeconds(5));
    try {
      GatewayException failure =
          assertThrows(
              GatewayException.class,
              () -> client.send(METADATA, List.of(List.of(EVENT.toByteArray()))));

      assertEquals(Kind.TRANSIENT, failure.kind(), failure.getMessage());
    } finally {
      client.close();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
