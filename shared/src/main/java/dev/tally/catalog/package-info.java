/**
 * The event catalog: which events an instance expects, who owns them, which of their keys may
 * leave, and what happens to what it does not expect.
 *
 * <p>A {@link dev.tally.catalog.Catalog} is the parsed document (entries and the {@link
 * dev.tally.catalog.Policy}); {@link dev.tally.catalog.CatalogRules} is its compiled form, looked
 * up in memory on the recording path, which judges one event at a time ({@link
 * dev.tally.catalog.Verdict}): hold it, count what would happen, drop keys from its exported copy.
 * The rules only ever keep more on the instance than the redaction rules alone would, except for
 * private-metadata keys an entry exports with a justification.
 */
package dev.tally.catalog;
