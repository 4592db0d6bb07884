package dev.tally.record;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.InvalidEventException;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Records batches of events: all or nothing. Every event of a batch is validated and built before
 * anything is stored, so one invalid event rejects the whole batch.
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
   * Validates, builds and stores a batch of events about one actor.
   *
   * @param interactionId the request's interaction ID, or {@code null}
   * @param traceId the request's trace ID, or {@code null}
   * @return the events as stored in {@code event_logs} (before redaction)
   * @throws InvalidEventException when an event is invalid, naming it by its position; then nothing
   *     is stored
   * @throws dev.tally.store.StoreException when the batch could not be stored; then nothing is
   */
  public List<Event> record(
      List<EventInput> inputs, Actor actor, String interactionId, String traceId) {
    if (inputs.isEmpty()) {
      throw new InvalidEventException("no events provided");
    }
    if (inputs.size() > limits.maxEvents()) {
      throw new LimitExceededException(
          "a request may record at most "
              + limits.maxEvents()
              + " events, got "
              + inputs.size()
              + "; send them in smaller batches",
          RecordingLimits.MAX_EVENTS);
    }
    Map<String, Boolean> flags = featureFlags.evaluate(actor);
    EventContext context = new EventContext(actor, flags, interactionId, traceId);
    List<Event> events = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      String which = inputs.size() == 1 ? "" : "events[" + i + "]: ";
      Event event;
      try {
        event = builder.build(inputs.get(i), context);
      } catch (InvalidEventException e) {
        throw inputs.size() == 1 ? e : new InvalidEventException(which + e.getMessage());
      }
      checkSize(event, which);
      events.add(event);
    }
    store.store(events, flags.getOrDefault(FeatureFlags.TELEMETRY_EXPORT, false));
    return events;
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
    checkSize(event, "");
  }

  private void checkSize(Event event, String which) {
    int privateBytes = event.getParameters().getPrivateMetadata().getSerializedSize();
    if (privateBytes > limits.maxPrivateMetadataBytes()) {
      throw new LimitExceededException(
          which
              + "private metadata may take at most "
              + limits.maxPrivateMetadataBytes()
              + " bytes, got "
              + privateBytes,
          RecordingLimits.MAX_PRIVATE_METADATA_BYTES);
    }
    int eventBytes = event.getSerializedSize();
    if (eventBytes > limits.maxEventBytes()) {
      throw new LimitExceededException(
          which
              + "an event may take at most "
              + limits.maxEventBytes()
              + " bytes, got "
              + eventBytes,
          RecordingLimits.MAX_EVENT_BYTES);
    }
  }
}
