package dev.tally.gateway;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;
import java.util.Optional;

/**
 * Authenticates every call by its {@code Authorization: Bearer <token>} header and makes the
 * token's sender available to the service as {@link #SENDER}. A missing or unknown token ends the
 * call with {@code UNAUTHENTICATED}.
 */
public final class InstanceAuthInterceptor implements ServerInterceptor {
  /** The sender (instance or service ID) the call's token belongs to. */
  public static final Context.Key<String> SENDER = Context.key("tally-sender");

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final InstanceTokens tokens;

  public InstanceAuthInterceptor(InstanceTokens tokens) {
    this.tokens = tokens;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String authorization = headers.get(AUTHORIZATION);
    if (authorization == null) {
      return refuse(call, "send the instance token as 'Authorization: Bearer <token>'");
    }
    String[] parts = authorization.trim().split("\\s+", 2);
    if (parts.length != 2 || !parts[0].toLowerCase(Locale.ROOT).equals("bearer")) {
      return refuse(call, "the Authorization header must be 'Bearer <token>'");
    }
    Optional<String> sender = tokens.senderOf(parts[1].trim());
    if (sender.isEmpty()) {
      return refuse(call, "the instance token is not valid");
    }
    return Contexts.interceptCall(
        Context.current().withValue(SENDER, sender.get()), call, headers, next);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(
      ServerCall<ReqT, RespT> call, String message) {
    call.close(Status.UNAUTHENTICATED.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
