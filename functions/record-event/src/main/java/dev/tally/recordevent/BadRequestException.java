package dev.tally.recordevent;

/** A request body this function cannot run ({@link GraphQlRequest#parse}); the message says why. */
final class BadRequestException extends RuntimeException {
  BadRequestException(String message) {
    super(message);
  }
}
