package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import dev.tally.event.Actor;
import dev.tally.privacy.PrivacySignals;
import dev.tally.ratelimit.Caller;
import dev.tally.store.AccessTokens;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Establishes who sends a request: the user of its access token, or an anonymous visitor. The user
 * comes from the credentials only, never from the events. It also reads what the request's browser
 * says about privacy ({@code Sec-GPC}, {@code DNT}), which travels with the user to where the
 * request's events are stored.
 */
final class Authenticator {
  static final String ANONYMOUS_UID_HEADER = "X-Sourcegraph-Actor-Anonymous-UID";
  static final String INTERACTION_ID_HEADER = "X-Sourcegraph-Interaction-ID";
  static final String AUTHORIZATION_HEADER = "Authorization";

  private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

  private final boolean allowAnonymous;
  private final AccessTokens tokens;

  Authenticator(boolean allowAnonymous, AccessTokens tokens) {
    this.allowAnonymous = allowAnonymous;
    this.tokens = tokens;
  }

  /**
   * The context of a request from {@code address} (the caller of an anonymous request).
   *
   * @throws UnauthenticatedException saying why the credentials are refused
   */
  RequestContext authenticate(HttpRequest request, Caller address) {
    Optional<String> authorization = request.getFirstHeader(AUTHORIZATION_HEADER);
    if (authorization.isPresent()) {
      return authenticateToken(bearerToken(authorization.get()), request);
    }
    String interactionId = request.getFirstHeader(INTERACTION_ID_HEADER).orElse(null);
    String traceId = request.getFirstHeader("traceparent").map(Authenticator::traceId).orElse(null);
    if (!allowAnonymous) {
      throw new UnauthenticatedException(
          "this instance does not record anonymous events; send 'Authorization: token <access"
              + " token>'");
    }
    Actor actor =
        request
            .getFirstHeader(ANONYMOUS_UID_HEADER)
            .map(String::trim)
            .filter(uid -> !uid.isEmpty())
            .map(Actor::anonymous)
            .orElse(Actor.unknown());
    return new RequestContext(actor, false, interactionId, traceId, address, signals(request));
  }

  /** Whether the request presents credentials, which {@link #authenticate} then looks up. */
  static boolean presentsCredentials(HttpRequest request) {
    return request.getFirstHeader(AUTHORIZATION_HEADER).isPresent();
  }

  /** The request's {@code X-Forwarded-For} entries as one header, or {@code null}. */
  static String forwardedFor(HttpRequest request) {
    List<String> forwardedFor = request.getHeaders().getOrDefault("X-Forwarded-For", List.of());
    return forwardedFor.isEmpty() ? null : String.join(",", forwardedFor);
  }

  /**
   * The context of a request made with {@code token}, checked exactly as the token of an {@code
   * Authorization} header: the console's requests carry it in a cookie.
   *
   * @throws UnauthenticatedException saying why the token is refused
   */
  RequestContext authenticateToken(String token, HttpRequest request) {
    String interactionId = request.getFirstHeader(INTERACTION_ID_HEADER).orElse(null);
    String traceId = request.getFirstHeader("traceparent").map(Authenticator::traceId).orElse(null);
    // The user's flags come with the token: the request's events need them (one query, not two).
    AccessTokens.Check check = tokens.authenticateWithFlags(token);
    if (check instanceof AccessTokens.Check.Valid valid) {
      return new RequestContext(
          Actor.user(valid.userId()),
          valid.isSiteAdmin(),
          interactionId,
          traceId,
          Caller.user(valid.userId()),
          signals(request),
          valid.flags());
    }
    throw new UnauthenticatedException(
        switch (((AccessTokens.Check.Rejected) check).reason()) {
          case UNKNOWN -> "the access token is not valid";
          case EXPIRED -> "the access token has expired";
          case REVOKED -> "the access token has been revoked";
        },
        true);
  }

  /**
   * The context of a request whose credentials were checked elsewhere: a console session, checked
   * with its access token's state on every request.
   */
  RequestContext signedIn(long userId, boolean siteAdmin, HttpRequest request) {
    return new RequestContext(
        Actor.user(userId),
        siteAdmin,
        request.getFirstHeader(INTERACTION_ID_HEADER).orElse(null),
        request.getFirstHeader("traceparent").map(Authenticator::traceId).orElse(null),
        Caller.user(userId),
        signals(request));
  }

  /** The request's Global Privacy Control and Do Not Track signals. */
  static PrivacySignals signals(HttpRequest request) {
    return PrivacySignals.fromHeaders(
        request.getFirstHeader(PrivacySignals.GPC_HEADER).orElse(null),
        request.getFirstHeader(PrivacySignals.DNT_HEADER).orElse(null));
  }

  private static String bearerToken(String authorization) {
    String[] parts = authorization.trim().split("\\s+", 2);
    if (parts.length == 2) {
      String scheme = parts[0].toLowerCase(Locale.ROOT);
      if (scheme.equals("token") || scheme.equals("bearer")) {
        return parts[1].trim();
      }
    }
    throw new UnauthenticatedException(
        "the Authorization header must be 'token <access token>' or 'Bearer <access token>'");
  }

  /** The trace ID of a W3C {@code traceparent} header, or {@code null} when malformed. */
  static String traceId(String traceparent) {
    String[] parts = traceparent.trim().split("-");
    return parts.length == 4 && TRACE_ID.matcher(parts[1]).matches() ? parts[1] : null;
  }
}
