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
  /** The sender (kind and ID) the call's token belongs to. */
  public static final Context.Key<InstanceTokens.Sender> SENDER = Context.key("tally-sender");

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final InstanceTokens tokens;

  public InstanceAuthInterceptor(InstanceTokens tokens) {
    this.tokens = tokens;
  }

  /**
   * Who sent a call, or why that cannot be told.
   *
   * @param sender the token's sender, or {@code null}
   * @param refusal the {@code UNAUTHENTICATED} status when there is no sender, else {@code null}
   */
  public record Authentication(InstanceTokens.Sender sender, Status refusal) {}

  /** Checks an {@code Authorization} header's bearer token, which may be {@code null}. */
  public static Authentication authenticate(InstanceTokens tokens, String authorization) {
    if (authorization == null) {
      return refusal("send the instance token as 'Authorization: Bearer <token>'");
    }
    String[] parts = authorization.trim().split("\\s+", 2);
    if (parts.length != 2 || !parts[0].toLowerCase(Locale.ROOT).equals("bearer")) {
      return refusal("the Authorization header must be 'Bearer <token>'");
    }
    Optional<InstanceTokens.Sender> sender = tokens.senderOf(parts[1].trim());
    if (sender.isEmpty()) {
      return refusal("the instance token is not valid");
    }
    return new Authentication(sender.get(), null);
  }

  private static Authentication refusal(String message) {
    return new Authentication(null, Status.UNAUTHENTICATED.withDescription(message));
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Authentication authentication = authenticate(tokens, headers.get(AUTHORIZATION));
    if (authentication.sender() == null) {
      call.close(authentication.refusal(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(SENDER, authentication.sender()), call, headers, next);
  }
}
