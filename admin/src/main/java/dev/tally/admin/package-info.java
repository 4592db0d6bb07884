/** Command-line administration of an instance database: migrations, access tokens, flags. */
package dev.tally.admin;
