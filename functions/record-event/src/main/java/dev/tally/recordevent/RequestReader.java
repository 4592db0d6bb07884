package dev.tally.recordevent;

import java.io.IOException;

/**
 * Reads the GraphQL request of a caller that was admitted: {@link RecordEventService#execute} calls
 * it only once the caller's credentials were accepted and its request counted, so that a refused
 * request's body is never read.
 */
@FunctionalInterface
interface RequestReader {
  /**
   * @param context who sends the request, to count its bytes against
   * @throws dev.tally.ratelimit.RateLimitedException when the caller's bytes are spent
   * @throws RequestTooLargeException over the body's size limit
   * @throws BadRequestException when it is no GraphQL request
   */
  GraphQlRequest read(RequestContext context) throws IOException;
}
