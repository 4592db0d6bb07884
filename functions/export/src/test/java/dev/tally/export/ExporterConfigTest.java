package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.config.ConfigException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

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
  void exporter_isBuiltWithEverySettingOfTheConfiguration() {
    ExporterConfig config =
        ExporterConfig.fromEnv(
            env(
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE", "500",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES", "65536",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_REQUEST_BYTES", "131072",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_MAX_EVENT_FAILURES", "5",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET", "2m",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT", "30s",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_LEASE", "3m",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_RETRY_BACKOFF", "10s",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORTED_EVENTS_RETENTION", "48h",
                "TELEMETRY_GATEWAY_EXPORTER_QUEUE_CLEANUP_INTERVAL", "1h",
                "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CONCURRENCY", "4",
                "TELEMETRY_EVENT_LOGS_RETENTION_DAYS", "30"));

    try (Exporter exporter = config.exporter(new PGSimpleDataSource(), null, Clock.systemUTC())) {
      assertEquals(
          new Exporter.Settings(
              500,
              65536,
              131072,
              5,
              Duration.ofMinutes(2),
              Duration.ofSeconds(30),
              Duration.ofMinutes(3),
              Duration.ofSeconds(10),
              Duration.ofHours(48),
              Duration.ofHours(1),
              4),
          exporter.settings());
      assertEquals(Optional.of(Duration.ofDays(30)), exporter.eventLogsRetention());
    }
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
