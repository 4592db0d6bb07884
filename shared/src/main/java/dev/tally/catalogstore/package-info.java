/**
 * The event catalog's tables: the applied versions ({@code event_catalog_versions}), the replay
 * preview of a candidate catalog against the stored events, applying a version, and the events it
 * holds back ({@code held_events}) with their release once a version approves them.
 *
 * <p>Never on the recording path: recording reads the rules in force from memory ({@link
 * dev.tally.catalog.CatalogSource}). Everything here is an administrator's operation, sized by the
 * number of event names, days and key sets, not by the number of events, except the release, which
 * works through the released events in batches of their own transactions.
 */
package dev.tally.catalogstore;
