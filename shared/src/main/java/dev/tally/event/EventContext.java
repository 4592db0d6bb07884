package dev.tally.event;

import java.util.Map;
import java.util.Objects;

/**
 * What the server knows about the request that recorded an event.
 *
 * @param actor the user the events are about
 * @param featureFlags the flags evaluated for that user
 * @param interactionId the interaction of the request (a header), or {@code null}
 * @param traceId the trace of the request, or {@code null}
 */
public record EventContext(
    Actor actor, Map<String, Boolean> featureFlags, String interactionId, String traceId) {

  public EventContext {
    Objects.requireNonNull(actor, "actor");
    featureFlags = featureFlags == null ? Map.of() : Map.copyOf(featureFlags);
  }

  /** A context that knows only the actor. */
  public static EventContext of(Actor actor) {
    return new EventContext(actor, Map.of(), null, null);
  }
}
