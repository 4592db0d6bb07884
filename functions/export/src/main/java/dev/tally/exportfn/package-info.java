/**
 * The export function: Cloud Scheduler calls it ({@code POST}, OIDC-authenticated by Cloud
 * Functions in production); each call runs one {@link dev.tally.export.Exporter} run and answers
 * with its JSON summary.
 */
package dev.tally.exportfn;
