/**
 * Export of queued events to the Telemetry Gateway, at least once: {@link
 * dev.tally.export.Exporter} claims batches from the {@link dev.tally.store.ExportQueue} under a
 * lease, sends them through a {@link dev.tally.export.GatewayClient}, and marks exported exactly
 * the IDs the gateway acknowledged.
 *
 * <p>The export function's core, in its module ({@code functions/export}); it knows no Cloud
 * Functions type, so its tests call it directly.
 */
package dev.tally.export;
