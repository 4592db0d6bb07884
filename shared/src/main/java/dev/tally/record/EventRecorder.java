package dev.tally.record;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Records events: validates and builds them, then stores them all or nothing. A request's events
 * are gathered in a {@link RecordingRequest} (one or several fields of a GraphQL request, one call
 * of the Java API) and stored in one transaction, so one invalid event anywhere rejects them all.
 */
public final class EventRecorder {
  private final EventBuilder builder;
  private final FeatureFlags featureFlags;
  private final TeeStore store;
  private final RecordingLimits limits;

  public EventRecorder(
      EventBuilder builder, FeatureFlags featureFlags, TeeStore store, RecordingLimits limits) {
    this.builder = Objects.requireNonNull(builder, "builder");
    this.featureFlags = Objects.requireNonNull(featureFlags, "featureFlags");
    this.store = Objects.requireNonNull(store, "store");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Starts gathering the events of one request about one actor.
   *
   * @param interactionId the request's interaction ID, or {@code null}
   * @param traceId the request's trace ID, or {@code null}
   */
  public RecordingRequest begin(Actor actor, String interactionId, String traceId) {
    return new RecordingRequest(this, actor, interactionId, traceId);
  }

  /**
   * Validates, builds and stores a batch of events about one actor, all or nothing.
   *
   * @return the events as stored in {@code event_logs} (before redaction)
   * @throws dev.tally.event.InvalidEventException when an event is invalid, naming it by its
   *     position; then nothing is stored
   * @throws dev.tally.event.LimitExceededException when the batch or an event is over a bound; then
   *     nothing is stored
   * @throws dev.tally.store.StoreException when the batch could not be stored; then nothing is
   */
  public List<Event> record(
      List<EventInput> inputs, Actor actor, String interactionId, String traceId) {
    RecordingRequest request = begin(actor, interactionId, traceId);
    request.add(inputs);
    request.commit();
    return request.events();
  }

  /**
   * Builds and checks one event the way {@link #record} does, storing nothing: a cold start runs it
   * ahead of the first request, which then finds the event code loaded.
   */
  public void warmUp() {
    Event event =
        builder.build(
            EventInput.backend(
                "tally.instance", "warmed", EventInput.Parameters.of(1, Map.of("ready", 1))),
            EventContext.of(Actor.unknown()));
    limits.events().check(event, builder.clock().instant());
  }

  EventBuilder builder() {
    return builder;
  }

  FeatureFlags featureFlags() {
    return featureFlags;
  }

  TeeStore store() {
    return store;
  }

  RecordingLimits limits() {
    return limits;
  }
}
