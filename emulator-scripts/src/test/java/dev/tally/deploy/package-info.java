/**
 * Checks of the deployment against the code: the Terraform under {@code terraform/} deploys entry
 * points that exist, sets every variable the code requires, keeps credentials in Secret Manager, is
 * formatted, and passes the offline schema check ({@code terraform/check}), which must catch the
 * faults injected into a copy. The checks that need all three functions' code (each function's
 * environment against its configuration, validations against the configuration's bounds) run in
 * {@code emulator-scripts}, in this package too.
 */
package dev.tally.deploy;
