package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.recordevent.console.Console;
import dev.tally.recordevent.console.ConsoleBackend;
import dev.tally.store.StoreException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The console's way into the GraphQL API: a request made with the token of the console's cookie
 * goes through the same checks as one with an {@code Authorization} header (token, request rate
 * limit, the administrator's fields' own checks) and the same schema.
 */
final class ConsoleGraphQl implements ConsoleBackend {
  private final Supplier<RecordEventService> service;

  ConsoleGraphQl(Supplier<RecordEventService> service) {
    this.service = service;
  }

  /** The console, asking the API of {@code service}. */
  static Console console(Supplier<RecordEventService> service) {
    return new Console(new ConsoleGraphQl(service));
  }

  @Override
  public Answer execute(
      HttpRequest request, String token, String query, Map<String, Object> variables) {
    try {
      RecordEventService instance = service.get();
      RequestContext context;
      try {
        context = instance.authenticator().authenticateToken(token, request);
      } catch (Authenticator.UnauthenticatedException e) {
        return error(401, e.getMessage(), "UNAUTHENTICATED", 0);
      }
      try {
        instance.limits().request(context.caller());
      } catch (RateLimitedException e) {
        return error(429, e.getMessage(), "RATE_LIMITED", e.retryAfterSeconds());
      }
      TelemetryGraphQl.Answer answer =
          instance.graphQl().execute(new GraphQlRequest(query, null, variables), context);
      return new Answer(answer.status(), answer.body(), answer.retryAfterSeconds());
    } catch (StoreException e) {
      ErrorMapper.Failure failure = ErrorMapper.storeFailure(e);
      return error(failure.status(), failure.message(), failure.code(), 0);
    }
  }

  private static Answer error(int status, String message, String code, long retryAfterSeconds) {
    return new Answer(
        status,
        Map.of("errors", List.of(Map.of("message", message, "extensions", Map.of("code", code)))),
        retryAfterSeconds);
  }
}
