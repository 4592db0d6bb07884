package dev.tally.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({"500ms, PT0.5S", "30s, PT30S", "5m, PT5M", "24h, PT24H", "7d, PT168H", "PT1M, PT1M"})
  void duration_readsShortAndIsoForms(String text, Duration expected) {
    assertEquals(expected, Env.of(Map.of("X", text)).duration("X", Duration.ZERO, Duration.ZERO));
  }

  @Test
  void unsetOrBlank_takesTheDefault() {
    Env env = Env.of(Map.of("BLANK", "  "));
    assertEquals(5, env.integer("UNSET", 5, 1, 10));
    assertEquals("d", env.string("BLANK", "d"));
    assertEquals(
        Duration.ofMinutes(5), env.duration("BLANK", Duration.ofMinutes(5), Duration.ZERO));
  }

  @Test
  void errors_nameTheVariableTheValueAndWhatIsExpected() {
    Env env = Env.of(Map.of("SIZE", "lots", "BIG", "100", "WAIT", "soon", "SHORT", "1s"));

    assertEquals(
        "SIZE must be an integer between 1 and 50, got 'lots'",
        assertThrows(ConfigException.class, () -> env.integer("SIZE", 1, 1, 50)).getMessage());
    assertEquals(
        "BIG must be an integer between 1 and 50, got '100'",
        assertThrows(ConfigException.class, () -> env.integer("BIG", 1, 1, 50)).getMessage());
    assertEquals(
        "WAIT must be a duration such as 30s, 5m or 24h, got 'soon'",
        assertThrows(
                ConfigException.class, () -> env.duration("WAIT", Duration.ZERO, Duration.ZERO))
            .getMessage());
    assertEquals(
        "SHORT must be a duration of at least PT1M, got '1s'",
        assertThrows(
                ConfigException.class,
                () -> env.duration("SHORT", Duration.ofMinutes(5), Duration.ofMinutes(1)))
            .getMessage());
    assertEquals(
        "MISSING must be set",
        assertThrows(ConfigException.class, () -> env.required("MISSING")).getMessage());
  }
}
