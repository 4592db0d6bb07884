package dev.tally.record;

import dev.tally.event.Actor;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.InvalidEventException;
import dev.tally.event.LimitExceededException;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.FeatureFlags;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The events of one request, gathered batch by batch and then stored together or not at all. The
 * per-request bound ({@link RecordingLimits#maxEvents()}) counts every batch added: a request
 * cannot multiply it by recording through several fields.
 *
 * <p>Not thread-safe: one request adds its batches one after the other.
 */
public final class RecordingRequest {
  private final EventRecorder recorder;
  private final Actor actor;
  private final String interactionId;
  private final String traceId;
  private final List<Event> events = new ArrayList<>();
  private EventContext context;
  private boolean queueForExport;
  private boolean committed;

  RecordingRequest(EventRecorder recorder, Actor actor, String interactionId, String traceId) {
    this.recorder = recorder;
    this.actor = actor;
    this.interactionId = interactionId;
    this.traceId = traceId;
  }

  /**
   * Validates and builds a batch as part of this request; nothing is stored until {@link #commit}.
   * A refused batch adds nothing.
   *
   * @throws InvalidEventException when the batch is empty or an event is invalid, naming the event
   *     by its position in the batch ({@code events[2]: ...}) when there are several
   * @throws LimitExceededException when the request's events would exceed the per-request bound, or
   *     an event is over a bound of its own
   */
  public void add(List<EventInput> inputs) {
    if (committed) {
      throw new IllegalStateException("the request was already stored");
    }
    if (inputs.isEmpty()) {
      throw new InvalidEventException("no events provided");
    }
    checkRoomFor(inputs.size());
    if (context == null) {
      Map<String, Boolean> flags = recorder.featureFlags().evaluate(actor);
      context = new EventContext(actor, flags, interactionId, traceId);
      queueForExport = flags.getOrDefault(FeatureFlags.TELEMETRY_EXPORT, false);
    }
    Instant now = recorder.builder().clock().instant();
    List<Event> built = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      String where = inputs.size() == 1 ? "" : "events[" + i + "]: ";
      try {
        Event event = recorder.builder().build(inputs.get(i), context);
        recorder.limits().events().check(event, now);
        built.add(event);
      } catch (InvalidEventException e) {
        throw where.isEmpty() ? e : e.at(where);
      } catch (LimitExceededException e) {
        throw where.isEmpty() ? e : e.at(where);
      }
    }
    events.addAll(built);
  }

  /**
   * Checks that {@code count} more events would keep the request within its bound, before anything
   * is done with them.
   *
   * @throws LimitExceededException when they would not
   */
  public void checkRoomFor(int count) {
    int maxEvents = recorder.limits().maxEvents();
    if (events.size() + count > maxEvents) {
      throw new LimitExceededException(
          "a request may record at most "
              + maxEvents
              + " events, got "
              + (events.isEmpty()
                  ? String.valueOf(count)
                  : (events.size() + count) + " in all its fields together")
              + "; send them in smaller batches",
          RecordingLimits.MAX_EVENTS);
    }
  }

  /** How many events the request holds so far. */
  public int size() {
    return events.size();
  }

  /** The events gathered so far, as they are stored in {@code event_logs}. */
  public List<Event> events() {
    return List.copyOf(events);
  }

  /**
   * Stores every event of the request in one transaction; does nothing when there is none.
   *
   * @throws dev.tally.store.StoreException when they could not be stored; then none of them is
   */
  public void commit() {
    if (committed) {
      throw new IllegalStateException("the request was already stored");
    }
    committed = true;
    if (!events.isEmpty()) {
      recorder.store().store(events, queueForExport);
    }
  }
}
