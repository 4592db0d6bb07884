/**
 * Per-instance resources of a function: created once, on first use, and shared by all requests of
 * that instance.
 */
package dev.tally.instance;
