package dev.tally.recordevent;

/** A request body over the size limit, left unread past it; the message says what to do. */
final class RequestTooLargeException extends RuntimeException {
  RequestTooLargeException(String message) {
    super(message);
  }
}
