package dev.tally.recordevent;

import java.util.Map;

/**
 * What running one GraphQL request came to.
 *
 * @param status the HTTP status
 * @param outcome the log line's outcome
 * @param body the GraphQL response
 * @param eventsRecorded events stored
 * @param retryAfterSeconds for a 429, when to try again; otherwise 0
 */
record GraphQlAnswer(
    int status,
    String outcome,
    Map<String, Object> body,
    int eventsRecorded,
    long retryAfterSeconds) {}
