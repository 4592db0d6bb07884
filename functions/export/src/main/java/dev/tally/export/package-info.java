/**
 * Export of queued events to the Telemetry Gateway, at least once: {@link
 * dev.tally.export.Exporter} claims batches from the {@link dev.tally.store.ExportQueue} under a
 * lease, sends them through a {@link dev.tally.export.GatewayClient}, and marks exported exactly
 * the IDs the gateway acknowledged.
 */
package dev.tally.export;
