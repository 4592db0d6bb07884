/**
 * The instance's PostgreSQL storage: {@code event_logs} for admin analytics, the export queue of
 * redacted events, feature flags, access tokens and the console's sessions.
 *
 * <p>Plain JDBC through one small kit, {@link dev.tally.store.Jdbc}: SQL text with {@code ?}
 * parameters bound by their Java type, a {@link dev.tally.store.Jdbc.RowMapper} per kind of row,
 * one {@link dev.tally.store.Jdbc#inTransaction} helper, and {@link java.sql.SQLException} wrapped
 * once with context in a {@link dev.tally.store.StoreException}. Administrators' listings page
 * newest first with one helper ({@code NewestFirstListing}). The schema lives in versioned Flyway
 * migrations under {@code db/tally}, applied by {@link dev.tally.store.Migrations}.
 */
package dev.tally.store;
