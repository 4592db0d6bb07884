package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.Caller;

/**
 * What a request presents to say who sends it, checked by {@link RecordEventService#execute}: the
 * headers of a GraphQL request (an access token, or none for an anonymous visitor), the token of a
 * console sign-in, or a console session ({@link ConsoleGraphQl}). None of them shows what it holds
 * in {@link #toString}.
 */
abstract class Credentials {
  /**
   * Whether checking them looks something up: the lookup is made only while the refused ones of the
   * request's address have not spent their budget.
   */
  abstract boolean lookedUp();

  /**
   * The context of a request with these credentials from {@code address}.
   *
   * @throws UnauthenticatedException saying why they are refused; {@link
   *     UnauthenticatedException#lookedUp()} when the refusal counts against the address
   */
  abstract RequestContext authenticate(
      Authenticator authenticator, HttpRequest request, Caller address);

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[redacted]";
  }

  /** The credentials of a GraphQL request's headers: its access token, or none. */
  static Credentials fromHeaders(HttpRequest request) {
    return new Headers(Authenticator.presentsCredentials(request));
  }

  /** An access token a console sign-in sent, checked as that of an {@code Authorization} header. */
  static Credentials token(String token) {
    return new Token(token);
  }

  /** The request's {@code Authorization} header, or an anonymous visitor. */
  private static final class Headers extends Credentials {
    private final boolean presented;

    Headers(boolean presented) {
      this.presented = presented;
    }

    @Override
    boolean lookedUp() {
      return presented;
    }

    @Override
    RequestContext authenticate(Authenticator authenticator, HttpRequest request, Caller address) {
      return authenticator.authenticate(request, address);
    }
  }

  /** An access token. */
  private static final class Token extends Credentials {
    private final String token;

    Token(String token) {
      this.token = token;
    }

    @Override
    boolean lookedUp() {
      return true;
    }

    @Override
    RequestContext authenticate(Authenticator authenticator, HttpRequest request, Caller address) {
      return authenticator.authenticateToken(token, request);
    }
  }
}
