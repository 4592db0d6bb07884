/**
 * Privacy controls: what keeps a person's events on the instance, and what removes them from it.
 *
 * <ul>
 *   <li>{@link dev.tally.privacy.PrivacySignals}, what a request's browser says (Global Privacy
 *       Control, Do Not Track), and {@link dev.tally.privacy.PrivacySettings}, which of them the
 *       instance honours and the one rule, applied where every request's events are stored, that
 *       decides whether they stay local and why;
 *   <li>{@link dev.tally.privacy.ExportOptOut}, a signed-in user's own "do not export my events";
 *   <li>{@link dev.tally.privacy.Erasure}, everything the instance holds about one person, deleted
 *       in bounded chunks;
 *   <li>{@link dev.tally.privacy.EventLogsRetention}, {@code event_logs} rows older than a
 *       retention, deleted by the export function's cleanup.
 * </ul>
 */
package dev.tally.privacy;
