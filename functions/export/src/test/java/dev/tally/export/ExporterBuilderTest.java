package dev.tally.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.privacy.EventLogsRetention;
import dev.tally.store.ExportQueue;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

/** What the builder starts from and what it refuses; nothing here reaches a database. */
class ExporterBuilderTest {
  /** Never connected to: building an exporter opens no connection. */
  private static final DataSource UNUSED = new PGSimpleDataSource();

  private static final Clock CLOCK = Clock.systemUTC();
  private static final ExportQueue QUEUE = new ExportQueue(UNUSED, CLOCK);

  private static Exporter.Builder builder() {
    return Exporter.builder(QUEUE, CLOCK);
  }

  @Test
  void defaults_areTheOriginalExportersAndTheExportFunctionsOwn() {
    assertEquals(10_000, Exporter.DEFAULT_BATCH_SIZE);
    assertEquals(1024 * 1024, Exporter.DEFAULT_FRAME_BYTES);
    assertEquals(8 * 1024 * 1024, Exporter.DEFAULT_REQUEST_BYTES);
    assertEquals(3, Exporter.DEFAULT_MAX_EVENT_FAILURES);
    assertEquals(Duration.parse("PT3M45S"), Exporter.DEFAULT_TIME_BUDGET);
    assertEquals(Duration.ofSeconds(60), Exporter.DEFAULT_CALL_TIMEOUT);
    assertEquals(Duration.ofMinutes(5), Exporter.DEFAULT_LEASE);
    assertEquals(Duration.ofSeconds(30), Exporter.DEFAULT_RETRY_BACKOFF);
    assertEquals(Duration.ofHours(24), Exporter.DEFAULT_RETENTION);
    assertEquals(Duration.ofMinutes(30), Exporter.DEFAULT_CLEANUP_INTERVAL);
    assertEquals(2, Exporter.DEFAULT_CONCURRENCY);
  }

  @Test
  void builder_startsEverySettingAtItsDefault_withEventLogsKeptUntilErased() {
    try (Exporter exporter = builder().withoutGateway().build()) {
      assertEquals(
          new Exporter.Settings(
              Exporter.DEFAULT_BATCH_SIZE,
              Exporter.DEFAULT_FRAME_BYTES,
              Exporter.DEFAULT_REQUEST_BYTES,
              Exporter.DEFAULT_MAX_EVENT_FAILURES,
              Exporter.DEFAULT_TIME_BUDGET,
              Exporter.DEFAULT_CALL_TIMEOUT,
              Exporter.DEFAULT_LEASE,
              Exporter.DEFAULT_RETRY_BACKOFF,
              Exporter.DEFAULT_RETENTION,
              Exporter.DEFAULT_CLEANUP_INTERVAL,
              Exporter.DEFAULT_CONCURRENCY),
          exporter.settings());
      assertEquals(Optional.empty(), exporter.eventLogsRetention());
    }
  }

  @Test
  void exportFunctionWithNoSettings_buildsTheExporterOfTheDefaults() {
    ExporterConfig config =
        ExporterConfig.fromEnv(Map.of("DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/tally"));

    try (Exporter configured = config.exporter(UNUSED, null, CLOCK);
        Exporter defaults = builder().withoutGateway().build()) {
      assertEquals(defaults.settings(), configured.settings());
      assertEquals(Optional.empty(), configured.eventLogsRetention());
    }
  }

  @Test
  void eventLogsRetention_isOnOnlyWhenAskedFor_andOffAgainByName() {
    EventLogsRetention pruner = new EventLogsRetention(UNUSED, Clock.systemUTC());

    try (Exporter on =
            builder().withoutGateway().eventLogsRetention(pruner, Duration.ofDays(90)).build();
        Exporter off =
            builder()
                .withoutGateway()
                .eventLogsRetention(pruner, Duration.ofDays(90))
                .withoutEventLogsRetention()
                .build()) {
      assertEquals(Optional.of(Duration.ofDays(90)), on.eventLogsRetention());
      assertEquals(Optional.empty(), off.eventLogsRetention());
    }
  }

  @Test
  void build_refusesAnExporterThatWasNotToldWhereEventsGo() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> builder().build());

    assertEquals(
        "say where the exporter sends events: gateway(client, identifier), or withoutGateway()"
            + " for runs that only clean up and report",
        e.getMessage());
  }

  @Test
  void gateway_needsWhoThisInstanceIs() {
    GatewayClient client = (metadata, frames) -> java.util.Set.of();

    NullPointerException e =
        assertThrows(NullPointerException.class, () -> builder().gateway(client, null));

    assertEquals(
        "an exporter with a gateway needs an identifier (who this instance is)", e.getMessage());
  }

  static Stream<Arguments> refusedSettings() {
    return Stream.of(
        refused(b -> b.batchSize(0), "batchSize must be at least 1, got 0"),
        refused(b -> b.frameBytes(0), "frameBytes must be at least 1, got 0"),
        refused(b -> b.requestBytes(-1), "requestBytes must be at least 1, got -1"),
        refused(b -> b.maxEventFailures(0), "maxEventFailures must be at least 1, got 0"),
        refused(b -> b.concurrency(0), "concurrency must be at least 1, got 0"),
        refused(b -> b.timeBudget(Duration.ZERO), "timeBudget must be positive, got PT0S"),
        refused(
            b -> b.callTimeout(Duration.ofSeconds(-1)), "callTimeout must be positive, got PT-1S"),
        refused(b -> b.lease(Duration.ZERO), "lease must be positive, got PT0S"),
        refused(
            b -> b.retryBackoff(Duration.ofSeconds(-1)),
            "retryBackoff must not be negative, got PT-1S"),
        refused(
            b -> b.retention(Duration.ofHours(-1)), "retention must not be negative, got PT-1H"),
        refused(
            b -> b.cleanupInterval(Duration.ofMinutes(-1)),
            "cleanupInterval must not be negative, got PT-1M"),
        refused(
            b ->
                b.eventLogsRetention(
                    new EventLogsRetention(UNUSED, Clock.systemUTC()), Duration.ZERO),
            "the retention of event_logs must be positive, got PT0S; to keep its rows until they"
                + " are erased, use withoutEventLogsRetention()"));
  }

  private static Arguments refused(UnaryOperator<Exporter.Builder> setting, String message) {
    return Arguments.of(message, setting);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedSettings")
  void aSettingOutOfRange_isRefusedAtOnceNamingItAndTheValue(
      String message, UnaryOperator<Exporter.Builder> setting) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> setting.apply(builder()));

    assertEquals(message, e.getMessage());
  }

  @Test
  void build_refusesARequestSmallerThanAFrame() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> builder().withoutGateway().frameBytes(64 * 1024).requestBytes(32 * 1024).build());

    assertEquals(
        "requestBytes (32768) must be at least frameBytes (65536): a request carries at least one"
            + " frame",
        e.getMessage());
  }

  @Test
  void build_refusesALeaseNoLongerThanACall() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                builder()
                    .withoutGateway()
                    .callTimeout(Duration.ofMinutes(2))
                    .lease(Duration.ofMinutes(2))
                    .build());

    assertEquals(
        "the lease (PT2M) must be longer than the call timeout (PT2M): a call must end while its"
            + " events are still claimed",
        e.getMessage());
  }
}
