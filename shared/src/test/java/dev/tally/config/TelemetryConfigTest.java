package dev.tally.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.redact.Redactor;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TelemetryConfigTest {

  @Test
  void fromEnv_defaultsToRedactingWithTheBuiltInAllowlist() {
    TelemetryConfig config = TelemetryConfig.fromEnv(Map.of());

    assertEquals(TelemetryConfig.DEFAULT_SERVER_VERSION, config.serverVersion());
    assertEquals(Redactor.Mode.ALLOWLISTED_ONLY, config.redactionMode());
    assertEquals(
        Optional.of(Set.of("testField")),
        config.allowlist().allowedKeys("exampleFeature", "exampleAction"));
  }

  @Test
  void fromEnv_readsEveryVariable() {
    TelemetryConfig config =
        TelemetryConfig.fromEnv(
            Map.of(
                "TELEMETRY_SERVER_VERSION", "5.3.0",
                "TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA", "true",
                "TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "search::*::query"));

    assertEquals("5.3.0", config.serverVersion());
    assertEquals(Redactor.Mode.EXPORT_EVERYTHING, config.redactionMode());
    assertEquals(Optional.of(Set.of("query")), config.allowlist().allowedKeys("search", "x"));
    assertEquals(
        Optional.of(Set.of("testField")),
        config.allowlist().allowedKeys("exampleFeature", "exampleAction"),
        "configured entries add to the built-in ones");
  }

  @Test
  void fromEnv_failsAtStartUpOnAMalformedAllowlistEntry() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                TelemetryConfig.fromEnv(
                    Map.of("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "search::submit")));

    assertTrue(
        e.getMessage().startsWith("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST must be"),
        e.getMessage());
    assertTrue(e.getMessage().contains("'search::submit'"), e.getMessage());
  }

  @Test
  void fromEnv_failsOnABooleanItCannotRead() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                TelemetryConfig.fromEnv(Map.of("TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA", "yes")));

    assertEquals(
        "TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA must be true or false, got 'yes'", e.getMessage());
  }
}
