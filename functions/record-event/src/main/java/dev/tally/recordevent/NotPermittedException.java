package dev.tally.recordevent;

/** A field the caller may not use: an administrator's field asked with a token that is not one. */
final class NotPermittedException extends RuntimeException {
  NotPermittedException(String message) {
    super(message);
  }
}
