/**
 * What one running copy of a function keeps for its lifetime: resources created once, on first use,
 * and shared by all of its requests (the connection pool, the publisher), and the bounded reading
 * of request bodies. "Instance" in Tally means the customer's installation; this package is about
 * the process that Cloud Functions starts and stops.
 */
package dev.tally.runtime;
