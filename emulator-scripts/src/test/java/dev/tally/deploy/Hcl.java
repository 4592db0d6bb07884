package dev.tally.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough of HCL's lexical structure to find where a block, an argument or an expression ends:
 * strings with {@code ${...}} interpolations (which may hold strings and braces), heredocs and
 * comments. Offsets are into the text as given; blank the comments first ({@link #withoutComments})
 * so that nothing in them is taken for code.
 */
public final class Hcl {
  private static final Pattern HEREDOC = Pattern.compile("<<-?([A-Za-z_][A-Za-z0-9_]*)\\r?\\n");
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

  private Hcl() {}

  /**
   * One argument ({@code name = value}) or block ({@code name "label" { ... }}) of a body.
   *
   * @param block whether it is a block
   * @param name the argument's or block's name (a quoted map key without its quotes)
   * @param labels the block's labels, unquoted
   * @param start where the name starts
   * @param valueStart where the value starts, or a block's opening brace
   * @param end just past the value, or past a block's closing brace
   */
  public record Item(
      boolean block, String name, List<String> labels, int start, int valueStart, int end) {
    /** A block's body: from just past its opening brace to its closing brace. */
    public int bodyStart() {
      return valueStart + 1;
    }

    public int bodyEnd() {
      return end - 1;
    }
  }

  /** The text with every comment replaced by spaces (line breaks kept). */
  public static String withoutComments(String text) {
    char[] out = text.toCharArray();
    scan(text, 0, '\0', out);
    return new String(out);
  }

  /** The text between the brace at {@code open} and its match. */
  public static String blockBody(String text, int open) {
    return text.substring(open + 1, blockEnd(text, open) - 1);
  }

  /** Just past the brace that closes the one at {@code open}. */
  public static int blockEnd(String text, int open) {
    if (text.charAt(open) != '{') {
      throw new IllegalArgumentException("no block at " + open);
    }
    return scan(text, open + 1, '}', null);
  }

  /**
   * The map expression starting at {@code start}: a literal {@code {...}} or a call such as {@code
   * merge(...)}; null for anything else (a reference, a conditional).
   */
  public static String expressionAt(String text, int start) {
    if (text.charAt(start) == '{') {
      return text.substring(start, scan(text, start + 1, '}', null));
    }
    Matcher call = Pattern.compile("[a-z_]+\\s*\\(").matcher(text).region(start, text.length());
    if (call.lookingAt()) {
      return text.substring(start, scan(text, call.end(), ')', null));
    }
    return null;
  }

  /**
   * Where the expression starting at {@code start} ends: at the end of its line, a comma, or a
   * closing bracket that is not its own; brackets, strings and heredocs inside it are skipped.
   */
  public static int expressionEnd(String s, int start) {
    int i = start;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\n' || c == ',' || c == '}' || c == ')' || c == ']') {
        return i;
      } else if (c == '"') {
        i = string(s, i + 1, null);
      } else if (s.startsWith("<<", i) && HEREDOC.matcher(s).region(i, s.length()).lookingAt()) {
        i = heredocEnd(s, i);
      } else if (c == '{') {
        i = scan(s, i + 1, '}', null);
      } else if (c == '[') {
        i = scan(s, i + 1, ']', null);
      } else if (c == '(') {
        i = scan(s, i + 1, ')', null);
      } else {
        i++;
      }
    }
    return i;
  }

  /** The arguments and blocks of the body between {@code from} and {@code to}, in order. */
  public static List<Item> items(String s, int from, int to) {
    List<Item> items = new ArrayList<>();
    int i = from;
    while (true) {
      while (i < to && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == ',')) {
        i++;
      }
      if (i >= to) {
        return items;
      }
      int start = i;
      String name;
      if (s.charAt(i) == '"') {
        i = string(s, i + 1, null);
        name = s.substring(start + 1, i - 1);
      } else {
        Matcher m = NAME.matcher(s).region(i, to);
        if (!m.lookingAt()) {
          throw new IllegalArgumentException("expected a name at " + lineOf(s, i));
        }
        name = m.group();
        i = m.end();
      }
      i = skipSpaces(s, i);
      if ((s.charAt(i) == '=' && s.charAt(i + 1) != '=') || s.charAt(i) == ':') {
        int valueStart = skipSpaces(s, i + 1);
        int end = expressionEnd(s, valueStart);
        items.add(new Item(false, name, List.of(), start, valueStart, end));
        i = end;
        continue;
      }
      List<String> labels = new ArrayList<>();
      while (s.charAt(i) != '{') {
        int labelStart = i;
        if (s.charAt(i) == '"') {
          i = string(s, i + 1, null);
          labels.add(s.substring(labelStart + 1, i - 1));
        } else {
          Matcher m = NAME.matcher(s).region(i, to);
          if (!m.lookingAt()) {
            throw new IllegalArgumentException("expected = or a block at " + lineOf(s, i));
          }
          labels.add(m.group());
          i = m.end();
        }
        i = skipSpaces(s, i);
      }
      int end = blockEnd(s, i);
      items.add(new Item(true, name, List.copyOf(labels), start, i, end));
      i = end;
    }
  }

  /** The items of the whole text (a file): its top-level blocks. */
  public static List<Item> items(String s) {
    return items(s, 0, s.length());
  }

  /** "line N" of an offset, for messages. */
  public static String lineOf(String s, int offset) {
    return "line " + (s.substring(0, Math.min(offset, s.length())).split("\n", -1).length);
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  /**
   * Scans from {@code i} to just past the {@code close} that ends the current nesting level (or to
   * the end when {@code close} is NUL), blanking comments in {@code blank} when given.
   */
  private static int scan(String s, int i, char close, char[] blank) {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == close) {
        return i + 1;
      } else if (c == '"') {
        i = string(s, i + 1, blank);
      } else if (c == '#' || s.startsWith("//", i)) {
        int end = s.indexOf('\n', i);
        end = end < 0 ? s.length() : end;
        blank(blank, i, end);
        i = end;
      } else if (s.startsWith("/*", i)) {
        int end = s.indexOf("*/", i + 2);
        end = end < 0 ? s.length() : end + 2;
        blank(blank, i, end);
        i = end;
      } else if (s.startsWith("<<", i) && HEREDOC.matcher(s).region(i, s.length()).lookingAt()) {
        i = heredocEnd(s, i);
      } else if (c == '{') {
        i = scan(s, i + 1, '}', blank);
      } else if (c == '[') {
        i = scan(s, i + 1, ']', blank);
      } else if (c == '(') {
        i = scan(s, i + 1, ')', blank);
      } else {
        i++;
      }
    }
    if (close != '\0') {
      throw new IllegalArgumentException("unbalanced: no closing " + close);
    }
    return s.length();
  }

  private static int heredocEnd(String s, int i) {
    Matcher heredoc = HEREDOC.matcher(s).region(i, s.length());
    heredoc.lookingAt();
    Matcher end =
        Pattern.compile("(?m)^[ \\t]*" + Pattern.quote(heredoc.group(1)) + "[ \\t]*$").matcher(s);
    if (!end.find(heredoc.end())) {
      throw new IllegalArgumentException("unterminated heredoc " + heredoc.group(1));
    }
    return end.end();
  }

  /** From just after an opening quote to just after the closing one. */
  private static int string(String s, int i, char[] blank) {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\\' || s.startsWith("$${", i) || s.startsWith("%%{", i)) {
        i += 2;
      } else if (c == '"') {
        return i + 1;
      } else if (s.startsWith("${", i) || s.startsWith("%{", i)) {
        i = scan(s, i + 2, '}', blank);
      } else {
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated string");
  }

  private static void blank(char[] out, int from, int to) {
    if (out != null) {
      for (int i = from; i < to; i++) {
        if (out[i] != '\n') {
          out[i] = ' ';
        }
      }
    }
  }
}
