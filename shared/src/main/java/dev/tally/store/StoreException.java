package dev.tally.store;

/** A database operation failed; the message says which one. */
public final class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
