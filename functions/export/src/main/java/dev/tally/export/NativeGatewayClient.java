package dev.tally.export;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Sends {@code RecordEvents} over native gRPC (HTTP/2), one channel per process. */
public final class NativeGatewayClient implements GatewayClient {
  private final ManagedChannel channel;
  private final TelemeteryGatewayServiceGrpc.TelemeteryGatewayServiceStub stub;
  private final Duration timeout;

  /**
   * @param host the gateway's host
   * @param port its port
   * @param tls whether to use TLS (plaintext only for loopback addresses)
   */
  public NativeGatewayClient(String host, int port, boolean tls, String token, Duration timeout) {
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(host, port).maxInboundMessageSize(16 * 1024 * 1024);
    this.channel = (tls ? builder.useTransportSecurity() : builder.usePlaintext()).build();
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    this.stub =
        TelemeteryGatewayServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    this.timeout = timeout;
  }

  @Override
  public Set<String> send(RecordEventsRequestMetadata metadata, List<List<byte[]>> frames)
      throws GatewayException {
    List<RecordEventsRequest> messages = new ArrayList<>(frames.size());
    for (List<byte[]> frame : frames) {
      messages.add(eventsRequest(frame));
    }
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    StreamObserver<RecordEventsRequest> requests =
        stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .recordEvents(
                new StreamObserver<>() {
                  @Override
                  public void onNext(RecordEventsResponse response) {
                    acknowledged.addAll(response.getSucceededEventsList());
                  }

                  @Override
                  public void onError(Throwable error) {
                    closed.complete(Status.fromThrowable(error));
                  }

                  @Override
                  public void onCompleted() {
                    closed.complete(Status.OK);
                  }
                });
    requests.onNext(RecordEventsRequest.newBuilder().setMetadata(metadata).build());
    messages.forEach(requests::onNext);
    requests.onCompleted();
    Status status;
    try {
      status = closed.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new GatewayException(
          GatewayException.Kind.TRANSIENT, "gateway call did not finish", acknowledged, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(GatewayException.Kind.TRANSIENT, "interrupted", acknowledged, e);
    }
    if (!status.isOk()) {
      throw new GatewayException(
          GatewayException.ofGrpcStatus(status.getCode().value()),
          "gateway answered with gRPC status "
              + status.getCode().value()
              + " "
              + status.getCode()
              + ": "
              + status.getDescription(),
          acknowledged,
          status.getCause());
    }
    return Set.copyOf(acknowledged);
  }

  /** The request carrying these encoded events, read back as the stub sends messages. */
  private static RecordEventsRequest eventsRequest(List<byte[]> events) throws GatewayException {
    try {
      return RecordEventsRequest.parseFrom(EncodedRequests.eventsMessage(events));
    } catch (InvalidProtocolBufferException e) {
      throw new GatewayException(
          GatewayException.Kind.SUSPECT, "an event cannot be read: " + e.getMessage(), Set.of(), e);
    }
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
