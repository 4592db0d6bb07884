/**
 * The event catalog's tables: its applied versions ({@code event_catalog_versions}), the catalog in
 * force as recording reads it, the events it holds back ({@code held_events}) and their release,
 * the replay preview, applying a version, and the observed catalog.
 *
 * <p>{@link dev.tally.catalogstore.LiveCatalog} is the recording path's {@link
 * dev.tally.catalog.CatalogSource}: the rules of the newest applied version, kept in memory and
 * read again at most every two seconds, so that a new version reaches every instance within seconds
 * without a request ever waiting on more than one cheap query.
 *
 * <p>The rest are an administrator's operations, never on the recording path: {@link
 * dev.tally.catalogstore.CatalogApply} checks a file, computes its replay preview ({@link
 * dev.tally.catalogstore.CatalogReplay}) and stores it as the next version ({@link
 * dev.tally.catalogstore.CatalogVersions}), then releases the held events it no longer holds
 * ({@link dev.tally.catalogstore.HeldEvents}). They are sized by event names, days and key sets,
 * not by events, except the release, which works through the released events in batches of their
 * own transactions.
 */
package dev.tally.catalogstore;
