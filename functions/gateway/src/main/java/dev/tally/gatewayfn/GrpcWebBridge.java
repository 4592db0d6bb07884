package dev.tally.gatewayfn;

import dev.tally.gateway.GatewayConfig;
import dev.tally.grpcweb.GrpcWebFrames;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Serves gRPC-web requests with a grpc-java service: each request becomes a call on an in-process
 * server, so the service, its interceptors and its statuses are exactly those of native gRPC.
 * Client streams are half-duplex: all request messages are sent, then all responses come back.
 */
final class GrpcWebBridge implements AutoCloseable {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** Request headers passed on to the service as gRPC metadata. */
  private static final List<String> FORWARDED_HEADERS =
      List.of(
          "authorization",
          "x-request-id",
          "user-agent",
          "x-user-agent",
          "traceparent",
          "x-cloud-trace-context");

  private final Server server;
  private final ManagedChannel channel;
  private final Map<String, MethodDescriptor<byte[], byte[]>> methods = new LinkedHashMap<>();
  private final long defaultTimeoutMillis;
  private final int maxFrames;

  /**
   * @param defaultTimeoutMillis longest a call may take, whatever its {@code grpc-timeout} asks
   * @param maxFrames most frames one request may hold
   */
  GrpcWebBridge(ServerServiceDefinition service, long defaultTimeoutMillis, int maxFrames) {
    String name = "gateway-" + UUID.randomUUID();
    try {
      this.server = InProcessServerBuilder.forName(name).addService(service).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-process gRPC server", e);
    }
    try {
      this.channel = InProcessChannelBuilder.forName(name).build();
      for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
        MethodDescriptor<?, ?> descriptor = method.getMethodDescriptor();
        methods.put(descriptor.getFullMethodName(), descriptor.toBuilder(BYTES, BYTES).build());
      }
    } catch (RuntimeException | Error e) {
      server.shutdownNow();
      throw e;
    }
    this.defaultTimeoutMillis = defaultTimeoutMillis;
    this.maxFrames = maxFrames;
  }

  /** A gRPC-web response: HTTP headers (the gRPC status of a trailers-only answer) and body. */
  record Response(Map<String, String> headers, byte[] body) {}

  /**
   * Runs one call.
   *
   * @param path the request path; it ends with {@code /<service>/<method>}
   * @param text whether the body is base64 ({@code application/grpc-web-text})
   * @param headers request headers, names in lower case
   */
  Response handle(String path, boolean text, Map<String, String> headers, byte[] body) {
    MethodDescriptor<byte[], byte[]> method = method(path);
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
    if (method.getType().clientSendsOneMessage() && messages.size() != 1) {
      return trailersOnly(
          Status.INVALID_ARGUMENT.withDescription(
              method.getBareMethodName() + " takes exactly one message, got " + messages.size()));
    }

    long timeoutMillis = timeoutMillis(headers.get("grpc-timeout"));
    Metadata metadata = new Metadata();
    for (String name : FORWARDED_HEADERS) {
      String value = headers.get(name);
      if (value != null) {
        metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
      }
    }
    Collector collector = new Collector();
    ClientCall<byte[], byte[]> call =
        channel.newCall(
            method, CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS));
    call.start(collector, metadata);
    call.request(Integer.MAX_VALUE);
    for (byte[] message : messages) {
      call.sendMessage(message);
    }
    call.halfClose();

    Status status;
    try {
      status = collector.closed.get(timeoutMillis + 5_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel("gRPC-web request timed out", e);
      status = Status.DEADLINE_EXCEEDED.withDescription("the call did not finish in time");
    } catch (ExecutionException e) {
      status = Status.INTERNAL.withDescription("the call failed").withCause(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel("interrupted", e);
      status = Status.CANCELLED.withDescription("interrupted");
    }
    if (collector.messages.isEmpty() && !status.isOk()) {
      return trailersOnly(status);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    synchronized (collector.messages) {
      for (byte[] message : collector.messages) {
        out.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, message));
      }
    }
    out.writeBytes(GrpcWebFrames.trailers(statusHeaders(status)));
    return new Response(Map.of(), out.toByteArray());
  }

  /** Runs one refused call through the whole path, so that the first real call is not the first. */
  void warmUp() {
    handle(
        "/" + methods.keySet().iterator().next(),
        false,
        Map.of(),
        GrpcWebFrames.frame(GrpcWebFrames.DATA, new byte[0]));
  }

  private MethodDescriptor<byte[], byte[]> method(String path) {
    int second = path.lastIndexOf('/');
    int first = second <= 0 ? -1 : path.lastIndexOf('/', second - 1);
    if (first < 0) {
      return null;
    }
    return methods.get(path.substring(first + 1));
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

  @Override
  public void close() throws InterruptedException {
    channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdown().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Gathers a call's responses and its closing status. */
  private static final class Collector extends ClientCall.Listener<byte[]> {
    final List<byte[]> messages = new ArrayList<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();

    @Override
    public void onMessage(byte[] message) {
      synchronized (messages) {
        messages.add(message);
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.complete(status);
    }
  }
}
