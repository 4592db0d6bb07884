package dev.tally.recordevent;

/** A field that needs a signed-in user, asked by an anonymous visitor. */
final class NotSignedInException extends RuntimeException {
  NotSignedInException(String message) {
    super(message);
  }
}
