package dev.tally.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of environment variables. An unset or blank variable takes its default; a set one
 * must parse, or a {@link ConfigException} names the variable, the value and what was expected.
 */
public final class Env {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /** Names looked up on this thread while {@link #namesReadBy} runs, or null. */
  private static final ThreadLocal<Set<String>> LOOKUPS = new ThreadLocal<>();

  private final Map<String, String> values;

  private Env(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** Reads from the given variables; pass {@code System.getenv()} at the edge, a map in tests. */
  public static Env of(Map<String, String> values) {
    return new Env(Objects.requireNonNull(values, "values"));
  }

  /**
   * The names of the variables {@code reading} looks up through any {@code Env} on the current
   * thread, whether they are set or not, in the order of their first lookup. Deployment checks use
   * it to compare what a deployment sets with what a configuration reads: run {@code fromEnv} with
   * environments that take each of its branches. Lookups made inside a nested call count for the
   * outer call too; an exception from {@code reading} propagates.
   */
  public static Set<String> namesReadBy(Runnable reading) {
    Set<String> outer = LOOKUPS.get();
    Set<String> names = new LinkedHashSet<>();
    LOOKUPS.set(names);
    try {
      reading.run();
    } finally {
      if (outer == null) {
        LOOKUPS.remove();
      } else {
        outer.addAll(names);
        LOOKUPS.set(outer);
      }
    }
    return Collections.unmodifiableSet(names);
  }

  /** The trimmed value, or {@code defaultValue} when unset or blank. */
  public String string(String name, String defaultValue) {
    Set<String> lookups = LOOKUPS.get();
    if (lookups != null) {
      lookups.add(name);
    }
    String value = values.get(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  /** The trimmed value; fails when unset or blank. */
  public String required(String name) {
    String value = string(name, null);
    if (value == null) {
      throw new ConfigException(name + " must be set");
    }
    return value;
  }

  /** {@code true}/{@code false} (any case), {@code 1}/{@code 0}, or the default when unset. */
  public boolean bool(String name, boolean defaultValue) {
    return parse(
        name,
        defaultValue,
        "true or false",
        value ->
            switch (value.toLowerCase(Locale.ROOT)) {
              case "true", "1" -> true;
              case "false", "0" -> false;
              default -> throw new IllegalArgumentException();
            });
  }

  /** An integer in {@code [min, max]}, or the default when unset. */
  public int integer(String name, int defaultValue, int min, int max) {
    int value =
        parse(name, defaultValue, "an integer between " + min + " and " + max, Integer::parseInt);
    if (value < min || value > max) {
      throw invalid(name, String.valueOf(value), "an integer between " + min + " and " + max);
    }
    return value;
  }

  /**
   * A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 7d} or ISO-8601
   * ({@code PT5M}), at least {@code min}; the default when unset.
   */
  public Duration duration(String name, Duration defaultValue, Duration min) {
    Duration value =
        parse(name, defaultValue, "a duration such as 30s, 5m or 24h", Env::toDuration);
    if (value.compareTo(min) < 0) {
      throw invalid(name, string(name, ""), "a duration of at least " + min);
    }
    return value;
  }

  /** The value run through {@code parser}, which throws anything to reject it. */
  public <T> T parse(String name, T defaultValue, String expected, Function<String, T> parser) {
    String value = string(name, null);
    if (value == null) {
      return defaultValue;
    }
    try {
      return parser.apply(value);
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      // A number parser's own message only repeats the value; a rule's message says what is wrong.
      boolean saysMore = e.getMessage() != null && !(e instanceof NumberFormatException);
      String detail = saysMore ? " (" + e.getMessage() + ")" : "";
      throw new ConfigException(
          name + " must be " + expected + ", got '" + value + "'" + detail, e);
    }
  }

  private static ConfigException invalid(String name, String value, String expected) {
    return new ConfigException(name + " must be " + expected + ", got '" + value + "'");
  }

  private static Duration toDuration(String text) {
    Matcher m = DURATION.matcher(text);
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    }
    try {
      return Duration.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException();
    }
  }
}
