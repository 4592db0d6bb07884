package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
