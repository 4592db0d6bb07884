package dev.tally.record;

import dev.tally.config.Env;
import java.util.Map;

/**
 * Upper bounds on what one recording request may carry, so that one client cannot fill the database
 * or the export.
 *
 * @param maxEvents events per request ({@value #MAX_EVENTS})
 * @param maxEventBytes encoded size of one event ({@value #MAX_EVENT_BYTES})
 * @param maxPrivateMetadataBytes encoded size of one event's private metadata ({@value
 *     #MAX_PRIVATE_METADATA_BYTES})
 */
public record RecordingLimits(int maxEvents, int maxEventBytes, int maxPrivateMetadataBytes) {
  public static final String MAX_EVENTS = "TELEMETRY_MAX_EVENTS_PER_REQUEST";
  public static final String MAX_EVENT_BYTES = "TELEMETRY_MAX_EVENT_BYTES";
  public static final String MAX_PRIVATE_METADATA_BYTES = "TELEMETRY_MAX_PRIVATE_METADATA_BYTES";

  /** 500 events, 64 KiB per event, 32 KiB of private metadata per event. */
  public static final RecordingLimits DEFAULTS = new RecordingLimits(500, 64 * 1024, 32 * 1024);

  public static RecordingLimits fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    return new RecordingLimits(
        env.integer(MAX_EVENTS, DEFAULTS.maxEvents(), 1, 100_000),
        env.integer(MAX_EVENT_BYTES, DEFAULTS.maxEventBytes(), 1024, 9 * 1024 * 1024),
        env.integer(
            MAX_PRIVATE_METADATA_BYTES, DEFAULTS.maxPrivateMetadataBytes(), 0, 9 * 1024 * 1024));
  }
}
