package dev.tally.export;

import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Sends events to the Telemetry Gateway in one {@code RecordEvents} call. */
public interface GatewayClient extends AutoCloseable {
  /**
   * Sends the metadata and then each frame of events. Each event is an encoded {@code Event}, its
   * payload as queued, sent as it is.
   *
   * @return the IDs the gateway acknowledged; events not listed were not accepted
   * @throws GatewayException when the call failed; IDs acknowledged before the failure are in
   *     {@link GatewayException#acknowledged()}
   */
  Set<String> send(RecordEventsRequestMetadata metadata, List<List<byte[]>> frames)
      throws GatewayException;

  @Override
  default void close() {}

  /** A call that failed, what kind of failure it was, and what the gateway acknowledged before. */
  final class GatewayException extends Exception {
    /** What a failure says about the events of the call, and so what the exporter does next. */
    public enum Kind {
      /**
       * The gateway or the way to it is down or slow (UNAVAILABLE, DEADLINE_EXCEEDED, a refused or
       * reset connection, HTTP 429 or 5xx without a gRPC status): nothing is wrong with the events.
       * Retry them later, with the backoff; stop the run.
       */
      TRANSIENT,
      /**
       * The gateway refused the call in a way one event can cause (RESOURCE_EXHAUSTED,
       * INVALID_ARGUMENT, INTERNAL, UNKNOWN, HTTP 413 or 400 without a gRPC status, a malformed
       * answer): send the events in smaller parts to find the one at fault.
       */
      SUSPECT,
      /**
       * The gateway refuses this sender or this call whatever it holds (UNAUTHENTICATED,
       * PERMISSION_DENIED, UNIMPLEMENTED, no gateway at the address): a configuration to fix. Stop
       * the run.
       */
      REFUSED
    }

    private final Kind kind;
    private final Set<String> acknowledged;

    public GatewayException(Kind kind, String message, Set<String> acknowledged, Throwable cause) {
      super(message, cause);
      this.kind = Objects.requireNonNull(kind, "kind");
      this.acknowledged = Set.copyOf(acknowledged);
    }

    public Kind kind() {
      return kind;
    }

    public Set<String> acknowledged() {
      return acknowledged;
    }

    /** The kind of a call that ended with gRPC status {@code code} (never 0, which is OK). */
    public static Kind ofGrpcStatus(int code) {
      return switch (code) {
        // CANCELLED, DEADLINE_EXCEEDED, ABORTED, UNAVAILABLE
        case 1, 4, 10, 14 -> Kind.TRANSIENT;
        // NOT_FOUND, PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED
        case 5, 7, 12, 16 -> Kind.REFUSED;
        // UNKNOWN, INVALID_ARGUMENT, ALREADY_EXISTS, RESOURCE_EXHAUSTED, FAILED_PRECONDITION,
        // OUT_OF_RANGE, INTERNAL, DATA_LOSS, and codes gRPC does not define
        default -> Kind.SUSPECT;
      };
    }

    /** The kind of an HTTP answer that carries no gRPC status: not the gateway's own answer. */
    public static Kind ofHttpStatus(int status) {
      if (status == 429 || status >= 500) {
        return Kind.TRANSIENT;
      }
      if (status == 400 || status == 413) {
        return Kind.SUSPECT;
      }
      return Kind.REFUSED;
    }
  }
}
