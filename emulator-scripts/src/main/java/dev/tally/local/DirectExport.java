package dev.tally.local;

import dev.tally.gateway.EventMessages;
import dev.tally.gateway.PubSubEventPublisher;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.store.ExportQueue;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * The export's work without the export function and the gateway between the queue and Pub/Sub: the
 * benchmark's anchor for what an exporter that keeps its state in PostgreSQL can reach on this
 * machine. In one JVM, through plain JDBC ({@link ExportQueue}, the exporter's own SQL) and one
 * {@code Publisher} ({@link PubSubEventPublisher}, the gateway's, with its batching settings), each
 * loop claims a batch under a lease, prints every event with the gateway's printer and attributes
 * ({@link EventMessages}, the call's metadata printed once per batch as the gateway prints it once
 * per call), publishes it, waits for Pub/Sub's acknowledgements, and marks the acknowledged events
 * exported; any it did not acknowledge are released, as the exporter releases them.
 *
 * <p>It leaves out only what the pipeline adds between the two ends: the export function's request
 * framing (protobuf, gRPC-web), the HTTP call, the gateway's token check, its validation of each
 * event and its per-call bookkeeping, and the two processes' own JVMs.
 */
final class DirectExport implements AutoCloseable {
  /** Events claimed per batch: the export function's default ({@code Exporter}). */
  static final int BATCH_SIZE = 10_000;

  /** Batches in flight at once: the export function's default ({@code Exporter}). */
  static final int CONCURRENCY = 2;

  /** The export function's default lease. */
  private static final Duration LEASE = Duration.ofMinutes(5);

  private final ExportQueue queue;
  private final PubSubEventPublisher publisher;
  private final Identifier identifier;
  private final ExecutorService loops;

  DirectExport(DataSource dataSource, PubSubEventPublisher publisher, Identifier identifier) {
    this.queue = new ExportQueue(dataSource, Clock.systemUTC());
    this.publisher = Objects.requireNonNull(publisher, "publisher");
    this.identifier = Objects.requireNonNull(identifier, "identifier");
    this.loops = Executors.newFixedThreadPool(CONCURRENCY);
  }

  /**
   * Exports the queue until nothing is left to claim, in {@link #CONCURRENCY} loops sharing one run
   * token.
   *
   * @return how many events were marked exported
   */
  int drain() throws InterruptedException, ExecutionException {
    UUID owner = UUID.randomUUID();
    AtomicInteger exported = new AtomicInteger();
    List<Future<?>> running = new ArrayList<>();
    for (int i = 0; i < CONCURRENCY; i++) {
      running.add(
          loops.submit(
              () -> {
                drainLoop(owner, exported);
                return null;
              }));
    }
    for (Future<?> loop : running) {
      loop.get();
    }
    return exported.get();
  }

  private void drainLoop(UUID owner, AtomicInteger exported) throws Exception {
    while (true) {
      ExportQueue.Claim claim = queue.claim(owner, BATCH_SIZE, LEASE);
      if (claim.events().isEmpty()) {
        return;
      }
      // A new call's metadata per batch, as the exporter sends and the gateway prints it.
      String metadataJson =
          EventMessages.metadataJson(
              EventMessages.publishable(
                  RecordEventsRequestMetadata.newBuilder()
                      .setRequestId(UUID.randomUUID().toString())
                      .setIdentifier(identifier)
                      .build()));
      List<ExportQueue.QueuedEvent> events = claim.events();
      List<CompletableFuture<String>> published = new ArrayList<>(events.size());
      for (ExportQueue.QueuedEvent queued : events) {
        // Decoded once: the messages are printed from the event.
        Event event = queued.event();
        published.add(
            publisher.publish(
                EventMessages.data(metadataJson, event),
                EventMessages.attributes(identifier, event)));
      }
      try {
        CompletableFuture.allOf(published.toArray(CompletableFuture[]::new))
            .get(60, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // Some were not acknowledged: those are released below, the rest marked.
      }
      List<ExportQueue.QueuedEvent> acknowledged = new ArrayList<>(events.size());
      List<UUID> rest = new ArrayList<>();
      for (int i = 0; i < events.size(); i++) {
        CompletableFuture<String> publish = published.get(i);
        if (publish.isDone() && !publish.isCompletedExceptionally()) {
          acknowledged.add(events.get(i));
        } else {
          rest.add(events.get(i).id());
        }
      }
      exported.addAndGet(queue.markExported(owner, acknowledged));
      queue.release(owner, rest, Duration.ZERO);
      if (!rest.isEmpty()) {
        throw new IllegalStateException(rest.size() + " event(s) not acknowledged by Pub/Sub");
      }
    }
  }

  @Override
  public void close() {
    loops.shutdownNow();
  }
}
