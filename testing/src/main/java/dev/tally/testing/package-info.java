/**
 * The real parts that tests and the local stack run: a PostgreSQL server with a migrated database
 * for every test class, the Functions Framework invoker running a function's module, the gcloud
 * Pub/Sub emulator, a clock tests can move, and the golden events of the wire contract (resources
 * under {@code golden/}) that the event core's and record-event's tests compare with. Main code of
 * its own module, so that the local stack and the benchmark use them without depending on any
 * module's tests.
 */
package dev.tally.testing;
