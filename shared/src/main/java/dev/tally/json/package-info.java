/**
 * JSON text of plain Java values (maps, lists, strings, numbers, booleans, {@code null}) for
 * request and response bodies, log lines and stored columns.
 */
package dev.tally.json;
