package dev.tally.exportfn;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import com.zaxxer.hikari.HikariDataSource;
import dev.tally.export.ExportRun;
import dev.tally.export.Exporter;
import dev.tally.export.ExporterConfig;
import dev.tally.export.GatewayClient;
import dev.tally.instance.Lazy;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import dev.tally.store.DataSources;
import dev.tally.store.ExportQueue;
import dev.tally.store.StoreException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The export HTTP function. Entry point: {@code dev.tally.exportfn.ExportFunction}.
 *
 * <p>{@code POST} runs an export and answers {@code 200} with the run's summary (the fields of
 * {@link ExportRun#fields()}), or {@code 503} when the database is unavailable.
 */
public final class ExportFunction implements HttpFunction {

  private final Supplier<Exporter> exporter;

  /** Called by the Functions Framework: reads the configuration; connects on first use. */
  public ExportFunction() {
    this(ExporterConfig.fromEnv(System.getenv()));
  }

  private ExportFunction(ExporterConfig config) {
    this(new Lazy<>(() -> create(config)).warmUpInBackground(exporter -> {}));
    JsonLog.installAsJulHandler();
  }

  ExportFunction(Supplier<Exporter> exporter) {
    this.exporter = exporter;
  }

  private static Exporter create(ExporterConfig config) {
    HikariDataSource dataSource = DataSources.pooled(config.database(), "export");
    GatewayClient client = config.client();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (client != null) {
                    client.close();
                  }
                  dataSource.close();
                },
                "export-shutdown"));
    return new Exporter(
        new ExportQueue(dataSource, Clock.systemUTC()),
        client,
        config.identifier(),
        Exporter.Settings.of(config),
        Clock.systemUTC());
  }

  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    if (!request.getMethod().toUpperCase(Locale.ROOT).equals("POST")) {
      response.appendHeader("Allow", "POST");
      write(response, 405, Map.of("errors", List.of(Map.of("message", "run an export with POST"))));
      return;
    }
    try {
      ExportRun run = exporter.get().run();
      write(response, 200, run.fields());
    } catch (StoreException e) {
      JsonLog.error("export run failed: database unavailable", e, Map.of());
      write(
          response,
          503,
          Map.of(
              "errors",
              List.of(
                  Map.of(
                      "message",
                      "the instance database is unavailable; nothing was exported, the next run"
                          + " retries"))));
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
