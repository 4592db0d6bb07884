package dev.tally.exportfn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.gateway.InstanceTokens;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PubSubEmulator;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole pipeline for a test, each function in the real invoker as deployed: record-event and
 * export on one database, export sending to the gateway with an instance's token, the gateway
 * publishing to the topic {@value #TOPIC} of a Pub/Sub emulator, read through the subscription
 * {@value #SUBSCRIPTION}.
 */
final class Pipeline implements AutoCloseable {
  static final String TOPIC = "events";
  static final String SUBSCRIPTION = "events-sub";
  private static final String INSTANCE = "pipeline-test";
  private static final String TOKEN = "pipeline-test-gateway-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<AutoCloseable> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private PubSubEmulator emulator;
  private FunctionProcess recordEvent;
  private FunctionProcess export;

  private Pipeline() {}

  /**
   * Starts the emulator and the three functions.
   *
   * @param recordEventSettings record-event's settings besides its database
   */
  static Pipeline start(
      String databaseUrl, String databaseUser, Map<String, String> recordEventSettings)
      throws IOException, InterruptedException {
    Pipeline pipeline = new Pipeline();
    try {
      pipeline.emulator = pipeline.started(PubSubEmulator.start());
      pipeline.emulator.createTopic(TOPIC);
      pipeline.emulator.createSubscription(SUBSCRIPTION, TOPIC);
      FunctionProcess gateway =
          pipeline.started(
              FunctionProcess.start(
                  "gateway",
                  "dev.tally.gatewayfn.GatewayFunction",
                  Map.of(
                      "PUBSUB_PROJECT_ID",
                      PubSubEmulator.PROJECT,
                      "PUBSUB_EMULATOR_HOST",
                      pipeline.emulator.hostPort(),
                      "TELEMETRY_GATEWAY_TOPIC",
                      TOPIC,
                      "TELEMETRY_GATEWAY_INSTANCE_TOKENS",
                      INSTANCE + "=" + InstanceTokens.sha256Hex(TOKEN))));
      Map<String, String> recordEnv = new HashMap<>(recordEventSettings);
      recordEnv.put("DATABASE_URL", databaseUrl);
      recordEnv.put("DATABASE_USER", databaseUser);
      pipeline.recordEvent =
          pipeline.started(
              FunctionProcess.start(
                  "record-event", "dev.tally.recordevent.RecordEventFunction", recordEnv));
      pipeline.export =
          pipeline.started(
              FunctionProcess.start(
                  "export",
                  "dev.tally.exportfn.ExportFunction",
                  Map.of(
                      "DATABASE_URL", databaseUrl,
                      "DATABASE_USER", databaseUser,
                      "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR", gateway.uri("").toString(),
                      "TELEMETRY_GATEWAY_EXPORTER_TOKEN", TOKEN,
                      "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", INSTANCE)));
      return pipeline;
    } catch (IOException | RuntimeException e) {
      pipeline.close();
      throw e;
    }
  }

  private <T extends AutoCloseable> T started(T process) {
    started.add(process);
    return process;
  }

  PubSubEmulator emulator() {
    return emulator;
  }

  FunctionProcess recordEvent() {
    return recordEvent;
  }

  /**
   * Runs export once, as Cloud Scheduler does.
   *
   * @return the run's line, which is its answer
   * @throws AssertionError when the run answers anything but 200
   */
  JsonNode runExport() throws IOException, InterruptedException {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(export.uri("/"))
                .timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      throw new AssertionError(
          "the export run answered " + answer.statusCode() + ": " + answer.body());
    }
    return JSON.readTree(answer.body());
  }

  @Override
  public void close() throws InterruptedException {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        // The others are stopped all the same.
      }
    }
  }
}
