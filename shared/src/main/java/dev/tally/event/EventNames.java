package dev.tally.event;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for an event's {@code feature} and {@code action}: both required, at most {@value
 * #MAX_LENGTH} characters, starting with a lowercase letter followed by at least one letter, dash
 * or dot.
 */
public final class EventNames {
  /** Longest feature or action accepted. */
  public static final int MAX_LENGTH = 64;

  private static final Pattern NAME = Pattern.compile("^[a-z][a-zA-Z\\-.]+$");

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
    if (!NAME.matcher(value).matches()) {
      return Optional.of(
          "'"
              + field
              + "' must start with a lowercase letter and contain only letters, dashes, and dots");
    }
    return Optional.empty();
  }

  /** Whether {@code value} is a valid feature or action name. */
  public static boolean isValid(String value) {
    return problem("name", value).isEmpty();
  }
}
