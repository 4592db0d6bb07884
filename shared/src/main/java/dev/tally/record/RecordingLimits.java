package dev.tally.record;

import dev.tally.config.Env;
import dev.tally.event.EventLimits;
import java.time.Duration;
import java.util.Map;

/**
 * Upper bounds on what one recording request may carry, so that one request cannot fill the
 * database, and whatever is stored can be exported.
 *
 * @param maxEvents events per request, in all its recording fields together ({@value #MAX_EVENTS})
 * @param events bounds on each event
 */
public record RecordingLimits(int maxEvents, EventLimits events) {
  public static final String MAX_EVENTS = "TELEMETRY_MAX_EVENTS_PER_REQUEST";

  /** 500 events per request, and {@link EventLimits#DEFAULTS}. */
  public static final RecordingLimits DEFAULTS = new RecordingLimits(500, EventLimits.DEFAULTS);

  /** The default limits but for the events per request and the two sizes of an event. */
  public RecordingLimits(int maxEvents, int maxEventBytes, int maxPrivateMetadataBytes) {
    this(maxEvents, EventLimits.DEFAULTS.withSizes(maxEventBytes, maxPrivateMetadataBytes));
  }

  public static RecordingLimits fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    EventLimits defaults = EventLimits.DEFAULTS;
    int maxEventBytes =
        env.integer(
            EventLimits.MAX_EVENT_BYTES,
            defaults.maxEventBytes(),
            1024,
            EventLimits.EVENT_BYTES_CEILING);
    return new RecordingLimits(
        env.integer(MAX_EVENTS, DEFAULTS.maxEvents(), 1, 100_000),
        new EventLimits(
            maxEventBytes,
            env.integer(
                EventLimits.MAX_PRIVATE_METADATA_BYTES,
                Math.min(defaults.maxPrivateMetadataBytes(), maxEventBytes),
                0,
                maxEventBytes),
            env.integer(EventLimits.MAX_METADATA_KEYS, defaults.maxMetadataKeys(), 0, 1000),
            env.integer(
                EventLimits.MAX_KEY_BYTES,
                defaults.maxKeyBytes(),
                1,
                EventLimits.KEY_BYTES_CEILING),
            env.integer(
                EventLimits.MAX_PRIVATE_METADATA_DEPTH,
                defaults.maxPrivateMetadataDepth(),
                1,
                EventLimits.DEPTH_CEILING),
            env.integer(
                EventLimits.MAX_PRIVATE_METADATA_KEYS,
                defaults.maxPrivateMetadataKeys(),
                0,
                1_000_000),
            env.duration(EventLimits.TIMESTAMP_MAX_PAST, defaults.maxPast(), Duration.ofMinutes(1)),
            env.duration(EventLimits.TIMESTAMP_MAX_FUTURE, defaults.maxFuture(), Duration.ZERO)));
  }
}
