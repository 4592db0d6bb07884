package dev.tally.event;

/**
 * An event that cannot be recorded as given. The message is meant for the caller: it names the
 * field at fault and says what is expected.
 */
public final class InvalidEventException extends IllegalArgumentException {
  public InvalidEventException(String message) {
    super(message);
  }

  /** The same refusal, its message prefixed with where it happened, such as {@code events[3]: }. */
  public InvalidEventException at(String where) {
    return new InvalidEventException(where + getMessage());
  }
}
