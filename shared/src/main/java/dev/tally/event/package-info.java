/**
 * The event core: checks the names of recorded events and builds the {@code telemetrygateway.v1}
 * {@code Event} that is stored and exported, adding what the server knows (ID, time, source, user,
 * feature flags, interaction) to what the caller recorded.
 *
 * <p>Nothing here knows about HTTP, GraphQL or the Functions Framework; the functions adapt their
 * requests to {@link dev.tally.event.EventInput} and {@link dev.tally.event.EventContext}.
 */
package dev.tally.event;
