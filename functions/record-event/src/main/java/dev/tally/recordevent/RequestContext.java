package dev.tally.recordevent;

import dev.tally.event.Actor;
import dev.tally.privacy.PrivacySignals;
import dev.tally.ratelimit.Caller;
import dev.tally.store.FeatureFlags;

/**
 * What the HTTP layer established about a request, handed to the GraphQL resolvers.
 *
 * @param actor the user events are recorded for
 * @param siteAdmin whether the request's token may use administrator queries
 * @param interactionId the {@code X-Sourcegraph-Interaction-ID} header, or {@code null}
 * @param traceId the W3C trace ID of the request, or {@code null}
 * @param caller whom the rate limits count the request against
 * @param signals the request's privacy signals ({@code Sec-GPC}, {@code DNT})
 * @param flags the actor's feature flags, read with the check of the request's token, or {@code
 *     null} (no token)
 */
record RequestContext(
    Actor actor,
    boolean siteAdmin,
    String interactionId,
    String traceId,
    Caller caller,
    PrivacySignals signals,
    FeatureFlags.Evaluation flags) {

  /** The context of a request whose flags are read when its events are. */
  RequestContext(
      Actor actor,
      boolean siteAdmin,
      String interactionId,
      String traceId,
      Caller caller,
      PrivacySignals signals) {
    this(actor, siteAdmin, interactionId, traceId, caller, signals, null);
  }
}
