package dev.tally.export;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tally.export.GatewayClient.GatewayException.Kind;
import dev.tally.grpcweb.GrpcWebClient;
import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.Status;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Sends {@code RecordEvents} over gRPC-web: the gateway Cloud Function's transport. */
public final class GrpcWebGatewayClient implements GatewayClient {
  private static final String METHOD =
      TelemeteryGatewayServiceGrpc.getRecordEventsMethod().getFullMethodName();

  private final URI address;
  private final String token;
  private final Duration timeout;
  private final GrpcWebClient client;

  /**
   * @param address base URL of the gateway function, {@code https://...} (or {@code http://} on a
   *     loopback address)
   * @param token the instance's bearer token
   * @param timeout how long one call may take
   */
  public GrpcWebGatewayClient(URI address, String token, Duration timeout) {
    this.address = address;
    this.token = token;
    this.timeout = timeout;
    this.client = new GrpcWebClient(Duration.ofSeconds(10));
  }

  @Override
  public Set<String> send(RecordEventsRequestMetadata metadata, List<List<byte[]>> frames)
      throws GatewayException {
    byte[] body = EncodedRequests.grpcWebBody(metadata, frames);
    Map<String, String> headers = new HashMap<>();
    headers.put("authorization", "Bearer " + token);
    RequestTrace trace = JsonLog.currentTrace();
    if (trace != null) {
      headers.put("traceparent", trace.traceparent());
    }
    GrpcWebClient.Result result;
    try {
      result = client.callWithBody(address, METHOD, body, headers, false, timeout);
    } catch (GrpcWebClient.NoGrpcStatusException e) {
      throw new GatewayException(
          GatewayException.ofHttpStatus(e.httpStatus()),
          "gateway answered without a gRPC status: " + e.getMessage(),
          Set.of(),
          e);
    } catch (GrpcWebClient.MalformedAnswerException e) {
      throw new GatewayException(
          Kind.SUSPECT,
          "gateway answered with a malformed response: " + e.getMessage(),
          Set.of(),
          e);
    } catch (IOException e) {
      throw new GatewayException(
          Kind.TRANSIENT,
          "gateway unreachable: "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          Set.of(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(Kind.TRANSIENT, "interrupted", Set.of(), e);
    }
    Set<String> acknowledged = new HashSet<>();
    for (byte[] message : result.messages()) {
      try {
        acknowledged.addAll(RecordEventsResponse.parseFrom(message).getSucceededEventsList());
      } catch (InvalidProtocolBufferException e) {
        throw new GatewayException(
            Kind.SUSPECT, "gateway answered with a malformed response", acknowledged, e);
      }
    }
    if (!result.isOk()) {
      throw new GatewayException(
          GatewayException.ofGrpcStatus(result.grpcStatus()),
          "gateway answered with gRPC status "
              + result.grpcStatus()
              + " "
              + codeName(result.grpcStatus())
              + ": "
              + result.grpcMessage(),
          acknowledged,
          null);
    }
    return acknowledged;
  }

  private static String codeName(int code) {
    return Status.fromCodeValue(code).getCode().name();
  }
}
