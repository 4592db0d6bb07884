package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.export.Exporter;
import dev.tally.export.ExporterConfig;
import dev.tally.runtime.Lazy;
import dev.tally.store.DataSources;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A start that fails closes what it opened, so that the next request's retry leaks nothing. */
class ExportFunctionTest {
  private static final ExporterConfig CONFIG =
      ExporterConfig.fromEnv(
          Map.of(
              // Never connected to: the pool opens connections on first use.
              "DATABASE_URL", "jdbc:postgresql://127.0.0.1:9/none",
              "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR", "http://127.0.0.1:9",
              "TELEMETRY_GATEWAY_EXPORTER_TOKEN", "token",
              "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", "instance-1"));

  private final List<HikariDataSource> pools = new ArrayList<>();

  private HikariDataSource pool(dev.tally.store.DatabaseConfig database) {
    HikariDataSource pool = DataSources.pooled(database, "export-test");
    pools.add(pool);
    return pool;
  }

  @Test
  void create_whenTheGatewayClientCannotBeCreatedClosesThePool() {
    assertThrows(
        IllegalStateException.class,
        () ->
            ExportFunction.create(
                CONFIG,
                this::pool,
                config -> {
                  throw new IllegalStateException("no TLS provider");
                },
                Clock.systemUTC()));

    assertEquals(1, pools.size());
    assertTrue(pools.get(0).isClosed());
  }

  @Test
  void create_retriedAfterFailedStartsHoldsOnlyTheLastStartsPool() {
    AtomicInteger attempts = new AtomicInteger();
    Lazy<Exporter> exporter =
        new Lazy<>(
            () ->
                ExportFunction.create(
                    CONFIG,
                    this::pool,
                    config -> {
                      if (attempts.incrementAndGet() <= 3) {
                        throw new IllegalStateException("not yet");
                      }
                      return config.client();
                    },
                    Clock.systemUTC()));

    for (int i = 0; i < 3; i++) {
      assertThrows(IllegalStateException.class, exporter::get);
    }
    Exporter started = exporter.get();

    assertEquals(4, pools.size());
    assertEquals(3, pools.stream().filter(HikariDataSource::isClosed).count());
    assertFalse(pools.get(3).isClosed(), "the last start's pool serves the function");
    started.close();
    pools.get(3).close();
  }
}
