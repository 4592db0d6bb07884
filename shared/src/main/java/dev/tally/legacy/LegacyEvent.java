package dev.tally.legacy;

import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A pre-V2 event as the instance keeps it in {@code event_logs}: built by {@link
 * LegacyEventBuilder}, never exported.
 *
 * @param id a UUIDv7 from the server's clock, like every event's
 * @param name the client's event name
 * @param timestamp when the server received it (older clients send no time)
 * @param userId the signed-in user, or {@code null}
 * @param anonymousUserId the visitor's ID when nobody is signed in, or {@code null} when unknown
 * @param source the {@code EventSource} value, or {@link LegacyEventInput#UNKNOWN_SOURCE}
 * @param tracking the page and marketing attribution: {@code url}, first and last source URL,
 *     referrer, cohort, device session, session referrer and first URL
 * @param argument the parsed JSON of {@code argument}, or {@code null}
 * @param publicArgument the parsed JSON of {@code publicArgument}, or {@code null}
 * @param featureFlags the user's evaluated flags
 * @param serverVersion this server's version
 * @param interactionId the request's interaction ID, or {@code null}
 */
public record LegacyEvent(
    UUID id,
    String name,
    Instant timestamp,
    Long userId,
    String anonymousUserId,
    String source,
    EventMarketingTracking tracking,
    Object argument,
    Object publicArgument,
    Map<String, Boolean> featureFlags,
    String serverVersion,
    String interactionId) {}
