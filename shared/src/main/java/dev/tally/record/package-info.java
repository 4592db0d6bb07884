/**
 * Recording events: validate a batch, build the events with what the server knows, and store them
 * through the {@link dev.tally.store.TeeStore}. Used by the record-event function and, as {@link
 * dev.tally.record.TelemetryRecorder}, by Java backend services.
 */
package dev.tally.record;
