package dev.tally.gateway;

import com.google.protobuf.Message;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventResponse;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The gateway as a grpc-java service, for the native gRPC server: an adapter that runs each call
 * with {@link GatewayCalls}. Calls must come through {@link InstanceAuthInterceptor}, which
 * establishes who is sending ({@link InstanceAuthInterceptor#SENDER}); a token may only send as its
 * own kind of sender (instance or managed service) and ID.
 */
public final class GatewayService
    extends TelemeteryGatewayServiceGrpc.TelemeteryGatewayServiceImplBase {
  private final GatewayCalls calls;

  public GatewayService(GatewayCalls calls) {
    this.calls = Objects.requireNonNull(calls, "calls");
  }

  /**
   * The service to serve: {@link #bindService()} but reading requests nested up to {@value
   * GatewayCalls#MAX_NESTING} levels.
   */
  public ServerServiceDefinition definition() {
    ServerServiceDefinition generated = bindService();
    ServerServiceDefinition.Builder service =
        ServerServiceDefinition.builder(generated.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      service.addMethod(withNesting(method));
    }
    return service.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> withNesting(
      ServerMethodDefinition<ReqT, RespT> method) {
    MethodDescriptor<ReqT, RespT> descriptor = method.getMethodDescriptor();
    if (!(descriptor.getRequestMarshaller()
        instanceof MethodDescriptor.PrototypeMarshaller<ReqT> marshaller)) {
      return method;
    }
    @SuppressWarnings("unchecked")
    MethodDescriptor.Marshaller<ReqT> deeper =
        (MethodDescriptor.Marshaller<ReqT>)
            ProtoUtils.marshallerWithRecursionLimit(
                (Message) marshaller.getMessagePrototype(), GatewayCalls.MAX_NESTING);
    return ServerMethodDefinition.create(
        descriptor.toBuilder().setRequestMarshaller(deeper).build(), method.getServerCallHandler());
  }

  @Override
  public StreamObserver<RecordEventsRequest> recordEvents(
      StreamObserver<RecordEventsResponse> responses) {
    RecordEventsCall call = calls.recordEvents(InstanceAuthInterceptor.SENDER.get());
    return new StreamObserver<>() {
      private boolean done;

      @Override
      public void onNext(RecordEventsRequest request) {
        if (done) {
          return;
        }
        Optional<CompletableFuture<RecordEventsResponse>> response;
        try {
          response = call.next(request);
        } catch (StatusRuntimeException e) {
          done = true;
          responses.onError(e);
          return;
        }
        // Answered before the next message is taken: grpc delivers the next one only once this
        // returns, which bounds what a client has in flight.
        response.ifPresent(published -> responses.onNext(published.join()));
      }

      @Override
      public void onError(Throwable error) {
        done = true;
      }

      @Override
      public void onCompleted() {
        if (!done) {
          done = true;
          responses.onCompleted();
        }
      }
    };
  }

  @Override
  public void recordEvent(
      RecordEventRequest request, StreamObserver<RecordEventResponse> response) {
    RecordEventResponse answer;
    try {
      answer = await(calls.recordEvent(InstanceAuthInterceptor.SENDER.get(), request));
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    }
    response.onNext(answer);
    response.onCompleted();
  }

  /** The future's value; a {@link StatusRuntimeException} it failed with is thrown as it is. */
  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof StatusRuntimeException status) {
        throw status;
      }
      throw e;
    }
  }
}
