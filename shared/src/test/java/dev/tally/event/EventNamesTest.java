package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class EventNamesTest {

  @ParameterizedTest(name = "rejects \"{0}\"")
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "Invalid",
        "invalid_feature!",
        "a", // too short: a letter and at least one more character
        "feature1", // no digits
        "snake_case",
        "-dash.first",
        ".dot.first",
        "with space",
        "ümlaut",
        "valid.feature\n"
      })
  void check_rejectsInvalidFeature(String feature) {
    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> EventNames.check(feature, "valid.action"));
    assertTrue(e.getMessage().startsWith("'feature' "), e.getMessage());
  }

  @ParameterizedTest(name = "rejects action \"{0}\"")
  @NullAndEmptySource
  @ValueSource(strings = {"Invalid", "invalid_action!", "view2"})
  void check_rejectsInvalidActionNamingTheAction(String action) {
    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> EventNames.check("valid.feature", action));
    assertTrue(e.getMessage().startsWith("'action' "), e.getMessage());
  }

  @ParameterizedTest(name = "accepts \"{0}\"")
  @ValueSource(
      strings = {
        "valid.feature",
        "valid-action",
        "validFeature.foobar",
        "valid.action",
        "ab",
        "cody.completion.accepted-by-user",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 64 characters
      })
  void check_acceptsValidNames(String name) {
    assertDoesNotThrow(() -> EventNames.check(name, name));
  }

  @org.junit.jupiter.api.Test
  void check_refusesANameOverItsLengthAsOverABound() {
    LimitExceededException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            LimitExceededException.class, () -> EventNames.check("a.b", "a".repeat(65)));
    assertEquals("'action' must be at most 64 characters long, got 65", e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void problem_saysWhatToFix() {
    assertEquals(
        "'feature' must start with a lowercase letter and contain only letters, dashes, and dots",
        EventNames.problem("feature", "Invalid").orElseThrow());
    assertEquals("'action' must be provided", EventNames.problem("action", "").orElseThrow());
    assertEquals(
        "'feature' must be at most 64 characters long, got 65",
        EventNames.problem("feature", "a".repeat(65)).orElseThrow());
  }

  /** The rule as it was first written, as a regular expression: the check must accept the same. */
  private static final Pattern RULE = Pattern.compile("^[a-z][a-zA-Z\\-.]+$");

  /** Characters at and around the edges of each class the rule allows, and others. */
  private static final char[] EDGES = {
    'a', 'b', 'z', 'A', 'Z', '-', '.', '`', '{', '@', '[', '/', ',', '0', '9', '_', ' ', '\n', '\r',
    '\t', 'ü', 'ſ', '\u212A', '\uFF41', '\uD83D', '\uDE00', '\u0000'
  };

  @Test
  void wellFormed_acceptsExactlyWhatTheRulesRegularExpressionAccepts() {
    List<String> names = new ArrayList<>();
    names.add("");
    for (char a : EDGES) {
      names.add(String.valueOf(a));
      for (char b : EDGES) {
        names.add("" + a + b);
        for (char c : EDGES) {
          names.add("" + a + b + c);
        }
      }
    }
    Random random = new Random(28);
    for (int i = 0; i < 200_000; i++) {
      char[] name = new char[2 + random.nextInt(10)];
      for (int k = 0; k < name.length; k++) {
        name[k] = random.nextInt(4) == 0 ? (char) random.nextInt(0x180) : EDGES[random.nextInt(7)];
      }
      names.add(new String(name));
    }
    int accepted = 0;
    for (String name : names) {
      boolean expected = RULE.matcher(name).matches();
      assertEquals(expected, EventNames.wellFormed(name), () -> "\"" + name + "\"");
      accepted += expected ? 1 : 0;
    }
    assertTrue(accepted > 1000, "the names tried include valid ones: " + accepted);
  }

  @ParameterizedTest(name = "rejects \"{0}\" (a letter the rule does not allow)")
  @ValueSource(strings = {"a\u017F", "a\u212A", "\uFF41b", "ab\uD83D\uDE00", "a\u0000", "ab\r"})
  void check_rejectsNonAsciiLettersAndControlCharacters(String name) {
    assertThrows(InvalidEventException.class, () -> EventNames.check(name, "valid.action"));
  }
}
