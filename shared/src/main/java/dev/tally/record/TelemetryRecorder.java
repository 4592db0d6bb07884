package dev.tally.record;

import dev.tally.event.Actor;
import dev.tally.event.EventInput;
import dev.tally.privacy.PrivacySignals;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The recording API for Java backend services: events recorded by the server's own code, about the
 * given actor or about nobody in particular.
 *
 * <pre>{@code
 * TelemetryRecorder recorder = TelemetryRecorder.create(eventRecorder);
 * recorder.record("myFeature", "myAction", EventInput.Parameters.of(0, Map.of("count", 12)));
 * }</pre>
 */
public final class TelemetryRecorder {
  private static final Logger LOG = Logger.getLogger(TelemetryRecorder.class.getName());

  private final EventRecorder recorder;
  private final Actor actor;
  private final PrivacySignals signals;
  private final boolean bestEffort;

  private TelemetryRecorder(
      EventRecorder recorder, Actor actor, PrivacySignals signals, boolean bestEffort) {
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.actor = Objects.requireNonNull(actor, "actor");
    this.signals = Objects.requireNonNull(signals, "signals");
    this.bestEffort = bestEffort;
  }

  /** A recorder whose methods throw when an event is invalid or cannot be stored. */
  public static TelemetryRecorder create(EventRecorder recorder) {
    return new TelemetryRecorder(recorder, Actor.unknown(), PrivacySignals.NONE, false);
  }

  /**
   * A recorder for callers that do not care whether telemetry is stored: failures are logged, never
   * thrown.
   */
  public static TelemetryRecorder bestEffort(EventRecorder recorder) {
    return new TelemetryRecorder(recorder, Actor.unknown(), PrivacySignals.NONE, true);
  }

  /** The same recorder recording events about {@code actor}. */
  public TelemetryRecorder about(Actor actor) {
    return new TelemetryRecorder(recorder, actor, signals, bestEffort);
  }

  /**
   * The same recorder for events caused by a browser request that carried these privacy signals
   * (read them with {@link PrivacySignals#fromHeaders}): where the instance honours them, the
   * events stay on the instance, as they would through the GraphQL API.
   */
  public TelemetryRecorder withSignals(PrivacySignals signals) {
    return new TelemetryRecorder(recorder, actor, signals, bestEffort);
  }

  /**
   * Records one event.
   *
   * @throws dev.tally.event.InvalidEventException when the event is invalid (not in best-effort
   *     mode)
   * @throws dev.tally.store.StoreException when it could not be stored (not in best-effort mode)
   */
  public void record(String feature, String action, EventInput.Parameters parameters) {
    recordAll(List.of(EventInput.backend(feature, action, parameters)));
  }

  /** Records a batch of events, all or nothing. */
  public void recordAll(List<EventInput> events) {
    try {
      recorder.record(events, actor, signals, null, null);
    } catch (RuntimeException e) {
      if (!bestEffort) {
        throw e;
      }
      LOG.log(Level.WARNING, "could not record " + events.size() + " telemetry event(s)", e);
    }
  }
}
