package dev.tally.gateway;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Authenticates every native gRPC call by its {@code Authorization: Bearer <token>} header ({@link
 * InstanceTokens#authenticate}) and makes the token's sender available to the service as {@link
 * #SENDER}. A missing or unknown token ends the call with {@code UNAUTHENTICATED}.
 */
public final class InstanceAuthInterceptor implements ServerInterceptor {
  /** The sender (kind and ID) the call's token belongs to. */
  public static final Context.Key<InstanceTokens.Sender> SENDER = Context.key("tally-sender");

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final InstanceTokens tokens;

  public InstanceAuthInterceptor(InstanceTokens tokens) {
    this.tokens = tokens;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    InstanceTokens.Authentication authentication = tokens.authenticate(headers.get(AUTHORIZATION));
    if (authentication.sender() == null) {
      call.close(authentication.refusal(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(SENDER, authentication.sender()), call, headers, next);
  }
}
