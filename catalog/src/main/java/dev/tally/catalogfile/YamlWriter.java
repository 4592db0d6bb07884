package dev.tally.catalogfile;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes plain JSON values (maps, lists, strings, whole numbers, booleans) as block YAML that
 * {@link CatalogFiles#read} reads back to the same values, with comments where the caller puts
 * them. Text is written plain only when it cannot be read as anything else; otherwise quoted as a
 * JSON string, which YAML reads as the same text.
 */
final class YamlWriter {
  /** A run of characters that needs no quotes: letters, digits and a few signs. */
  private static final String RUN = "[A-Za-z0-9_.\\-/@()]+";

  /**
   * Text safe to write unquoted: it starts with a letter, so it reads back as this text, not a
   * number or a date; a colon or a space only between runs, never {@code ": "} or {@code " #"}.
   */
  private static final Pattern PLAIN =
      Pattern.compile(
          "[A-Za-z$][A-Za-z0-9_.\\-/@]*(?::" + RUN + ")*(?: " + RUN + "(?::" + RUN + ")*)*");

  /**
   * Words YAML reads as a boolean or nothing, whatever their case: those of YAML 1.2, which {@link
   * CatalogFiles#read} follows ({@code off} is the text of a policy mode).
   */
  private static final Set<String> WORDS = Set.of("true", "false", "null");

  private final StringBuilder out = new StringBuilder();

  /** Adds a comment line at {@code indent}; its text is kept on one line. */
  YamlWriter comment(int indent, String text) {
    out.append(" ".repeat(indent)).append("# ").append(oneLine(text)).append('\n');
    return this;
  }

  /** Adds {@code key:} alone, for the items or fields the caller adds below it. */
  YamlWriter key(int indent, String key) {
    out.append(" ".repeat(indent)).append(scalar(key)).append(":\n");
    return this;
  }

  /** Adds {@code key: value}, the value written in block style below the key when it is one. */
  YamlWriter field(int indent, String key, Object value) {
    String pad = " ".repeat(indent);
    if (value instanceof Map<?, ?> map && !map.isEmpty()) {
      out.append(pad).append(scalar(key)).append(":\n");
      map(indent + 2, map);
    } else if (value instanceof List<?> list && !list.isEmpty()) {
      out.append(pad).append(scalar(key)).append(":\n");
      for (Object item : list) {
        item(indent + 2, item);
      }
    } else {
      out.append(pad).append(scalar(key)).append(": ").append(inline(value)).append('\n');
    }
    return this;
  }

  /** Adds one item of a list: {@code - } and the value, a map's fields under the first one. */
  YamlWriter item(int indent, Object value) {
    if (value instanceof Map<?, ?> map && !map.isEmpty()) {
      int start = out.length();
      map(indent + 2, map);
      // The first field goes on the dash's line.
      out.replace(start, start + indent + 2, " ".repeat(indent) + "- ");
    } else {
      out.append(" ".repeat(indent)).append("- ").append(inline(value)).append('\n');
    }
    return this;
  }

  private void map(int indent, Map<?, ?> map) {
    map.forEach((key, value) -> field(indent, String.valueOf(key), value));
  }

  /** A value on the line of its key: a scalar, or an empty map or list. */
  private static String inline(Object value) {
    if (value instanceof Map<?, ?>) {
      return "{}";
    }
    if (value instanceof List<?>) {
      return "[]";
    }
    if (value == null) {
      return "null";
    }
    if (value instanceof Boolean || value instanceof Long || value instanceof Integer) {
      return value.toString();
    }
    if (value instanceof String text) {
      return scalar(text);
    }
    throw new IllegalArgumentException("not a value a catalog holds: " + value.getClass());
  }

  /** Text as YAML writes it: plain when it reads back as the same text, else quoted. */
  static String scalar(String text) {
    if (PLAIN.matcher(text).matches() && !WORDS.contains(text.toLowerCase(Locale.ROOT))) {
      return text;
    }
    StringBuilder quoted = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\t' -> quoted.append("\\t");
        case '\r' -> quoted.append("\\r");
        default -> {
          // Control characters, and the ones YAML may take for a line break or a byte order mark.
          if (c < 0x20
              || c == 0x7f
              || (c >= 0x80 && c <= 0x9f)
              || c == '\u2028'
              || c == '\u2029'
              || c == '\ufeff'
              || Character.isSurrogate(c) && !validPair(text, i)) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }

  private static boolean validPair(String text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
  }

  /** Text for a comment: control characters and line breaks become spaces. */
  private static String oneLine(String text) {
    return text.replaceAll("[\\p{Cntrl}\\u2028\\u2029\\u0085]", " ");
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
