/**
 * The record-event function: the GraphQL endpoint that telemetry V2 clients (web apps, IDE
 * extensions, scripts) call to record events, and the site-admin fields that show what the instance
 * recorded and what left it.
 *
 * <p>{@link dev.tally.recordevent.RecordEventFunction} adapts HTTP (CORS, body limits, status
 * codes, the log line) and routes {@code /console} to the administrators' console ({@link
 * dev.tally.recordevent.console}); {@link dev.tally.recordevent.RequestGate} counts a request and
 * establishes its caller before its body is read; {@link dev.tally.recordevent.TelemetryGraphQl}
 * runs the GraphQL schema over the event core of {@code tally-shared}, with the administrator's
 * fields in classes of their own behind {@link dev.tally.recordevent.AdminGate}.
 */
package dev.tally.recordevent;
