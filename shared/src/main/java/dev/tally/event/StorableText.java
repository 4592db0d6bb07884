package dev.tally.event;

/**
 * The rule for every piece of text in an event: it must be text that PostgreSQL can store and every
 * export step can carry unchanged. Two things that a Java string (and a JSON request) can hold are
 * not: the NUL character, which PostgreSQL's {@code text} and {@code jsonb} refuse, and a lone
 * UTF-16 surrogate, which is not Unicode and would be replaced on the way out. Both are refused,
 * never cleaned, so that what is stored is exactly what was sent.
 */
public final class StorableText {
  private StorableText() {}

  /**
   * Checks one piece of text.
   *
   * @param field names the text for the caller, such as {@code 'source.client'}
   * @throws InvalidEventException naming the field when the text cannot be stored
   */
  public static void check(String value, String field) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\0') {
        throw new InvalidEventException(field + " must not contain NUL characters (U+0000)");
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < value.length()
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
          continue;
        }
        throw new InvalidEventException(
            field
                + " must be valid Unicode text, but character "
                + i
                + " is an unpaired surrogate (U+"
                + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                + ")");
      }
    }
  }

  /** The length of already {@linkplain #check checked} text in UTF-8 bytes. */
  public static int utf8Length(String value) {
    int bytes = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** Text for an error message: quoted, at most 40 characters, control characters escaped. */
  static String quote(String value) {
    StringBuilder quoted = new StringBuilder("'");
    int shown = Math.min(value.length(), 40);
    for (int i = 0; i < shown; i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c)) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    if (shown < value.length()) {
      quoted.append("...");
    }
    return quoted.append('\'').toString();
  }
}
