package dev.tally.grpcweb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Calls a gRPC method over gRPC-web (HTTP/1.1): sends all request messages in one body and reads
 * all response messages and the status. Thread-safe; share one per process.
 */
public final class GrpcWebClient {
  private final HttpClient http;

  public GrpcWebClient(Duration connectTimeout) {
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  /**
   * The outcome of a call.
   *
   * @param httpStatus the HTTP status (200 for every gRPC outcome)
   * @param grpcStatus the gRPC status code, 0 for OK
   * @param grpcMessage the status message, decoded, or {@code null}
   * @param messages the response messages, in order
   */
  public record Result(int httpStatus, int grpcStatus, String grpcMessage, List<byte[]> messages) {
    public boolean isOk() {
      return grpcStatus == 0;
    }
  }

  private static NoGrpcStatusException noGrpcStatus(HttpResponse<byte[]> response) {
    return new NoGrpcStatusException(
        response.statusCode(),
        "HTTP "
            + response.statusCode()
            + " without a gRPC status: "
            + new String(
                response.body(), 0, Math.min(200, response.body().length), StandardCharsets.UTF_8));
  }

  /** An HTTP answer without a gRPC status: not from a gRPC-web server, or not from its method. */
  public static final class NoGrpcStatusException extends IOException {
    private final int httpStatus;

    NoGrpcStatusException(int httpStatus, String message) {
      super(message);
      this.httpStatus = httpStatus;
    }

    public int httpStatus() {
      return httpStatus;
    }
  }

  /** A gRPC-web answer that cannot be decoded: bad base64, truncated frames, a bad status. */
  public static final class MalformedAnswerException extends IOException {
    MalformedAnswerException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Calls {@code fullMethodName} ({@code package.Service/Method}) at {@code baseUrl}.
   *
   * @param text send and expect {@code application/grpc-web-text} instead of binary
   * @param headers extra request headers, such as {@code authorization}
   * @throws NoGrpcStatusException when the answer carries no gRPC status
   * @throws MalformedAnswerException when the answer cannot be decoded
   * @throws IOException when the server cannot be reached or the connection fails
   */
  public Result call(
      URI baseUrl,
      String fullMethodName,
      List<byte[]> requests,
      Map<String, String> headers,
      boolean text,
      Duration timeout)
      throws IOException, InterruptedException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] request : requests) {
      body.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, request));
    }
    return callWithBody(baseUrl, fullMethodName, body.toByteArray(), headers, text, timeout);
  }

  /**
   * Calls {@code fullMethodName} as {@link #call} does, with the request messages already framed:
   * {@code body} is the binary gRPC-web body (data frames), sent as it is (as base64 when {@code
   * text}).
   */
  public Result callWithBody(
      URI baseUrl,
      String fullMethodName,
      byte[] body,
      Map<String, String> headers,
      boolean text,
      Duration timeout)
      throws IOException, InterruptedException {
    byte[] payload = text ? Base64.getEncoder().encode(body) : body;
    String base = baseUrl.toString();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create((base.endsWith("/") ? base : base + "/") + fullMethodName))
            .timeout(timeout)
            .header(
                "Content-Type",
                text ? "application/grpc-web-text+proto" : "application/grpc-web+proto")
            .header("Accept", text ? "application/grpc-web-text" : "application/grpc-web")
            .header("X-Grpc-Web", "1")
            .header("grpc-timeout", Math.max(1, timeout.toMillis()) + "m")
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
    headers.forEach(request::header);
    HttpResponse<byte[]> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());

    Optional<String> headerStatus = response.headers().firstValue("grpc-status");
    boolean grpcWeb =
        response
            .headers()
            .firstValue("content-type")
            .map(type -> type.toLowerCase(Locale.ROOT).startsWith("application/grpc-web"))
            .orElse(false);
    if (headerStatus.isEmpty() && !grpcWeb) {
      // Not the method's answer: a proxy's or a load balancer's page, for example.
      throw noGrpcStatus(response);
    }
    byte[] responseBody = response.body();
    if (text && responseBody.length > 0) {
      try {
        responseBody = GrpcWebFrames.decodeText(responseBody);
      } catch (GrpcWebFrames.MalformedException e) {
        throw new MalformedAnswerException(
            "the gRPC-web-text answer is not base64: " + e.getMessage(), e);
      }
    }
    List<byte[]> messages = new ArrayList<>();
    Map<String, String> trailers = Map.of();
    try {
      for (GrpcWebFrames.Frame frame : GrpcWebFrames.decode(responseBody)) {
        if (frame.isTrailers()) {
          trailers = GrpcWebFrames.parseTrailers(frame.payload());
        } else {
          messages.add(frame.payload());
        }
      }
    } catch (GrpcWebFrames.MalformedException e) {
      throw new MalformedAnswerException("the gRPC-web answer is malformed: " + e.getMessage(), e);
    }
    String status = trailers.getOrDefault("grpc-status", headerStatus.orElse(null));
    if (status == null) {
      throw noGrpcStatus(response);
    }
    String message =
        trailers.containsKey("grpc-message")
            ? trailers.get("grpc-message")
            : response.headers().firstValue("grpc-message").orElse(null);
    try {
      return new Result(
          response.statusCode(),
          Integer.parseInt(status.trim()),
          GrpcWebFrames.decodeMessage(message),
          messages);
    } catch (NumberFormatException e) {
      throw new MalformedAnswerException("grpc-status is not a number: '" + status + "'", e);
    }
  }
}
