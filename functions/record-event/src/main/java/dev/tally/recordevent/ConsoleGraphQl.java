package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.recordevent.console.Console;
import dev.tally.recordevent.console.ConsoleBackend;
import dev.tally.recordevent.console.SignInAttempts;
import dev.tally.store.ConsoleSessions;
import dev.tally.store.StoreException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The console's way into the GraphQL API. Sign-in checks the token exactly as an {@code
 * Authorization} header's and opens a {@link ConsoleSessions console session}; each later request
 * checks the session and its token (still valid, its scopes as they are now), then goes through the
 * same request rate limit, the administrator's fields' own checks (site-admin scope, administrator
 * rate limit) and the same schema as any other request.
 */
final class ConsoleGraphQl implements ConsoleBackend {
  private final Supplier<RecordEventService> service;

  ConsoleGraphQl(Supplier<RecordEventService> service) {
    this.service = service;
  }

  /** The console, asking the API of {@code service}. */
  static Console console(RecordEventConfig config, Supplier<RecordEventService> service) {
    return new Console(
        new ConsoleGraphQl(service),
        new SignInAttempts(
            config.consoleSignInAttemptsPerMinute(),
            RecordEventConfig.CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE,
            config.rateLimits().trustedProxies(),
            Clock.systemUTC()));
  }

  @Override
  public SignIn signIn(HttpRequest request, String token, String query) {
    try {
      RecordEventService instance = service.get();
      Caller address = address(instance, request);
      RequestContext context;
      try {
        instance.limits().tokenLookup(address);
        context = instance.authenticator().authenticateToken(token, request);
      } catch (RateLimitedException e) {
        return new SignIn(error(429, e.getMessage(), "RATE_LIMITED", e.retryAfterSeconds()), null);
      } catch (Authenticator.UnauthenticatedException e) {
        instance.limits().failedAuthentication(address);
        return new SignIn(error(401, e.getMessage(), "UNAUTHENTICATED", 0), null);
      }
      Answer answer = run(instance, context, query, Map.of());
      if (answer.status() != 200 || answer.errorCode() != null) {
        return new SignIn(answer, null);
      }
      ConsoleSessions sessions = instance.consoleSessions();
      // Sign-ins are rare: a good time to keep the table small.
      sessions.deleteEnded();
      Optional<ConsoleSessions.Opened> opened = sessions.open(token);
      if (opened.isEmpty()) {
        // Revoked or expired since it was checked a moment ago.
        return new SignIn(
            error(401, "the access token is no longer valid", "UNAUTHENTICATED", 0), null);
      }
      return new SignIn(answer, opened.get().sessionId());
    } catch (StoreException e) {
      return new SignIn(storeFailure(e), null);
    }
  }

  @Override
  public Answer execute(
      HttpRequest request, String sessionId, String query, Map<String, Object> variables) {
    try {
      RecordEventService instance = service.get();
      // A session is looked up as a token is: not while the address's refused ones are spent.
      Caller address = address(instance, request);
      try {
        instance.limits().tokenLookup(address);
      } catch (RateLimitedException e) {
        return error(429, e.getMessage(), "RATE_LIMITED", e.retryAfterSeconds());
      }
      ConsoleSessions.Check check = instance.consoleSessions().check(sessionId);
      if (check instanceof ConsoleSessions.Check.Rejected rejected) {
        if (rejected.reason() == ConsoleSessions.Check.Reason.UNKNOWN) {
          instance.limits().failedAuthentication(address);
        }
        return error(401, refusal(rejected.reason()), "UNAUTHENTICATED", 0);
      }
      ConsoleSessions.Check.Valid valid = (ConsoleSessions.Check.Valid) check;
      RequestContext context =
          instance.authenticator().signedIn(valid.userId(), valid.isSiteAdmin(), request);
      return run(instance, context, query, variables);
    } catch (StoreException e) {
      return storeFailure(e);
    }
  }

  @Override
  public Answer signOut(String sessionId) {
    try {
      service.get().consoleSessions().end(sessionId);
      return Answer.DONE;
    } catch (StoreException e) {
      return storeFailure(e);
    }
  }

  /** The address a request came from, as the rate limits count it. */
  private static Caller address(RecordEventService instance, HttpRequest request) {
    return instance.limits().anonymousCaller(Authenticator.forwardedFor(request));
  }

  /** A request of an authenticated caller: its rate limit, then the schema. */
  private static Answer run(
      RecordEventService instance,
      RequestContext context,
      String query,
      Map<String, Object> variables) {
    try {
      instance.limits().request(context.caller());
    } catch (RateLimitedException e) {
      return error(429, e.getMessage(), "RATE_LIMITED", e.retryAfterSeconds());
    }
    TelemetryGraphQl.Answer answer =
        instance.graphQl().execute(new GraphQlRequest(query, null, variables), context);
    return new Answer(answer.status(), answer.body(), answer.retryAfterSeconds());
  }

  /** Why a session no longer works, in words. */
  static String refusal(ConsoleSessions.Check.Reason reason) {
    return switch (reason) {
      case UNKNOWN -> "this console session is not known here";
      case SIGNED_OUT -> "this console session was signed out";
      case EXPIRED ->
          "this console session has expired: a sign-in lasts "
              + ConsoleSessions.LIFETIME.toHours()
              + " hours";
      case IDLE ->
          "this console session ended after "
              + ConsoleSessions.IDLE_TIMEOUT.toMinutes()
              + " minutes without a request";
      case TOKEN_REVOKED -> "the access token this console session was opened with was revoked";
      case TOKEN_EXPIRED -> "the access token this console session was opened with has expired";
    };
  }

  private static Answer storeFailure(StoreException e) {
    ErrorMapper.Failure failure = ErrorMapper.storeFailure(e);
    return error(failure.status(), failure.message(), failure.code(), 0);
  }

  private static Answer error(int status, String message, String code, long retryAfterSeconds) {
    return new Answer(
        status,
        Map.of("errors", List.of(Map.of("message", message, "extensions", Map.of("code", code)))),
        retryAfterSeconds);
  }
}
