/**
 * Rate limits per caller: token buckets kept by one function instance, keyed by a signed-in user
 * or, for anonymous callers, by the client's network address, so that no single caller can take an
 * instance's capacity; and per address, whoever the caller, for what is done before a caller is
 * known (requests, refused access tokens). They are per instance: with N instances a caller can get
 * up to N times a limit.
 */
package dev.tally.ratelimit;
