/**
 * Usage analytics of the instance's recorded events, for its administrators: daily rollups of
 * {@code event_logs} ({@link dev.tally.usage.UsageRollup}) and the questions asked of them ({@link
 * dev.tally.usage.UsageQueries}): events per day and feature, the top events with their distinct
 * users, daily, weekly and monthly active users, clients and their versions.
 *
 * <p>Recording never pays for this: the rollups are brought up to date when they are read, from the
 * rows recorded since, so a query reads days and features, not events, however large {@code
 * event_logs} grows.
 */
package dev.tally.usage;
