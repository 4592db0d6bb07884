package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.recordevent.console.Console;
import dev.tally.recordevent.console.GraphQlApi;
import dev.tally.recordevent.console.SignInAttempts;
import dev.tally.store.ConsoleSessions;
import dev.tally.store.StoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The console's way into the GraphQL API: the same {@link RecordEventService#execute} as the
 * function's requests. Sign-in checks the token exactly as an {@code Authorization} header's and
 * opens a {@link ConsoleSessions console session}; each later request checks the session and its
 * token (still valid, its scopes as they are now), then goes through the same request rate limit,
 * the administrator's fields' own checks (site-admin scope, administrator rate limit) and the same
 * schema as any other request.
 */
final class ConsoleGraphQl implements GraphQlApi {
  private final Supplier<RecordEventService> service;

  ConsoleGraphQl(Supplier<RecordEventService> service) {
    this.service = service;
  }

  /** The console, asking the API of {@code service}. */
  static Console console(RecordEventConfig config, Supplier<RecordEventService> service) {
    return Console.overGraphQl(
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
      Answer answer = execute(instance, request, Credentials.token(token), query, Map.of());
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
      return execute(
          instance, request, new Session(instance.consoleSessions(), sessionId), query, variables);
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

  /** A request with {@code credentials}, refusals answered as GraphQL over HTTP would. */
  private static Answer execute(
      RecordEventService instance,
      HttpRequest request,
      Credentials credentials,
      String query,
      Map<String, Object> variables) {
    Caller address = instance.limits().anonymousCaller(Authenticator.forwardedFor(request));
    GraphQlAnswer answer;
    try {
      answer =
          instance.execute(
              request, address, credentials, context -> new GraphQlRequest(query, null, variables));
    } catch (RateLimitedException e) {
      return error(429, e.getMessage(), "RATE_LIMITED", e.retryAfterSeconds());
    } catch (UnauthenticatedException e) {
      return error(401, e.getMessage(), "UNAUTHENTICATED", 0);
    } catch (IOException e) {
      throw new UncheckedIOException("a console request has no body to read", e);
    }
    return new Answer(answer.status(), answer.body(), answer.retryAfterSeconds());
  }

  /**
   * A console session, checked with its access token's state on every request: a session that is
   * not known counts against its address as a refused token does; one that ended does not.
   */
  private static final class Session extends Credentials {
    private final ConsoleSessions sessions;
    private final String sessionId;

    Session(ConsoleSessions sessions, String sessionId) {
      this.sessions = sessions;
      this.sessionId = sessionId;
    }

    @Override
    boolean lookedUp() {
      return true;
    }

    @Override
    RequestContext authenticate(Authenticator authenticator, HttpRequest request, Caller address) {
      ConsoleSessions.Check check = sessions.check(sessionId);
      if (check instanceof ConsoleSessions.Check.Rejected rejected) {
        throw new UnauthenticatedException(
            refusal(rejected.reason()), rejected.reason() == ConsoleSessions.Check.Reason.UNKNOWN);
      }
      ConsoleSessions.Check.Valid valid = (ConsoleSessions.Check.Valid) check;
      return authenticator.signedIn(valid.userId(), valid.isSiteAdmin(), request);
    }
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
