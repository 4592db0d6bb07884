package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.config.ConfigException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExporterConfigTest {
  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/tally");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void fromEnv_defaultsKeepTheLastCallWithinTheFunctionTimeout() {
    ExporterConfig config = ExporterConfig.fromEnv(env());

    assertEquals(Duration.ofMinutes(5), config.functionTimeout());
    assertEquals(Duration.ofSeconds(60), config.callTimeout());
    assertEquals(Duration.parse("PT3M45S"), config.timeBudget(), "5m - 60s - 15s");
    assertEquals(8 * 1024 * 1024, config.requestBytes());
    assertEquals(3, config.maxEventFailures());
  }

  @Test
  void fromEnv_derivesTheBudgetFromTheFunctionAndCallTimeouts() {
    ExporterConfig config =
        ExporterConfig.fromEnv(
            env(
                "TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT", "540s",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT", "45s"));

    assertEquals(Duration.ofSeconds(480), config.timeBudget());
  }

  @Test
  void fromEnv_refusesABudgetThatLeavesNoRoomForTheLastCall() {
    ConfigException tooLong =
        assertThrows(
            ConfigException.class,
            () ->
                ExporterConfig.fromEnv(env("TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET", "4m")));

    assertEquals(
        "TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET (4m) must leave room for the last call: at"
            + " most TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT (5m) -"
            + " TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT (1m) - 15s = 3m45s; leave it unset"
            + " to use that",
        tooLong.getMessage());
    assertEquals(
        Duration.ofMinutes(3),
        ExporterConfig.fromEnv(env("TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET", "3m"))
            .timeBudget());
  }

  @Test
  void fromEnv_refusesAFunctionTimeoutShorterThanACall() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ExporterConfig.fromEnv(
                    env(
                        "TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT", "60s",
                        "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT", "60s")));

    assertEquals(
        "no time left to export: TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT (1m) -"
            + " TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT (1m) - 15s must be at least 1s;"
            + " raise TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT",
        e.getMessage());
  }

  @Test
  void fromEnv_refusesRequestsSmallerThanAFrame() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ExporterConfig.fromEnv(
                    env(
                        "TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES", "2097152",
                        "TELEMETRY_GATEWAY_EXPORTER_EXPORT_REQUEST_BYTES", "1048576")));

    assertEquals(
        "TELEMETRY_GATEWAY_EXPORTER_EXPORT_REQUEST_BYTES (1048576) must be at least"
            + " TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES (2097152)",
        e.getMessage());
  }
}
