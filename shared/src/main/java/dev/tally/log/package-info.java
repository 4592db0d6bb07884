/**
 * Structured logging for Cloud Functions: one JSON object per line on standard output, with {@code
 * severity} and {@code message} where Cloud Logging looks for them and the other fields alongside,
 * so that log-based metrics can read them.
 *
 * <p>Never log tokens, license keys or private metadata.
 */
package dev.tally.log;
