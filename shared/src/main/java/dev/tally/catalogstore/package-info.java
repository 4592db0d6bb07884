/**
 * The event catalog's tables: the applied versions ({@code event_catalog_versions}), the replay
 * preview of a candidate catalog against the stored events, applying a version, the events it holds
 * back ({@code held_events}) with their release once a version approves them, and the observed
 * catalog learned from the recorded events ({@code event_catalog_keys}, {@code
 * event_catalog_outcomes}).
 *
 * <p>Never on the recording path: recording reads the rules in force from memory ({@link
 * dev.tally.catalog.CatalogSource}), and the observed catalog is rolled up with the usage rollups
 * when it is read.
 */
package dev.tally.catalogstore;
