package dev.tally.event;

import java.util.Optional;

/**
 * The rules for an event's {@code feature} and {@code action}: both required, at most {@value
 * #MAX_LENGTH} characters, starting with a lowercase letter followed by at least one letter, dash
 * or dot.
 */
public final class EventNames {
  /** Longest feature or action accepted. */
  public static final int MAX_LENGTH = 64;

  private EventNames() {}

  /**
   * Checks both names of an event.
   *
   * @throws LimitExceededException naming the first field that is too long
   * @throws InvalidEventException naming the first field that breaks another rule
   */
  public static void check(String feature, String action) {
    checkName("feature", feature);
    checkName("action", action);
  }

  private static void checkName(String field, String value) {
    Optional<String> problem = problem(field, value);
    if (problem.isPresent()) {
      throw value != null && value.length() > MAX_LENGTH
          ? new LimitExceededException(problem.get())
          : new InvalidEventException(problem.get());
    }
  }

  /**
   * What is wrong with one name, if anything.
   *
   * @param field the name of the field as the caller knows it, {@code feature} or {@code action}
   * @param value the value to check, possibly {@code null}
   * @return a message naming the field, or empty when the value is valid
   */
  public static Optional<String> problem(String field, String value) {
    if (value == null || value.isEmpty()) {
      return Optional.of("'" + field + "' must be provided");
    }
    if (value.length() > MAX_LENGTH) {
      return Optional.of(
          "'"
              + field
              + "' must be at most "
              + MAX_LENGTH
              + " characters long, got "
              + value.length());
    }
    if (!wellFormed(value)) {
      return Optional.of(
          "'"
              + field
              + "' must start with a lowercase letter and contain only letters, dashes, and dots");
    }
    return Optional.empty();
  }

  /**
   * Whether {@code value} is {@code [a-z][a-zA-Z.-]+} (ASCII letters only), checked by hand: this
   * runs twice for every event the gateway publishes, where a regular expression cost as much as a
   * tenth of its time.
   */
  static boolean wellFormed(String value) {
    int length = value.length();
    if (length < 2) {
      return false;
    }
    char first = value.charAt(0);
    if (first < 'a' || first > 'z') {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = value.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code value} is a valid feature or action name. */
  public static boolean isValid(String value) {
    return problem("name", value).isEmpty();
  }
}
