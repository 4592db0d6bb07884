/**
 * The record-event function: the GraphQL endpoint that telemetry V2 clients (web apps, IDE
 * extensions, scripts) call to record events, and the site-admin fields that show what the instance
 * recorded and what left it.
 *
 * <p>{@link dev.tally.recordevent.RecordEventFunction} adapts HTTP (CORS, body limits, status
 * codes, the log line) and routes {@code /console} to the administrators' console ({@link
 * dev.tally.recordevent.console}); {@link dev.tally.recordevent.RequestGate} counts a request
 * against its address and its body's bytes. {@link
 * dev.tally.recordevent.RecordEventService#execute} is the one way a request runs, the function's
 * and the console's alike: it checks the caller's {@link dev.tally.recordevent.Credentials} and
 * request limit before the request is read, then runs it through {@link
 * dev.tally.recordevent.TelemetryGraphQl}, the GraphQL schema over the event core of {@code
 * tally-shared}, with the administrator's fields in classes of their own behind {@link
 * dev.tally.recordevent.AdminGate}. The exceptions the fields throw are classes of their own, so
 * that no field depends on the schema's class.
 */
package dev.tally.recordevent;
