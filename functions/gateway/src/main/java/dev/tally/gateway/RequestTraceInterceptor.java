package dev.tally.gateway;

import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Runs a call's work within its trace ({@code traceparent} or {@code X-Cloud-Trace-Context}
 * metadata), so that the log lines the service writes for it carry the trace as the HTTP request's
 * do.
 */
public final class RequestTraceInterceptor implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    RequestTrace trace =
        RequestTrace.of(
            name ->
                Optional.ofNullable(
                    headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))));
    if (trace == null) {
      return next.startCall(call, headers);
    }
    ServerCall.Listener<ReqT> listener = within(trace, () -> next.startCall(call, headers));
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(ReqT message) {
        try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
          super.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
          super.onCancel();
        }
      }

      @Override
      public void onComplete() {
        try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
          super.onComplete();
        }
      }
    };
  }

  private static <T> T within(RequestTrace trace, Supplier<T> work) {
    try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
      return work.get();
    }
  }
}
