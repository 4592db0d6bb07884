package dev.tally.export;

import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.util.List;
import java.util.Set;

/** Sends events to the Telemetry Gateway in one {@code RecordEvents} call. */
public interface GatewayClient extends AutoCloseable {
  /**
   * Sends the metadata and then each frame of events.
   *
   * @return the IDs the gateway acknowledged; events not listed were not accepted
   * @throws GatewayException when the call failed; IDs acknowledged before the failure are in
   *     {@link GatewayException#acknowledged()}
   */
  Set<String> send(RecordEventsRequestMetadata metadata, List<List<Event>> frames)
      throws GatewayException;

  @Override
  default void close() {}

  /** A call that failed, and what the gateway acknowledged before it did. */
  final class GatewayException extends Exception {
    private final Set<String> acknowledged;

    public GatewayException(String message, Set<String> acknowledged, Throwable cause) {
      super(message, cause);
      this.acknowledged = Set.copyOf(acknowledged);
    }

    public Set<String> acknowledged() {
      return acknowledged;
    }
  }
}
