/**
 * Events of the pre-V2 recording mutations ({@code logEvent}, {@code logEvents} and the deprecated
 * {@code logUserEvent}) that older IDE and browser extensions still send: what such a client sends
 * ({@link dev.tally.legacy.LegacyEventInput}), and the event the instance keeps of it ({@link
 * dev.tally.legacy.LegacyEvent}), checked by the same text and size rules as a V2 event ({@link
 * dev.tally.legacy.LegacyEventBuilder}).
 *
 * <p>Such an event has a free-form name instead of a V2 feature and action, and JSON text for its
 * arguments instead of classified metadata: it is kept in {@code event_logs} for the instance's own
 * analytics and never exported.
 */
package dev.tally.legacy;
