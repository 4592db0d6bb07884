package dev.tally.gateway;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventResponse;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What the gateway's two methods do once a call's sender is known and its messages are read,
 * whatever carried them: {@code RecordEvents} ({@link #recordEvents}) and {@code RecordEvent}
 * ({@link #recordEvent}). The native gRPC service ({@link GatewayService}, behind {@link
 * InstanceAuthInterceptor}) and the gateway function's gRPC-web handler both run their calls here.
 *
 * <p>A call that must end with an error status throws a {@link StatusRuntimeException} with it;
 * every status and message a sender sees comes from here.
 */
public final class GatewayCalls {
  /**
   * How deeply nested a request may be. Protobuf reads 100 levels by default, counted from the
   * request, so an event an instance could read and send (100 levels from the event) would fail its
   * whole frame here, two levels further down; with 200 every such event is read, and judged on its
   * own.
   */
  public static final int MAX_NESTING = 200;

  private final EventIngester ingester;

  public GatewayCalls(EventIngester ingester) {
    this.ingester = Objects.requireNonNull(ingester, "ingester");
  }

  /**
   * Reads one request message of a call, nested up to {@value #MAX_NESTING} levels, as grpc-java's
   * protobuf marshaller reads it for the native service.
   *
   * @throws StatusRuntimeException {@code UNKNOWN}, naming the problem, when the bytes are not such
   *     a message: the code grpc-java's server ends such a call with
   */
  public static <T extends MessageLite> T parse(Parser<T> parser, byte[] message) {
    CodedInputStream in = CodedInputStream.newInstance(message);
    in.setRecursionLimit(MAX_NESTING);
    try {
      T parsed = parser.parseFrom(in);
      in.checkLastTagWas(0);
      return parsed;
    } catch (InvalidProtocolBufferException e) {
      throw Status.UNKNOWN
          .withDescription("the request message cannot be read: " + e.getMessage())
          .asRuntimeException();
    }
  }

  /**
   * Starts a {@code RecordEvents} call.
   *
   * @param sender who the call's token belongs to
   */
  public RecordEventsCall recordEvents(InstanceTokens.Sender sender) {
    return new RecordEventsCall(ingester, Objects.requireNonNull(sender, "sender"));
  }

  /**
   * Runs a {@code RecordEvent} call: publishes its one event.
   *
   * @param sender who the call's token belongs to
   * @return the response, once Pub/Sub accepted the event; it fails with a {@link
   *     StatusRuntimeException} when the event is not recorded: {@code UNAVAILABLE} when its
   *     publish failed (the sender tries again), {@code INVALID_ARGUMENT} when it can never be
   *     accepted
   * @throws StatusRuntimeException when the request is refused before anything is published
   */
  public CompletableFuture<RecordEventResponse> recordEvent(
      InstanceTokens.Sender sender, RecordEventRequest request) {
    RecordEventsRequestMetadata metadata = checkedMetadata(request.getMetadata(), sender);
    if (!request.hasEvent()) {
      throw Status.INVALID_ARGUMENT.withDescription("'event' must be set").asRuntimeException();
    }
    return ingester
        .ingestAsync(
            metadata,
            EventMessages.metadataJson(EventMessages.publishable(metadata)),
            List.of(request.getEvent()))
        .thenApply(
            result -> {
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
              return RecordEventResponse.getDefaultInstance();
            });
  }

  /**
   * The metadata if it names a known kind of sender, with the identifiers that kind needs, and that
   * sender, kind and ID, is one the token may publish as: a licensed instance needs a licensed
   * instance's token, an unlicensed instance an instance's token of either kind, a managed service
   * a service token. The gateway cannot validate a license key: without this, the holder of an
   * unlicensed instance's token could publish as licensed by sending any key.
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
        switch (identifier.getIdentifierCase()) {
          case LICENSED_INSTANCE -> InstanceTokens.Kind.LICENSED_INSTANCE;
          case MANAGED_SERVICE -> InstanceTokens.Kind.SERVICE;
          default -> InstanceTokens.Kind.INSTANCE;
        };
    if (claimed.isEmpty()) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              identifier.hasManagedService()
                  ? "managed service requires 'service_id'"
                  : "instance requires 'instance_id'")
          .asRuntimeException();
    }
    InstanceTokens.Sender claimedSender = new InstanceTokens.Sender(kind, claimed);
    if (sender.mayPublishAs(claimedSender)) {
      return metadata;
    }
    if (kind == InstanceTokens.Kind.LICENSED_INSTANCE
        && sender.kind() == InstanceTokens.Kind.INSTANCE
        && sender.id().equals(claimed)) {
      throw Status.PERMISSION_DENIED
          .withDescription(
              "the token of instance '"
                  + claimed
                  + "' may publish only as an unlicensed instance (the gateway cannot check a"
                  + " license key): to publish as a licensed instance, the gateway's operator"
                  + " lists the token as licensed-instance:"
                  + claimed
                  + "=<the token's SHA-256> in "
                  + GatewayConfig.TOKENS)
          .asRuntimeException();
    }
    throw Status.PERMISSION_DENIED
        .withDescription("the token does not belong to " + claimedSender)
        .asRuntimeException();
  }
}
