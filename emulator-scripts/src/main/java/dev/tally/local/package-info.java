/**
 * The local stack: {@link dev.tally.local.LocalStack} runs PostgreSQL, the Pub/Sub emulator and the
 * three functions in the Functions Framework invoker, and plays Cloud Scheduler; {@link
 * dev.tally.local.WatchEvent} follows one event through the pipeline. Started by the scripts in
 * {@code emulator-scripts/}.
 */
package dev.tally.local;
