/**
 * The egress ledger: what left the instance, per UTC day of export, {@code feature.action} and
 * catalog version, with each field path that left or was withheld, in names and counts only; and
 * the report an auditor reads from it.
 */
package dev.tally.egress;
