package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.config.ConfigException;
import dev.tally.ratelimit.RateLimitConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordEventConfigTest {
  private static final String DB = "jdbc:postgresql://127.0.0.1:5432/tally";

  @Test
  void fromEnv_hasSafeDefaults() {
    RecordEventConfig config = RecordEventConfig.fromEnv(Map.of("DATABASE_URL", DB));

    assertEquals(RecordEventConfig.DEFAULT_MAX_REQUEST_BYTES, config.maxRequestBytes());
    assertTrue(config.allowAnonymous());
    assertFalse(config.allowsOrigin("https://app.example.com"), "no origin allowed by default");
    assertTrue(config.consoleEnabled());
  }

  @Test
  void fromEnv_turnsTheConsoleOff() {
    assertFalse(
        RecordEventConfig.fromEnv(Map.of("DATABASE_URL", DB, "TELEMETRY_CONSOLE_ENABLED", "false"))
            .consoleEnabled());
    ConfigException bad =
        assertThrows(
            ConfigException.class,
            () ->
                RecordEventConfig.fromEnv(
                    Map.of("DATABASE_URL", DB, "TELEMETRY_CONSOLE_ENABLED", "maybe")));
    assertTrue(bad.getMessage().startsWith("TELEMETRY_CONSOLE_ENABLED must be true or false"));
  }

  @Test
  void fromEnv_readsTheConsolesSignInLimit() {
    assertEquals(
        10, RecordEventConfig.fromEnv(Map.of("DATABASE_URL", DB)).consoleSignInAttemptsPerMinute());
    assertEquals(
        0,
        RecordEventConfig.fromEnv(
                Map.of("DATABASE_URL", DB, "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE", "0"))
            .consoleSignInAttemptsPerMinute(),
        "0 turns it off");
    ConfigException bad =
        assertThrows(
            ConfigException.class,
            () ->
                RecordEventConfig.fromEnv(
                    Map.of(
                        "DATABASE_URL",
                        DB,
                        "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE",
                        "-1")));
    assertTrue(
        bad.getMessage().startsWith("TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE must be"),
        bad.getMessage());
  }

  @Test
  void fromEnv_readsAllowedOrigins() {
    RecordEventConfig config =
        RecordEventConfig.fromEnv(
            Map.of(
                "DATABASE_URL",
                DB,
                "TELEMETRY_CORS_ALLOWED_ORIGINS",
                "https://a.example, http://localhost:3080"));

    assertTrue(config.allowsOrigin("https://a.example"));
    assertTrue(config.allowsOrigin("http://localhost:3080"));
    assertFalse(config.allowsOrigin("https://b.example"));
    assertTrue(
        RecordEventConfig.fromEnv(Map.of("DATABASE_URL", DB, "TELEMETRY_CORS_ALLOWED_ORIGINS", "*"))
            .allowsOrigin("https://any.example"));
  }

  @Test
  void fromEnv_namesTheVariableOfABadValue() {
    ConfigException origin =
        assertThrows(
            ConfigException.class,
            () ->
                RecordEventConfig.fromEnv(
                    Map.of(
                        "DATABASE_URL",
                        DB,
                        "TELEMETRY_CORS_ALLOWED_ORIGINS",
                        "https://a.example/path")));
    assertTrue(origin.getMessage().startsWith("TELEMETRY_CORS_ALLOWED_ORIGINS must be"));

    ConfigException database =
        assertThrows(ConfigException.class, () -> RecordEventConfig.fromEnv(Map.of()));
    assertEquals("DATABASE_URL must be set", database.getMessage());
  }

  @Test
  void fromEnv_readsTheBudgetsCheckedBeforeABodyIsRead() {
    RecordEventConfig defaults = RecordEventConfig.fromEnv(Map.of("DATABASE_URL", DB));
    assertEquals(RateLimitConfig.DEFAULTS, defaults.rateLimits());

    RateLimitConfig set =
        RecordEventConfig.fromEnv(
                Map.of(
                    "DATABASE_URL", DB,
                    "TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE", "0",
                    "TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE", "5",
                    "TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE", "2147483647",
                    "TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE", "1024"))
            .rateLimits();
    assertEquals(0, set.addressRequestsPerMinute());
    assertEquals(5, set.failedAuthenticationsPerMinute());
    assertEquals(Integer.MAX_VALUE, set.bytesPerMinute());
    assertEquals(1024, set.anonymousBytesPerMinute());

    ConfigException bad =
        assertThrows(
            ConfigException.class,
            () ->
                RecordEventConfig.fromEnv(
                    Map.of("DATABASE_URL", DB, "TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE", "-1")));
    assertTrue(
        bad.getMessage().startsWith("TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE must be"),
        bad.getMessage());
  }

  @Test
  void traceId_readsAW3cTraceparent() {
    assertEquals(
        "4bf92f3577b34da6a3ce929d0e0e4736",
        Authenticator.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assertNull(Authenticator.traceId("garbage"));
  }
}
