/**
 * The record-event function: the GraphQL endpoint that telemetry V2 clients (web apps, IDE
 * extensions, scripts) call to record events, and the site-admin query of exported events.
 *
 * <p>{@link dev.tally.recordevent.RecordEventFunction} adapts HTTP (CORS, authentication, body
 * limits, status codes, the log line); {@link dev.tally.recordevent.TelemetryGraphQl} runs the
 * GraphQL schema over the event core of {@code tally-shared}.
 */
package dev.tally.recordevent;
