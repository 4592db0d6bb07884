package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitConfig;
import dev.tally.ratelimit.RateLimitedException;
import java.util.function.Supplier;

/**
 * What a GraphQL request passes before its body is read, cheapest first, so that a flood is refused
 * before it costs a database lookup or memory:
 *
 * <ol>
 *   <li>the requests of its address, whoever sends it ({@value
 *       RateLimitConfig#ADDRESS_REQUESTS_PER_MINUTE}), by the rule of {@link Caller#anonymous};
 *   <li>its credentials, from the headers: an access token is looked up only while the tokens of
 *       its address that were refused have not spent their budget ({@value
 *       RateLimitConfig#FAILED_AUTHENTICATIONS_PER_MINUTE}), and one that is refused counts;
 *   <li>the caller's requests ({@value RateLimitConfig#REQUESTS_PER_MINUTE});
 *   <li>the caller's bytes ({@value RateLimitConfig#BYTES_PER_MINUTE}, {@value
 *       RateLimitConfig#ANONYMOUS_BYTES_PER_MINUTE}): the declared {@code Content-Length} before
 *       the body is read; a body of unknown length is refused unread while the caller's bytes are
 *       spent, else counted once read ({@link #bodyRead}).
 * </ol>
 */
final class RequestGate {
  private final CallerLimits limits;
  private final Supplier<RecordEventService> service;

  RequestGate(CallerLimits limits, Supplier<RecordEventService> service) {
    this.limits = limits;
    this.service = service;
  }

  /**
   * The context of a request whose body may now be read.
   *
   * @throws RateLimitedException over a budget; the body must be left unread
   * @throws Authenticator.UnauthenticatedException when its credentials are refused
   */
  RequestContext admit(HttpRequest request) {
    Caller address = limits.anonymousCaller(Authenticator.forwardedFor(request));
    limits.addressRequest(address);
    RequestContext context = authenticate(request, address);
    limits.request(context.caller());
    long declared = request.getContentLength();
    if (declared >= 0) {
      limits.declaredBytes(context.caller(), declared);
    } else {
      limits.undeclaredBytes(context.caller());
    }
    return context;
  }

  /**
   * Counts a request of the console against its address's requests: its pages look sessions up and
   * read what the instance holds.
   *
   * @throws RateLimitedException over the budget; the body must be left unread
   */
  void admitAddress(HttpRequest request) {
    limits.addressRequest(limits.anonymousCaller(Authenticator.forwardedFor(request)));
  }

  /**
   * Counts a body once read, when its length was not declared.
   *
   * @throws RateLimitedException when the caller did not have the bytes left
   */
  void bodyRead(HttpRequest request, RequestContext context, long length) {
    if (request.getContentLength() < 0) {
      limits.readBytes(context.caller(), length);
    }
  }

  private RequestContext authenticate(HttpRequest request, Caller address) {
    Authenticator authenticator = service.get().authenticator();
    if (!Authenticator.presentsCredentials(request)) {
      return authenticator.authenticate(request, address);
    }
    limits.tokenLookup(address);
    try {
      return authenticator.authenticate(request, address);
    } catch (Authenticator.UnauthenticatedException e) {
      if (e.tokenRefused()) {
        limits.failedAuthentication(address);
      }
      throw e;
    }
  }
}
