/**
 * Redaction of sensitive attributes before an event may leave the instance.
 *
 * <p>Private metadata can hold personal or confidential data, and marketing tracking holds URLs and
 * referrers. Unless the instance is configured to export everything, marketing tracking is always
 * removed and private metadata keeps only the keys that the {@link
 * dev.tally.redact.SensitiveMetadataAllowlist} lists for the event, as strings.
 */
package dev.tally.redact;
