package dev.tally.record;

import dev.tally.event.Actor;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.InvalidEventException;
import dev.tally.event.LimitExceededException;
import dev.tally.legacy.LegacyEvent;
import dev.tally.legacy.LegacyEventInput;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.FeatureFlags;
import dev.tally.store.KeptLocal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The events of one request, gathered batch by batch and then stored together or not at all. The
 * per-request bound ({@link RecordingLimits#maxEvents()}) counts every batch added, V2 and legacy
 * alike: a request cannot multiply it by recording through several fields.
 *
 * <p>Whether the request's V2 events are queued for export is decided once, with the first batch:
 * the user's {@code telemetry-export} value (the instance's, or an administrator's per-user value),
 * unless the privacy rule keeps them local (the user's own opt-out, or a privacy signal the
 * instance honours). Legacy events are never queued. The flags and the opt-out are those given at
 * the start, when the request's token check read them, or else read with the first batch.
 *
 * <p>A request records the legacy events of one anonymous visitor at most: the first {@code
 * userCookieID} among them (which wins over the {@code X-Sourcegraph-Actor-Anonymous-UID} header,
 * as in the original server), under which its later legacy events without one are recorded too;
 * without one, the header's visitor. A legacy event naming another visitor refuses its batch. A
 * signed-in request's events are its user's, whatever {@code userCookieID} says.
 *
 * <p>Not thread-safe: one request adds its batches one after the other.
 */
public final class RecordingRequest {
  private final EventRecorder recorder;
  private final Actor actor;
  private final FeatureFlags.Evaluation flags;
  private final PrivacySignals signals;
  private final String interactionId;
  private final String traceId;
  private final List<Event> events = new ArrayList<>();
  private final List<LegacyEvent> legacyEvents = new ArrayList<>();
  private EventContext context;
  private Actor visitor;
  private KeptLocal keptLocal;
  private boolean queueForExport;
  private boolean committed;

  RecordingRequest(
      EventRecorder recorder,
      Actor actor,
      FeatureFlags.Evaluation flags,
      PrivacySignals signals,
      String interactionId,
      String traceId) {
    this.recorder = recorder;
    this.actor = actor;
    // A signed-in request's legacy events are its user's; an anonymous one's are chosen by the
    // first legacy batch (visitorOf).
    this.visitor = actor.userId() != null ? actor : null;
    this.flags = flags;
    this.signals = signals;
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
    checkOpen();
    if (inputs.isEmpty()) {
      throw new InvalidEventException("no events provided");
    }
    checkRoomFor(inputs.size());
    EventContext context = context();
    Instant now = recorder.builder().clock().instant();
    events.addAll(
        build(
            inputs,
            input -> {
              Event event = recorder.builder().build(input, context);
              recorder.limits().events().check(event, now);
              return event;
            }));
  }

  /**
   * Validates and builds a batch of pre-V2 events as part of this request, with the same rules for
   * text and size, counted against the same bound; nothing is stored until {@link #commit}. An
   * empty batch adds nothing (older clients send one, and the original accepted it); a refused
   * batch adds nothing.
   *
   * @throws InvalidEventException when an event is invalid, naming it by its position in the batch
   *     when there are several; among them an event whose {@code userCookieID} names another
   *     visitor than the request's
   * @throws LimitExceededException when the request's events would exceed the per-request bound, or
   *     an event is over a bound of its own
   */
  public void addLegacy(List<LegacyEventInput> inputs) {
    checkOpen();
    if (inputs.isEmpty()) {
      return;
    }
    checkRoomFor(inputs.size());
    EventContext context = context();
    Actor visitor = visitorOf(inputs);
    EventContext legacyContext =
        visitor == actor
            ? context
            : new EventContext(visitor, context.featureFlags(), interactionId, traceId);
    legacyEvents.addAll(
        build(
            inputs,
            input ->
                recorder.legacyBuilder().build(input, legacyContext, recorder.limits().events())));
    this.visitor = visitor;
  }

  /**
   * Who the request's legacy events are about, once this batch is added: its user when signed in;
   * else the visitor an earlier batch chose; else the first visitor a {@code userCookieID} of this
   * batch names (the cookie ID wins over the header, as in the original server); else the request's
   * own visitor (its header), or nobody.
   */
  private Actor visitorOf(List<LegacyEventInput> inputs) {
    if (visitor != null) {
      return visitor;
    }
    for (LegacyEventInput input : inputs) {
      String cookie = input.cookieVisitorId();
      if (cookie != null) {
        return Actor.anonymous(cookie);
      }
    }
    return actor;
  }

  /**
   * Builds every input of a batch, or none: the first refusal is thrown, naming the event by its
   * position ({@code events[2]: ...}) when the batch has several.
   */
  private static <I, E> List<E> build(List<I> inputs, Function<I, E> build) {
    List<E> built = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      String where = inputs.size() == 1 ? "" : "events[" + i + "]: ";
      try {
        built.add(build.apply(inputs.get(i)));
      } catch (InvalidEventException e) {
        throw where.isEmpty() ? e : e.at(where);
      } catch (LimitExceededException e) {
        throw where.isEmpty() ? e : e.at(where);
      }
    }
    return built;
  }

  /** The context of the request's events; with it, whether they may be queued, decided once. */
  private EventContext context() {
    if (context == null) {
      FeatureFlags.Evaluation flags =
          this.flags != null ? this.flags : recorder.featureFlags().evaluateWithOverrides(actor);
      context = new EventContext(actor, flags.values(), interactionId, traceId);
      keptLocal = recorder.privacy().keptLocal(signals, flags.exportOptOut()).orElse(null);
      queueForExport =
          keptLocal == null && flags.values().getOrDefault(FeatureFlags.TELEMETRY_EXPORT, false);
    }
    return context;
  }

  private void checkOpen() {
    if (committed) {
      throw new IllegalStateException("the request was already stored");
    }
  }

  /**
   * Checks that {@code count} more events would keep the request within its bound, before anything
   * is done with them.
   *
   * @throws LimitExceededException when they would not
   */
  public void checkRoomFor(int count) {
    int maxEvents = recorder.limits().maxEvents();
    int size = size();
    if (size + count > maxEvents) {
      throw new LimitExceededException(
          "a request may record at most "
              + maxEvents
              + " events, got "
              + (size == 0 ? String.valueOf(count) : (size + count) + " in all its fields together")
              + "; send them in smaller batches",
          RecordingLimits.MAX_EVENTS);
    }
  }

  /** How many events the request holds so far, V2 and legacy together. */
  public int size() {
    return events.size() + legacyEvents.size();
  }

  /** The V2 events gathered so far, as they are stored in {@code event_logs}. */
  public List<Event> events() {
    return List.copyOf(events);
  }

  /** The legacy events gathered so far. */
  public List<LegacyEvent> legacyEvents() {
    return List.copyOf(legacyEvents);
  }

  /** Why the request's V2 events stay on the instance, or empty; known once a batch was added. */
  public Optional<KeptLocal> keptLocal() {
    return Optional.ofNullable(keptLocal);
  }

  /**
   * Stores every event of the request in one transaction; does nothing when there is none. V2
   * events that may be queued are judged by the event catalog in force now, one snapshot of it for
   * the whole request: held ones stay on the instance ({@link KeptLocal#UNPLANNED}), never refused.
   *
   * @throws dev.tally.store.StoreException when they could not be stored; then none of them is
   */
  public void commit() {
    checkOpen();
    committed = true;
    if (size() == 0) {
      return;
    }
    if (queueForExport && !events.isEmpty()) {
      recorder.store().store(events, keptLocal, true, legacyEvents, recorder.catalog().current());
    } else {
      // Nothing may be queued: the catalog has nothing to judge, and is not even looked up.
      recorder.store().store(events, keptLocal, queueForExport, legacyEvents);
    }
  }
}
