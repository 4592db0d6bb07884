/**
 * The event catalog's tables: its applied versions ({@code event_catalog_versions}), the catalog in
 * force as recording reads it, the events it holds back ({@code held_events}) and their release,
 * the replay preview, and the observed catalog.
 *
 * <p>{@link dev.tally.catalogstore.LiveCatalog} is the recording path's {@link
 * dev.tally.catalog.CatalogSource}: the rules of the newest applied version, kept in memory and
 * read again at most every two seconds, so that a new version reaches every instance within seconds
 * without a request ever waiting on more than one cheap query.
 */
package dev.tally.catalogstore;
