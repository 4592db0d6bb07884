package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.sun.net.httpserver.HttpServer;
import dev.tally.export.QueuedEvents;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The export function stopped as Cloud Run stops an instance (SIGTERM, then at most 10 seconds)
 * while a run's call to the gateway hangs, through the real invoker and a real PostgreSQL: the
 * events the run claimed and had not sent are claimable at once, and those of the call under way,
 * which the gateway may have acknowledged, stay leased until their lease ends.
 */
@ExtendWith(PostgresExtension.class)
class ShutdownIT {
  private static final int EVENTS = 300;
  private static final int BATCH = 100;

  @Test
  void sigtermDuringACall_releasesTheUnsentEventsAtOnce_andKeepsTheCallsEventsLeased(
      TestDatabase db) throws Exception {
    db.execute("TRUNCATE telemetry_events_export_queue");
    queueEvents(db);
    CountDownLatch called = new CountDownLatch(1);
    CountDownLatch testOver = new CountDownLatch(1);
    // A gateway that takes the first call and never answers it.
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ExecutorService gatewayThreads = Executors.newCachedThreadPool();
    gateway.setExecutor(gatewayThreads);
    gateway.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          called.countDown();
          try {
            testOver.await(2, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.close();
        });
    gateway.start();
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    env.put(
        "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR",
        "http://127.0.0.1:" + gateway.getAddress().getPort());
    env.put("TELEMETRY_GATEWAY_EXPORTER_TOKEN", "token");
    env.put("TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", "instance-1");
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE", String.valueOf(BATCH));
    // A batch of 100 goes in several calls: the first one hangs, the rest are not sent yet.
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES", "16384");
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_REQUEST_BYTES", "16384");
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_CONCURRENCY", "1");
    FunctionProcess export =
        FunctionProcess.start("export", "dev.tally.exportfn.ExportFunction", env);
    try {
      HttpClient.newHttpClient()
          .sendAsync(
              HttpRequest.newBuilder(export.uri("/"))
                  .POST(HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertTrue(called.await(60, TimeUnit.SECONDS), "the run's first call:\n" + export.output());

      export.close(); // SIGTERM, and SIGKILL after 10 s as Cloud Run does

      long leased =
          db.queryLong(
              "SELECT count(*) FROM telemetry_events_export_queue WHERE lease_owner IS NOT NULL");
      long claimableNow =
          db.queryLong(
              "SELECT count(*) FROM telemetry_events_export_queue WHERE exported_at IS NULL"
                  + " AND lease_owner IS NULL AND (available_at IS NULL OR available_at <= now())");
      assertTrue(leased > 0 && leased < BATCH, "the hanging call's events stay leased: " + leased);
      assertEquals(EVENTS - leased, claimableNow, "every other event is claimable at once");
      assertTrue(
          export.output().contains("cancelled export run: unsent events released"),
          export.output());
    } finally {
      testOver.countDown();
      export.close();
      gateway.stop(0);
      gatewayThreads.shutdownNow();
    }
  }

  /** Events of about 2 KB each, queued as recording queues them. */
  private static void queueEvents(TestDatabase db) {
    long millis = Instant.now().toEpochMilli();
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      events.add(
          Event.newBuilder()
              .setId(new UUID((millis << 16) | 0x7000L, 0x8000_0000_0000_0000L | i).toString())
              .setFeature("export.shutdown")
              .setAction("queued")
              .setParameters(
                  EventParameters.newBuilder()
                      .setPrivateMetadata(
                          Struct.newBuilder()
                              .putFields(
                                  "pad",
                                  Value.newBuilder().setStringValue("x".repeat(2000)).build())))
              .build());
    }
    QueuedEvents.insert(db.dataSource(), events, Instant.now());
  }
}
