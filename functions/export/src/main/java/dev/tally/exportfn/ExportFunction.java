package dev.tally.exportfn;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import com.zaxxer.hikari.HikariDataSource;
import dev.tally.export.ExportRun;
import dev.tally.export.Exporter;
import dev.tally.export.ExporterConfig;
import dev.tally.export.GatewayClient;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import dev.tally.runtime.Lazy;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.StoreException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The export HTTP function. Entry point: {@code dev.tally.exportfn.ExportFunction}.
 *
 * <p>{@code POST} runs an export, with a deadline counted from when the request arrived (see {@link
 * Exporter}), and answers {@code 200} with the run's summary (the fields of {@link
 * ExportRun#fields()}), or {@code 503} with the same and an error when the database failed during
 * the run.
 */
public final class ExportFunction implements HttpFunction {
  private static final String DATABASE_UNAVAILABLE =
      "the instance database is unavailable; what was not marked exported is sent again by a later"
          + " run";

  /**
   * How long the instance's shutdown waits for a cancelled run to settle its calls under way: Cloud
   * Run gives an instance 10 seconds after SIGTERM, and the pool and the client close after.
   */
  static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final Supplier<Exporter> exporter;
  private final Clock clock;

  /** Called by the Functions Framework: reads the configuration; connects on first use. */
  public ExportFunction() {
    this(ExporterConfig.fromEnv(System.getenv()));
  }

  private ExportFunction(ExporterConfig config) {
    this(new Lazy<>(() -> create(config)).warmUpInBackground(exporter -> {}));
    JsonLog.install(config.log());
  }

  ExportFunction(Supplier<Exporter> exporter) {
    this(exporter, Clock.systemUTC());
  }

  /** Reads when each request arrived on {@code clock}: the run's deadline counts from then. */
  ExportFunction(Supplier<Exporter> exporter, Clock clock) {
    this.exporter = exporter;
    this.clock = clock;
  }

  private static Exporter create(ExporterConfig config) {
    return create(
        config,
        database -> DataSources.pooled(database, "export"),
        ExporterConfig::client,
        Clock.systemUTC());
  }

  /**
   * Opens what an exporter holds for the instance's lifetime. When a step fails, what the earlier
   * steps opened is closed again, so that the next request's retry starts from nothing.
   */
  static Exporter create(
      ExporterConfig config,
      Function<DatabaseConfig, HikariDataSource> pools,
      Function<ExporterConfig, GatewayClient> clients,
      Clock clock) {
    HikariDataSource dataSource = pools.apply(config.database());
    GatewayClient client = null;
    Exporter exporter;
    try {
      client = clients.apply(config);
      exporter = config.exporter(dataSource, client, clock);
    } catch (RuntimeException | Error e) {
      if (client != null) {
        try {
          client.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      dataSource.close();
      throw e;
    }
    GatewayClient opened = client;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // The instance is stopping (SIGTERM): a run under way gives back what it has not
                  // sent, and gets a moment to mark what its calls under way bring back.
                  exporter.cancelRuns();
                  exporter.awaitRuns(SHUTDOWN_WAIT);
                  exporter.close();
                  if (opened != null) {
                    opened.close();
                  }
                  dataSource.close();
                },
                "export-shutdown"));
    return exporter;
  }

  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    try (JsonLog.Scope trace = JsonLog.inRequest(RequestTrace.of(request::getFirstHeader))) {
      serve(request, response);
    }
  }

  private void serve(HttpRequest request, HttpResponse response) throws IOException {
    if (!request.getMethod().toUpperCase(Locale.ROOT).equals("POST")) {
      response.appendHeader("Allow", "POST");
      write(response, 405, Map.of("errors", List.of(Map.of("message", "run an export with POST"))));
      return;
    }
    // The function's timeout counts from here, before the exporter is even ready: so does the
    // run's.
    Instant arrived = clock.instant();
    ExportRun run;
    try {
      run = exporter.get().run(arrived);
    } catch (StoreException e) {
      // The instance could not even start: its migrations on start failed.
      JsonLog.error("export run failed: database unavailable", e, Map.of());
      write(response, 503, Map.of("errors", List.of(Map.of("message", DATABASE_UNAVAILABLE))));
      return;
    }
    if (run.databaseUnavailable()) {
      Map<String, Object> body = new LinkedHashMap<>(run.fields());
      body.put("errors", List.of(Map.of("message", DATABASE_UNAVAILABLE)));
      write(response, 503, body);
    } else {
      write(response, 200, run.fields());
    }
  }

  private static void write(HttpResponse response, int status, Object body) throws IOException {
    response.setStatusCode(status);
    response.setContentType("application/json; charset=utf-8");
    try (OutputStream out = response.getOutputStream()) {
      Json.write(body, out);
    }
  }
}
