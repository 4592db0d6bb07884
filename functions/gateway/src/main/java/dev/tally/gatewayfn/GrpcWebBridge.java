package dev.tally.gatewayfn;

import dev.tally.gateway.GatewayCalls;
import dev.tally.gateway.GatewayConfig;
import dev.tally.gateway.InstanceTokens;
import dev.tally.gateway.RecordEventsCall;
import dev.tally.grpcweb.GrpcWebFrames;
import dev.tally.log.JsonLog;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Answers gRPC-web requests by running the gateway's calls ({@link GatewayCalls}) directly: it
 * decodes the body's frames, reads each message as the method's request, and frames the call's
 * responses and closing status as gRPC-web. No gRPC server or channel is involved; the statuses are
 * those the native service gives.
 *
 * <p>Client streams are half-duplex: every request message is at hand when the call starts, so the
 * events messages of a {@code RecordEvents} call publish {@value #FRAMES_IN_FLIGHT} at a time, each
 * starting as soon as a place is free, and the answers follow in the order of the messages.
 */
final class GrpcWebBridge {
  static final String RECORD_EVENTS = TelemeteryGatewayServiceGrpc.SERVICE_NAME + "/RecordEvents";
  static final String RECORD_EVENT = TelemeteryGatewayServiceGrpc.SERVICE_NAME + "/RecordEvent";

  /**
   * Events messages of one call publishing at once. Measured under the export benchmark (five runs
   * of 100,000 events, requests of two frames, two calls at once): with every frame of a call at
   * once, or two, the gateway's peak resident set was 257–273 MiB in a 256 MiB JVM (its heap filled
   * with what was in flight); with one, 244–245 MiB, at the same 30,600 events/s. A call's frames
   * therefore publish one after the other, each read only when the one before it is answered.
   */
  static final int FRAMES_IN_FLIGHT = 1;

  /** Whom the warm-up call claims to be: never its sender, so that it is refused. */
  private static final InstanceTokens.Sender WARM_UP_SENDER =
      new InstanceTokens.Sender(InstanceTokens.Kind.SERVICE, "warm-up");

  private final GatewayCalls calls;
  private final long defaultTimeoutMillis;
  private final int maxFrames;

  /**
   * @param defaultTimeoutMillis longest a call may take, whatever its {@code grpc-timeout} asks
   * @param maxFrames most frames one request may hold
   */
  GrpcWebBridge(GatewayCalls calls, long defaultTimeoutMillis, int maxFrames) {
    this.calls = calls;
    this.defaultTimeoutMillis = defaultTimeoutMillis;
    this.maxFrames = maxFrames;
  }

  /** A gRPC-web response: HTTP headers (the gRPC status of a trailers-only answer) and body. */
  record Response(Map<String, String> headers, byte[] body) {}

  /** What a call gave: its responses, in order, and the status it ended with. */
  private record Outcome(List<byte[]> responses, Status status) {}

  /**
   * Runs one call.
   *
   * @param path the request path; it ends with {@code /<service>/<method>}
   * @param text whether the body is base64 ({@code application/grpc-web-text})
   * @param grpcTimeout the {@code grpc-timeout} header, or {@code null}
   * @param sender who the request's token belongs to
   */
  Response handle(
      String path, boolean text, String grpcTimeout, InstanceTokens.Sender sender, byte[] body) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis(grpcTimeout));
    String method = method(path);
    if (method == null) {
      return trailersOnly(Status.UNIMPLEMENTED.withDescription("unknown method " + path));
    }
    List<byte[]> messages = new ArrayList<>();
    try {
      byte[] frames = text ? GrpcWebFrames.decodeText(body) : body;
      for (GrpcWebFrames.Frame frame : GrpcWebFrames.decode(frames, maxFrames)) {
        if (frame.isCompressed()) {
          return trailersOnly(
              Status.UNIMPLEMENTED.withDescription("compressed messages are not supported"));
        }
        if (!frame.isTrailers()) {
          messages.add(frame.payload());
        }
      }
    } catch (GrpcWebFrames.MalformedException e) {
      return trailersOnly(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    } catch (GrpcWebFrames.TooManyFramesException e) {
      return trailersOnly(
          Status.RESOURCE_EXHAUSTED.withDescription(
              e.getMessage()
                  + " (limit set by "
                  + GatewayConfig.MAX_FRAMES_PER_CALL
                  + "); send fewer, larger frames or smaller batches"));
    }
    if (method.equals(RECORD_EVENT) && messages.size() != 1) {
      return trailersOnly(
          Status.INVALID_ARGUMENT.withDescription(
              "RecordEvent takes exactly one message, got " + messages.size()));
    }

    Outcome outcome;
    try {
      outcome =
          method.equals(RECORD_EVENTS)
              ? recordEvents(sender, messages, deadline)
              : recordEvent(sender, messages.get(0), deadline);
    } catch (RuntimeException e) {
      outcome = new Outcome(List.of(), failedUnexpectedly(e));
    }
    if (outcome.responses().isEmpty() && !outcome.status().isOk()) {
      return trailersOnly(outcome.status());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] response : outcome.responses()) {
      out.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, response));
    }
    out.writeBytes(GrpcWebFrames.trailers(statusHeaders(outcome.status())));
    return new Response(Map.of(), out.toByteArray());
  }

  /**
   * Takes the messages in order, each events message starting to publish as soon as it is taken,
   * with at most {@value #FRAMES_IN_FLIGHT} of them publishing at once, and answers them in order.
   * A message the call refuses ends it: later ones are not read.
   */
  private Outcome recordEvents(InstanceTokens.Sender sender, List<byte[]> messages, long deadline) {
    RecordEventsCall call = calls.recordEvents(sender);
    List<CompletableFuture<RecordEventsResponse>> answers = new ArrayList<>();
    List<byte[]> responses = new ArrayList<>();
    Status status = Status.OK;
    try {
      for (int i = 0; i < messages.size(); i++) {
        if (answers.size() - responses.size() >= FRAMES_IN_FLIGHT) {
          responses.add(await(answers.get(responses.size()), deadline).toByteArray());
        }
        byte[] message = messages.get(i);
        // A message read is dropped at once: a call's frames are not all kept until it ends.
        messages.set(i, null);
        try {
          call.next(GatewayCalls.parse(RecordEventsRequest.parser(), message))
              .ifPresent(answers::add);
        } catch (StatusRuntimeException e) {
          status = e.getStatus();
          break;
        }
      }
      while (responses.size() < answers.size()) {
        responses.add(await(answers.get(responses.size()), deadline).toByteArray());
      }
    } catch (StatusRuntimeException e) {
      return new Outcome(responses, e.getStatus());
    }
    return new Outcome(responses, status);
  }

  private Outcome recordEvent(InstanceTokens.Sender sender, byte[] message, long deadline) {
    try {
      RecordEventRequest request = GatewayCalls.parse(RecordEventRequest.parser(), message);
      return new Outcome(
          List.of(await(calls.recordEvent(sender, request), deadline).toByteArray()), Status.OK);
    } catch (StatusRuntimeException e) {
      return new Outcome(List.of(), e.getStatus());
    }
  }

  /**
   * A call's response, once it is complete, if it is by the call's deadline.
   *
   * @throws StatusRuntimeException the status the call ends with instead: the one the response
   *     failed with, or {@code DEADLINE_EXCEEDED}
   */
  private static <T> T await(CompletableFuture<T> response, long deadline) {
    try {
      return response.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // What was handed to Pub/Sub may still be published: a duplicate when sent again.
      throw Status.DEADLINE_EXCEEDED
          .withDescription("the call did not finish within its deadline")
          .asRuntimeException();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException refused) {
        throw refused;
      }
      throw failedUnexpectedly(e.getCause()).asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  /** A failure no sender can cause: logged with its stack trace, answered with {@code UNKNOWN}. */
  private static Status failedUnexpectedly(Throwable error) {
    JsonLog.error("gRPC-web call failed", error, Map.of());
    return Status.UNKNOWN.withDescription("the call failed unexpectedly").withCause(error);
  }

  /**
   * Runs one refused call through the whole path (frames, message, metadata check, answer), so that
   * the first real call is not the first.
   */
  Response warmUp() {
    RecordEventsRequest metadata =
        RecordEventsRequest.newBuilder()
            .setMetadata(
                RecordEventsRequestMetadata.newBuilder()
                    .setRequestId("warm-up")
                    .setIdentifier(
                        Identifier.newBuilder()
                            .setUnlicensedInstance(
                                Identifier.UnlicensedInstanceIdentifier.newBuilder()
                                    .setInstanceId(WARM_UP_SENDER.id()))))
            .build();
    return handle(
        "/" + RECORD_EVENTS,
        false,
        null,
        WARM_UP_SENDER,
        GrpcWebFrames.frame(GrpcWebFrames.DATA, metadata.toByteArray()));
  }

  /** The method's full name ({@code <service>/<method>}), or {@code null} when it has none. */
  private static String method(String path) {
    int second = path.lastIndexOf('/');
    int first = second <= 0 ? -1 : path.lastIndexOf('/', second - 1);
    if (first < 0) {
      return null;
    }
    String method = path.substring(first + 1);
    return method.equals(RECORD_EVENTS) || method.equals(RECORD_EVENT) ? method : null;
  }

  private long timeoutMillis(String grpcTimeout) {
    if (grpcTimeout == null || grpcTimeout.length() < 2) {
      return defaultTimeoutMillis;
    }
    try {
      long amount = Long.parseLong(grpcTimeout.substring(0, grpcTimeout.length() - 1));
      long millis =
          switch (grpcTimeout.charAt(grpcTimeout.length() - 1)) {
            case 'H' -> TimeUnit.HOURS.toMillis(amount);
            case 'M' -> TimeUnit.MINUTES.toMillis(amount);
            case 'S' -> TimeUnit.SECONDS.toMillis(amount);
            case 'm' -> amount;
            case 'u' -> TimeUnit.MICROSECONDS.toMillis(amount);
            case 'n' -> TimeUnit.NANOSECONDS.toMillis(amount);
            default -> defaultTimeoutMillis;
          };
      return Math.max(1, Math.min(millis, defaultTimeoutMillis));
    } catch (NumberFormatException e) {
      return defaultTimeoutMillis;
    }
  }

  static Response trailersOnly(Status status) {
    return new Response(statusHeaders(status), new byte[0]);
  }

  static Map<String, String> statusHeaders(Status status) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("grpc-status", String.valueOf(status.getCode().value()));
    headers.put("grpc-message", GrpcWebFrames.encodeMessage(status.getDescription()));
    return headers;
  }

  /** Base64 of a binary body, for {@code -text} responses. */
  static byte[] toText(byte[] body) {
    return Base64.getEncoder().encodeToString(body).getBytes(StandardCharsets.US_ASCII);
  }
}
