package dev.tally.gateway;

import com.google.protobuf.Message;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventResponse;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway's gRPC service. Calls must come through {@link InstanceAuthInterceptor}, which
 * establishes who is sending; a token may only send as its own kind of sender (instance or managed
 * service) and ID.
 */
public final class GatewayService
    extends TelemeteryGatewayServiceGrpc.TelemeteryGatewayServiceImplBase {
  /**
   * How deeply nested a request may be. Protobuf reads 100 levels by default, counted from the
   * request, so an event an instance could read and send (100 levels from the event) would fail its
   * whole frame here, two levels further down; with 200 every such event is read, and judged on its
   * own.
   */
  static final int MAX_NESTING = 200;

  private final EventIngester ingester;

  public GatewayService(EventIngester ingester) {
    this.ingester = Objects.requireNonNull(ingester, "ingester");
  }

  /**
   * The service to serve: {@link #bindService()} but reading requests nested up to {@value
   * #MAX_NESTING} levels.
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
                (Message) marshaller.getMessagePrototype(), MAX_NESTING);
    return ServerMethodDefinition.create(
        descriptor.toBuilder().setRequestMarshaller(deeper).build(), method.getServerCallHandler());
  }

  @Override
  public StreamObserver<RecordEventsRequest> recordEvents(
      StreamObserver<RecordEventsResponse> responses) {
    InstanceTokens.Sender sender = InstanceAuthInterceptor.SENDER.get();
    return new StreamObserver<>() {
      private RecordEventsRequestMetadata metadata;
      private String metadataJson;
      private boolean done;
      // Batches are published concurrently; their answers go out in order, one after the other.
      private CompletableFuture<Void> answered = CompletableFuture.completedFuture(null);

      @Override
      public void onNext(RecordEventsRequest request) {
        if (done) {
          return;
        }
        try {
          switch (request.getPayloadCase()) {
            case METADATA -> {
              if (metadata != null) {
                throw Status.INVALID_ARGUMENT
                    .withDescription("received metadata more than once")
                    .asRuntimeException();
              }
              metadata = checkedMetadata(request.getMetadata(), sender);
              metadataJson = EventMessages.metadataJson(EventMessages.publishable(metadata));
            }
            case EVENTS -> {
              if (metadata == null) {
                throw Status.INVALID_ARGUMENT
                    .withDescription("got events when metadata not yet received")
                    .asRuntimeException();
              }
              EventIngester.Result result =
                  ingester.ingest(metadata, metadataJson, request.getEvents().getEventsList());
              responses.onNext(
                  RecordEventsResponse.newBuilder()
                      .addAllSucceededEvents(result.succeeded())
                      .build());
            }
            case PAYLOAD_NOT_SET ->
                throw Status.INVALID_ARGUMENT
                    .withDescription("a request must carry metadata or events")
                    .asRuntimeException();
          }
        } catch (StatusRuntimeException e) {
          done = true;
          answered.whenComplete((ignored, error) -> responses.onError(e));
        }
      }

      @Override
      public void onError(Throwable error) {
        done = true;
      }

      @Override
      public void onCompleted() {
        if (!done) {
          done = true;
          answered.whenComplete(
              (ignored, error) -> {
                if (error == null) {
                  responses.onCompleted();
                } else {
                  responses.onError(
                      Status.INTERNAL
                          .withDescription("publishing failed unexpectedly")
                          .withCause(error)
                          .asRuntimeException());
                }
              });
        }
      }
    };
  }

  @Override
  public void recordEvent(
      RecordEventRequest request, StreamObserver<RecordEventResponse> response) {
    try {
      RecordEventsRequestMetadata metadata =
          checkedMetadata(request.getMetadata(), InstanceAuthInterceptor.SENDER.get());
      if (!request.hasEvent()) {
        throw Status.INVALID_ARGUMENT.withDescription("'event' must be set").asRuntimeException();
      }
      EventIngester.Result result =
          ingester.ingest(
              metadata,
              EventMessages.metadataJson(EventMessages.publishable(metadata)),
              List.of(request.getEvent()));
      if (result.failed() > 0) {
        throw Status.UNAVAILABLE
            .withDescription("the event could not be published; send it again")
            .asRuntimeException();
      }
      if (result.published() == 0) {
        // Rejected for good: tell the caller why rather than pretend it was recorded.
        throw Status.INVALID_ARGUMENT
            .withDescription(
                "the event is invalid: "
                    + result.rejections().stream()
                        .map(EventIngester.Rejection::reason)
                        .findFirst()
                        .orElse("it cannot be published"))
            .asRuntimeException();
      }
      response.onNext(RecordEventResponse.getDefaultInstance());
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  /**
   * The metadata if it names a known kind of sender, with the identifiers that kind needs, and that
   * sender, kind and ID, is the one the token belongs to. A licensed or unlicensed instance needs
   * an instance token, a managed service a service token.
   */
  static RecordEventsRequestMetadata checkedMetadata(
      RecordEventsRequestMetadata metadata, InstanceTokens.Sender sender) {
    Identifier identifier = metadata.getIdentifier();
    String claimed =
        switch (identifier.getIdentifierCase()) {
          case LICENSED_INSTANCE -> identifier.getLicensedInstance().getInstanceId();
          case UNLICENSED_INSTANCE -> identifier.getUnlicensedInstance().getInstanceId();
          case MANAGED_SERVICE -> identifier.getManagedService().getServiceId();
          case IDENTIFIER_NOT_SET ->
              throw Status.UNIMPLEMENTED
                  .withDescription("unsupported or missing identifier kind")
                  .asRuntimeException();
        };
    InstanceTokens.Kind kind =
        identifier.hasManagedService() ? InstanceTokens.Kind.SERVICE : InstanceTokens.Kind.INSTANCE;
    if (claimed.isEmpty()) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              identifier.hasManagedService()
                  ? "managed service requires 'service_id'"
                  : "instance requires 'instance_id'")
          .asRuntimeException();
    }
    InstanceTokens.Sender claimedSender = new InstanceTokens.Sender(kind, claimed);
    if (!claimedSender.equals(sender)) {
      throw Status.PERMISSION_DENIED
          .withDescription("the token does not belong to " + claimedSender)
          .asRuntimeException();
    }
    return metadata;
  }
}
