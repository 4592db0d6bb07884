/**
 * Test fixtures shared with the function modules (through the test-jar): a real PostgreSQL for
 * every test class, and a clock tests can move.
 */
package dev.tally.testing;
