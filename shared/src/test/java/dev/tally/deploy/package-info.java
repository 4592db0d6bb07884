/**
 * Checks of the deployment against the code: the Terraform under {@code terraform/} deploys entry
 * points that exist, sets only environment variables the code reads (and every one it requires),
 * keeps credentials in Secret Manager, and is formatted.
 */
package dev.tally.deploy;
