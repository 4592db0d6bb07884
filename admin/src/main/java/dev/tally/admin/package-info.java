/**
 * TallyAdmin, the command an operator (or a CI job) administers an instance's database with:
 * migrations, access tokens, feature flags, set-aside events, erasure. Run it with {@code
 * admin/tally-admin}.
 */
package dev.tally.admin;
