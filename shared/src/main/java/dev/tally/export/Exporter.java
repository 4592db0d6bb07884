package dev.tally.export;

import dev.tally.log.JsonLog;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.store.ExportQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One export run: clean up when due, then drain the queue to the gateway while there is work and
 * time, then measure the backlog.
 *
 * <p>At least once: an event is marked exported only when the gateway listed its ID; every other
 * event is released for a later retry, or comes back by itself when its lease ends (a run that died
 * after sending but before marking). A duplicate is possible, a loss is not.
 */
public final class Exporter {
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(30);

  private final ExportQueue queue;
  private final GatewayClient client;
  private final Identifier identifier;
  private final Settings settings;
  private final Clock clock;
  private final ExecutorService workers;

  /**
   * The parts of the configuration a run uses.
   *
   * @see ExporterConfig
   */
  public record Settings(
      int batchSize,
      int frameBytes,
      Duration timeBudget,
      Duration lease,
      Duration retryBackoff,
      Duration retention,
      Duration cleanupInterval,
      int concurrency) {

    public static Settings of(ExporterConfig config) {
      return new Settings(
          config.batchSize(),
          config.frameBytes(),
          config.timeBudget(),
          config.lease(),
          config.retryBackoff(),
          config.retention(),
          config.cleanupInterval(),
          config.concurrency());
    }
  }

  /**
   * @param client the gateway, or {@code null} when export is off
   * @param identifier who this instance is, or {@code null} when export is off
   */
  public Exporter(
      ExportQueue queue,
      GatewayClient client,
      Identifier identifier,
      Settings settings,
      Clock clock) {
    this.queue = Objects.requireNonNull(queue, "queue");
    this.client = client;
    this.identifier = identifier;
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (client != null && identifier == null) {
      throw new IllegalArgumentException("an exporter with a gateway needs an identifier");
    }
    if (settings.concurrency() < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.workers =
        Executors.newFixedThreadPool(
            settings.concurrency(),
            runnable -> {
              Thread thread = new Thread(runnable, "export-loop");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Runs once and logs one line with the outcome. */
  public ExportRun run() {
    long start = System.nanoTime();
    boolean cleanupRan = false;
    ExportQueue.Pruned pruned = new ExportQueue.Pruned(0, 0);
    if (queue.claimCleanup(settings.cleanupInterval())) {
      cleanupRan = true;
      pruned = queue.deleteBefore(clock.instant().minus(settings.retention()));
    }

    Progress progress = new Progress();
    if (client != null) {
      Instant deadline = clock.instant().plus(settings.timeBudget());
      if (settings.concurrency() == 1) {
        drain(deadline, progress);
      } else {
        // Several loops overlap claiming, sending and marking; leases keep their batches apart.
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int i = 0; i < settings.concurrency(); i++) {
          loops.add(CompletableFuture.runAsync(() -> drain(deadline, progress), workers));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
      }
    }
    int exported = progress.exported;
    int failed = progress.failed;
    List<Integer> batchSizes = progress.batchSizes;
    String error = progress.error;

    ExportQueue.Backlog backlog = queue.backlog();
    ExportRun run =
        new ExportRun(
            client != null,
            exported,
            failed,
            List.copyOf(batchSizes),
            cleanupRan,
            pruned.exported(),
            pruned.setAside(),
            backlog.unexported(),
            backlog.oldestUnexportedAge().map(Duration::toSeconds).orElse(0L),
            backlog.setAside(),
            (System.nanoTime() - start) / 1_000_000,
            error);
    if (error != null) {
      JsonLog.warning("export run", run.fields());
    } else {
      JsonLog.info("export run", run.fields());
    }
    return run;
  }

  /** Claims, sends and marks batches until the queue is empty, time is up, or the gateway fails. */
  private void drain(Instant deadline, Progress progress) {
    while (clock.instant().isBefore(deadline) && !progress.stopped()) {
      List<ExportQueue.QueuedEvent> batch =
          queue.claimBatch(settings.batchSize(), settings.lease());
      if (batch.isEmpty()) {
        return;
      }
      Set<String> acknowledged;
      String error = null;
      try {
        acknowledged = client.send(metadata(), frames(batch));
      } catch (GatewayClient.GatewayException e) {
        acknowledged = e.acknowledged();
        error = e.getMessage();
      }
      List<UUID> marked = new ArrayList<>();
      List<UUID> released = new ArrayList<>();
      int attempts = 1;
      for (ExportQueue.QueuedEvent event : batch) {
        if (acknowledged.contains(event.id().toString())) {
          marked.add(event.id());
        } else {
          released.add(event.id());
          attempts = Math.max(attempts, event.attempts());
        }
      }
      queue.markExported(marked);
      queue.release(released, backoff(attempts));
      // The gateway is failing when it acknowledges nothing: leave the rest for the next run.
      progress.add(batch.size(), marked.size(), released.size(), error, marked.isEmpty());
    }
  }

  /** What the loops of one run did, shared between them. */
  private static final class Progress {
    private final List<Integer> batchSizes = new ArrayList<>();
    private int exported;
    private int failed;
    private String error;
    private boolean stop;

    synchronized void add(int size, int marked, int released, String error, boolean stop) {
      batchSizes.add(size);
      exported += marked;
      failed += released;
      if (this.error == null) {
        this.error = error;
      }
      this.stop |= stop || error != null;
    }

    synchronized boolean stopped() {
      return stop;
    }
  }

  private RecordEventsRequestMetadata metadata() {
    return RecordEventsRequestMetadata.newBuilder()
        .setRequestId(UUID.randomUUID().toString())
        .setIdentifier(identifier)
        .build();
  }

  /** The batch cut into frames of at most {@code frameBytes} encoded bytes (one event at least). */
  List<List<Event>> frames(List<ExportQueue.QueuedEvent> batch) {
    List<List<Event>> frames = new ArrayList<>();
    List<Event> frame = new ArrayList<>();
    int bytes = 0;
    for (ExportQueue.QueuedEvent queued : batch) {
      int size = queued.event().getSerializedSize() + 8;
      if (!frame.isEmpty() && bytes + size > settings.frameBytes()) {
        frames.add(frame);
        frame = new ArrayList<>();
        bytes = 0;
      }
      frame.add(queued.event());
      bytes += size;
    }
    if (!frame.isEmpty()) {
      frames.add(frame);
    }
    return frames;
  }

  private Duration backoff(int attempts) {
    Duration wait = settings.retryBackoff();
    for (int i = 1; i < attempts && wait.compareTo(MAX_BACKOFF) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }
}
