package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitConfig;
import dev.tally.ratelimit.RateLimitedException;

/**
 * The HTTP side of what a request passes before its body is read, cheapest first, so that a flood
 * is refused before it costs a database lookup or memory:
 *
 * <ol>
 *   <li>the requests of its address, whoever sends it ({@value
 *       RateLimitConfig#ADDRESS_REQUESTS_PER_MINUTE}), by the rule of {@link Caller#anonymous}
 *       ({@link #admitAddress});
 *   <li>its credentials and the caller's requests ({@value RateLimitConfig#REQUESTS_PER_MINUTE}),
 *       which {@link RecordEventService#execute} checks for the function and the console alike;
 *   <li>the caller's bytes ({@value RateLimitConfig#BYTES_PER_MINUTE}, {@value
 *       RateLimitConfig#ANONYMOUS_BYTES_PER_MINUTE}): the declared {@code Content-Length} before
 *       the body is read; a body of unknown length is refused unread while the caller's bytes are
 *       spent ({@link #admitBody}), else counted once read ({@link #bodyRead}).
 * </ol>
 */
final class RequestGate {
  private final CallerLimits limits;

  RequestGate(CallerLimits limits) {
    this.limits = limits;
  }

  /**
   * Counts a request, the console's included, against its address's requests.
   *
   * @return the request's caller as an anonymous one, by its address
   * @throws RateLimitedException over the budget; the body must be left unread
   */
  Caller admitAddress(HttpRequest request) {
    Caller address = limits.anonymousCaller(Authenticator.forwardedFor(request));
    limits.addressRequest(address);
    return address;
  }

  /**
   * Lets the body of an admitted caller be read: its declared length is counted against the
   * caller's bytes, or, of unknown length, it is let through while the caller has bytes left.
   *
   * @throws RateLimitedException over the budget; the body must be left unread
   */
  void admitBody(HttpRequest request, RequestContext context) {
    long declared = request.getContentLength();
    if (declared >= 0) {
      limits.declaredBytes(context.caller(), declared);
    } else {
      limits.undeclaredBytes(context.caller());
    }
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
}
