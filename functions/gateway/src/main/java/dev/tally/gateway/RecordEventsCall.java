package dev.tally.gateway;

import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One {@code RecordEvents} call from a known sender ({@link GatewayCalls#recordEvents}): takes the
 * call's request messages in the order they were sent and gives one response per events message.
 * The metadata comes first and once, and must name the token's own sender; every events message
 * after it is published and answered with the IDs to acknowledge.
 *
 * <p>An events message starts publishing as soon as it is taken, and its response completes when
 * its events are published: a caller that holds several messages publishes them all at once and
 * answers them in order. The call ends with {@code OK} when every message was taken; a message that
 * breaks its rules ends it with the status {@link #next} throws. One thread at a time sends it its
 * messages.
 */
public final class RecordEventsCall {
  private final EventIngester ingester;
  private final InstanceTokens.Sender sender;
  private RecordEventsRequestMetadata metadata;
  private String metadataJson;
  private boolean ended;

  RecordEventsCall(EventIngester ingester, InstanceTokens.Sender sender) {
    this.ingester = ingester;
    this.sender = sender;
  }

  /**
   * Takes the call's next request message.
   *
   * @return for an events message, its response: the IDs of its events that Pub/Sub accepted or
   *     that can never be accepted, once each event's publish completed or the publish timeout
   *     passed (it lists what was accepted by then); for the metadata, nothing
   * @throws StatusRuntimeException the status the call ends with, when the message breaks the
   *     call's rules; the call then takes no more messages
   * @throws IllegalStateException when the call already ended
   */
  public Optional<CompletableFuture<RecordEventsResponse>> next(RecordEventsRequest request) {
    if (ended) {
      throw new IllegalStateException("the call ended; it takes no more messages");
    }
    try {
      return take(request);
    } catch (StatusRuntimeException e) {
      ended = true;
      throw e;
    }
  }

  private Optional<CompletableFuture<RecordEventsResponse>> take(RecordEventsRequest request) {
    switch (request.getPayloadCase()) {
      case METADATA -> {
        if (metadata != null) {
          throw Status.INVALID_ARGUMENT
              .withDescription("received metadata more than once")
              .asRuntimeException();
        }
        RecordEventsRequestMetadata checked =
            GatewayCalls.checkedMetadata(request.getMetadata(), sender);
        metadataJson = EventMessages.metadataJson(EventMessages.publishable(checked));
        metadata = checked;
        return Optional.empty();
      }
      case EVENTS -> {
        if (metadata == null) {
          throw Status.INVALID_ARGUMENT
              .withDescription("got events when metadata not yet received")
              .asRuntimeException();
        }
        return Optional.of(
            ingester
                .ingestAsync(metadata, metadataJson, request.getEvents().getEventsList())
                .thenApply(
                    result ->
                        RecordEventsResponse.newBuilder()
                            .addAllSucceededEvents(result.succeeded())
                            .build()));
      }
      case PAYLOAD_NOT_SET ->
          throw Status.INVALID_ARGUMENT
              .withDescription("a request must carry metadata or events")
              .asRuntimeException();
      default -> throw new IllegalStateException("unknown payload " + request.getPayloadCase());
    }
  }
}
