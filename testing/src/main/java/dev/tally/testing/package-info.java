/**
 * The real parts that tests and the local stack run: a PostgreSQL server with a migrated database
 * for every test class, the Functions Framework invoker running a function's module, the gcloud
 * Pub/Sub emulator, and a clock tests can move. Main code of its own module, so that the local
 * stack and the benchmark use them without depending on any module's tests.
 */
package dev.tally.testing;
