package dev.tally.export;

import dev.tally.export.GatewayClient.GatewayException;
import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import dev.tally.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One export run: clean up when due, then drain the queue to the gateway while there is work and
 * time, then measure the backlog.
 *
 * <p>One deadline for the whole run: the time budget from when the request arrived. Every step
 * stops at it and leaves the rest to the next run: the cleanup (pruning exported events, then the
 * retention of {@code event_logs}) by half the budget when there is export to do, so that export
 * always keeps the other half; claiming and sending by the deadline itself. No step starts at or
 * after its deadline; one under way is finished. After the deadline the run only waits for the
 * calls under way (a call timeout at most), marks what the gateway acknowledged, releases the rest
 * and reports, which the function's timeout leaves room for ({@link ExporterConfig#BUDGET_MARGIN}).
 *
 * <p>A run can be {@linkplain #cancelRuns cancelled} (the instance is stopping): it starts no call
 * any more, and the events it claimed but had not sent are released at once for the next run. The
 * events of a call under way stay leased: the run marks what the gateway acknowledges when the
 * answer comes, and if it never comes they return when their lease ends and are sent again.
 *
 * <p>At least once: an event is marked exported only when the gateway listed its ID; every other
 * event is released for a later retry, or comes back by itself when its lease ends (a run that died
 * after sending but before marking). A duplicate is possible, a loss is not.
 *
 * <p>No event blocks the others. A claimed batch is sent in requests of at most {@code
 * requestBytes}; a request the gateway refuses in a way one event can cause ({@link
 * GatewayException.Kind#SUSPECT}) is split in halves, and the halves are sent again, until the
 * events at fault are alone. Such an event is charged a failure, and set aside after {@code
 * maxEventFailures} of them. Failures of the gateway itself ({@link
 * GatewayException.Kind#TRANSIENT}, {@link GatewayException.Kind#REFUSED}) end the run and leave
 * the events for a later one.
 */
public final class Exporter implements AutoCloseable {
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(30);

  /** Encoded bytes of one event in a frame beyond the event's own: its field tag and length. */
  static final int EVENT_OVERHEAD_BYTES = 8;

  /** Encoded bytes of an events frame beyond its events: frame header, message tags, lengths. */
  static final int FRAME_OVERHEAD_BYTES = 16;

  /**
   * While the gateway has acknowledged nothing in a run, at most this many events are charged a
   * failure for refusals when sent alone; after that the refusals look like the gateway's failure,
   * not the events', and the run stops.
   */
  static final int MAX_FAILURES_CHARGED_WITHOUT_PROGRESS = 8;

  /** Events claimed at once, by default. */
  public static final int DEFAULT_BATCH_SIZE = 10_000;

  /** Encoded bytes of events in one frame of a gateway request, by default: 1 MiB. */
  public static final int DEFAULT_FRAME_BYTES = 1024 * 1024;

  /** Encoded bytes of one gateway request, by default: 8 MiB. */
  public static final int DEFAULT_REQUEST_BYTES = 8 * 1024 * 1024;

  /** Refusals of an event sent alone after which it is set aside, by default. */
  public static final int DEFAULT_MAX_EVENT_FAILURES = 3;

  /**
   * A run's deadline, counted from when its request arrived, by default: 3m45s, what {@link
   * ExporterConfig} leaves of its default function timeout (5m) after a call ({@link
   * #DEFAULT_CALL_TIMEOUT}) and its margin ({@link ExporterConfig#BUDGET_MARGIN}).
   */
  public static final Duration DEFAULT_TIME_BUDGET = Duration.ofMinutes(3).plusSeconds(45);

  /** How long one gateway call may take, by default. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);

  /** How long claimed events stay hidden from other runs, by default. */
  public static final Duration DEFAULT_LEASE = Duration.ofMinutes(5);

  /** First wait before events the gateway did not accept are retried, by default. */
  public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(30);

  /** How long exported events are kept, by default. */
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

  /** Least time between two cleanups, by default. */
  public static final Duration DEFAULT_CLEANUP_INTERVAL = Duration.ofMinutes(30);

  /** Batches in flight at once, by default. */
  public static final int DEFAULT_CONCURRENCY = 2;

  /** Exported events deleted per statement of the cleanup, by default. */
  static final int DEFAULT_PRUNE_CHUNK = 10_000;

  /**
   * How long the cleanup rests after each chunk, as a multiple of the time the chunk took, by
   * default: a cleanup of millions of rows leaves the database to recording that share of its time.
   */
  static final double DEFAULT_PRUNE_REST = 1.0;

  private static final String CANCELLED =
      "the run was cancelled (the instance is stopping): its unsent events were released for the"
          + " next run";

  private final ExportQueue queue;
  private final Clock clock;

  /** The gateway and who this instance is; both {@code null} when export is off. */
  private final GatewayClient client;

  private final Identifier identifier;

  /** Where runs are recorded, or {@code null} when they are not. */
  private final ExportRuns runs;

  /** Prunes {@code event_logs}, or {@code null} when its rows are kept until erased. */
  private final EventLogsRetention eventLogs;

  private final Duration eventLogsRetention;
  private final Settings settings;
  private final ExecutorService workers;
  private final int metadataFrameBytes;
  private final ExportQueue.Pacing prunePacing;

  /** The runs under way, for {@link #cancelRuns}. */
  private final Set<RunUnderWay> underWay = ConcurrentHashMap.newKeySet();

  /** What a run uses of what the builder was given. */
  record Settings(
      int batchSize,
      int frameBytes,
      int requestBytes,
      int maxEventFailures,
      Duration timeBudget,
      Duration callTimeout,
      Duration lease,
      Duration retryBackoff,
      Duration retention,
      Duration cleanupInterval,
      int concurrency) {}

  private Exporter(Builder builder) {
    this.queue = builder.queue;
    this.clock = builder.clock;
    this.client = builder.client;
    this.identifier = builder.identifier;
    this.runs = builder.runs;
    this.eventLogs = builder.eventLogs;
    this.eventLogsRetention = builder.eventLogsRetention;
    this.settings =
        new Settings(
            builder.batchSize,
            builder.frameBytes,
            builder.requestBytes,
            builder.maxEventFailures,
            builder.timeBudget,
            builder.callTimeout,
            builder.lease,
            builder.retryBackoff,
            builder.retention,
            builder.cleanupInterval,
            builder.concurrency);
    this.metadataFrameBytes = identifier == null ? 0 : 5 + metadata().getSerializedSize();
    this.prunePacing = new ExportQueue.Pacing(builder.pruneChunk, DEFAULT_PRUNE_REST);
    this.workers =
        Executors.newFixedThreadPool(
            settings.concurrency(),
            runnable -> {
              Thread thread = new Thread(runnable, "export-loop");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The settings its runs use. */
  Settings settings() {
    return settings;
  }

  /** How long {@code event_logs} rows are kept, or empty when they are kept until erased. */
  Optional<Duration> eventLogsRetention() {
    return Optional.ofNullable(eventLogsRetention);
  }

  /**
   * An exporter of {@code queue}, with every setting at its default ({@code DEFAULT_...}). Say
   * where events go before building it: {@link Builder#gateway} or {@link Builder#withoutGateway}.
   */
  public static Builder builder(ExportQueue queue, Clock clock) {
    return new Builder(queue, clock);
  }

  /**
   * Builds an {@link Exporter}. Each setting starts at its {@code DEFAULT_...} constant; what is
   * off unless asked for (the gateway, the history of runs, the retention of {@code event_logs}) is
   * turned on, or explicitly off, by a method of its own. Every method checks its input at once,
   * and {@link #build} checks how the settings fit together.
   */
  public static final class Builder {
    private final ExportQueue queue;
    private final Clock clock;
    private boolean gatewayChosen;
    private GatewayClient client;
    private Identifier identifier;
    private ExportRuns runs;
    private EventLogsRetention eventLogs;
    private Duration eventLogsRetention;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private int frameBytes = DEFAULT_FRAME_BYTES;
    private int requestBytes = DEFAULT_REQUEST_BYTES;
    private int maxEventFailures = DEFAULT_MAX_EVENT_FAILURES;
    private Duration timeBudget = DEFAULT_TIME_BUDGET;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration lease = DEFAULT_LEASE;
    private Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
    private Duration retention = DEFAULT_RETENTION;
    private Duration cleanupInterval = DEFAULT_CLEANUP_INTERVAL;
    private int concurrency = DEFAULT_CONCURRENCY;
    private int pruneChunk = DEFAULT_PRUNE_CHUNK;

    private Builder(ExportQueue queue, Clock clock) {
      this.queue = Objects.requireNonNull(queue, "queue");
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Sends the queued events to {@code client}, naming this instance by {@code identifier}. */
    public Builder gateway(GatewayClient client, Identifier identifier) {
      this.client = Objects.requireNonNull(client, "client");
      this.identifier =
          Objects.requireNonNull(
              identifier, "an exporter with a gateway needs an identifier (who this instance is)");
      this.gatewayChosen = true;
      return this;
    }

    /** Export off: sends nothing; each run still cleans up and reports the backlog. */
    public Builder withoutGateway() {
      this.client = null;
      this.identifier = null;
      this.gatewayChosen = true;
      return this;
    }

    /**
     * Records each run in {@code runs} as it ends (the console's recent runs). Without it, runs are
     * only logged.
     */
    public Builder runHistory(ExportRuns runs) {
      this.runs = Objects.requireNonNull(runs, "runs");
      return this;
    }

    /**
     * Deletes {@code event_logs} rows that arrived longer than {@code retention} ago, with {@code
     * eventLogs}, in each cleanup, within the cleanup's share of the run's deadline; what is left
     * goes in the next run. Give {@code eventLogs} the exporter's clock.
     */
    public Builder eventLogsRetention(EventLogsRetention eventLogs, Duration retention) {
      Objects.requireNonNull(eventLogs, "eventLogs");
      if (Objects.requireNonNull(retention, "retention").isNegative() || retention.isZero()) {
        throw new IllegalArgumentException(
            "the retention of event_logs must be positive, got "
                + retention
                + "; to keep its rows until they are erased, use withoutEventLogsRetention()");
      }
      this.eventLogs = eventLogs;
      this.eventLogsRetention = retention;
      return this;
    }

    /** Keeps {@code event_logs} rows until they are erased: the default. */
    public Builder withoutEventLogsRetention() {
      this.eventLogs = null;
      this.eventLogsRetention = null;
      return this;
    }

    /** Events claimed at once ({@value Exporter#DEFAULT_BATCH_SIZE} by default), at least 1. */
    public Builder batchSize(int batchSize) {
      this.batchSize = atLeastOne("batchSize", batchSize);
      return this;
    }

    /**
     * Most encoded bytes of events in one frame of a request ({@link Exporter#DEFAULT_FRAME_BYTES}
     * by default), at least 1; an event larger than that has a frame of its own.
     */
    public Builder frameBytes(int frameBytes) {
      this.frameBytes = atLeastOne("frameBytes", frameBytes);
      return this;
    }

    /**
     * Most encoded bytes of one gateway request ({@link Exporter#DEFAULT_REQUEST_BYTES} by
     * default), at least {@code frameBytes}; an event larger than that is sent alone.
     */
    public Builder requestBytes(int requestBytes) {
      this.requestBytes = atLeastOne("requestBytes", requestBytes);
      return this;
    }

    /**
     * Refusals of an event sent alone after which it is set aside ({@value
     * Exporter#DEFAULT_MAX_EVENT_FAILURES} by default), at least 1.
     */
    public Builder maxEventFailures(int maxEventFailures) {
      this.maxEventFailures = atLeastOne("maxEventFailures", maxEventFailures);
      return this;
    }

    /**
     * A run's deadline, counted from when its request arrived ({@link Exporter#DEFAULT_TIME_BUDGET}
     * by default): no cleanup step, claim or call starts after it.
     */
    public Builder timeBudget(Duration timeBudget) {
      this.timeBudget = positive("timeBudget", timeBudget);
      return this;
    }

    /**
     * How long one gateway call may take ({@link Exporter#DEFAULT_CALL_TIMEOUT} by default): no
     * call starts that could outlast the lease of its events.
     */
    public Builder callTimeout(Duration callTimeout) {
      this.callTimeout = positive("callTimeout", callTimeout);
      return this;
    }

    /**
     * How long claimed events stay hidden from other runs ({@link Exporter#DEFAULT_LEASE} by
     * default); longer than the call timeout.
     */
    public Builder lease(Duration lease) {
      this.lease = positive("lease", lease);
      return this;
    }

    /**
     * First wait before events the gateway did not accept are retried ({@link
     * Exporter#DEFAULT_RETRY_BACKOFF} by default); it doubles per attempt up to 30 minutes.
     */
    public Builder retryBackoff(Duration retryBackoff) {
      this.retryBackoff = notNegative("retryBackoff", retryBackoff);
      return this;
    }

    /** How long exported events are kept ({@link Exporter#DEFAULT_RETENTION} by default). */
    public Builder retention(Duration retention) {
      this.retention = notNegative("retention", retention);
      return this;
    }

    /** Least time between two cleanups ({@link Exporter#DEFAULT_CLEANUP_INTERVAL} by default). */
    public Builder cleanupInterval(Duration cleanupInterval) {
      this.cleanupInterval = notNegative("cleanupInterval", cleanupInterval);
      return this;
    }

    /** Batches in flight at once ({@value Exporter#DEFAULT_CONCURRENCY} by default), at least 1. */
    public Builder concurrency(int concurrency) {
      this.concurrency = atLeastOne("concurrency", concurrency);
      return this;
    }

    /** Exported events deleted per statement of the cleanup, at least 1. */
    Builder pruneChunk(int pruneChunk) {
      this.pruneChunk = atLeastOne("pruneChunk", pruneChunk);
      return this;
    }

    /**
     * The exporter, with a thread pool of {@code concurrency} threads: {@linkplain Exporter#close
     * close} it.
     *
     * @throws IllegalStateException when it was not said where events go, or the settings do not
     *     fit together
     */
    public Exporter build() {
      if (!gatewayChosen) {
        throw new IllegalStateException(
            "say where the exporter sends events: gateway(client, identifier), or"
                + " withoutGateway() for runs that only clean up and report");
      }
      if (requestBytes < frameBytes) {
        throw new IllegalStateException(
            "requestBytes ("
                + requestBytes
                + ") must be at least frameBytes ("
                + frameBytes
                + "): a request carries at least one frame");
      }
      if (lease.compareTo(callTimeout) <= 0) {
        throw new IllegalStateException(
            "the lease ("
                + lease
                + ") must be longer than the call timeout ("
                + callTimeout
                + "): a call must end while its events are still claimed");
      }
      return new Exporter(this);
    }

    private static int atLeastOne(String name, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be at least 1, got " + value);
      }
      return value;
    }

    private static Duration positive(String name, Duration value) {
      if (Objects.requireNonNull(value, name).isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + value);
      }
      return value;
    }

    private static Duration notNegative(String name, Duration value) {
      if (Objects.requireNonNull(value, name).isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, got " + value);
      }
      return value;
    }
  }

  /** Runs once, its deadline counted from now; see {@link #run(Instant)}. */
  public ExportRun run() {
    return run(clock.instant());
  }

  /**
   * Runs once, within one deadline: {@code arrived} plus the time budget. Logs one line with the
   * outcome, also when the database failed: then the run stops, says so in {@link
   * ExportRun#databaseUnavailable()} and carries the error.
   *
   * @param arrived when the request that asked for the run arrived, before anything else was done
   *     for it (the function's timeout counts from then)
   */
  public ExportRun run(Instant arrived) {
    Instant deadline = arrived.plus(settings.timeBudget());
    // With export to do, the cleanup takes at most half the budget: export keeps the other half.
    Instant cleanupBy =
        client == null ? deadline : arrived.plus(settings.timeBudget().dividedBy(2));
    // The calls under way at the deadline end a call timeout later at most: then only the report.
    Instant reportBy = deadline.plus(settings.callTimeout());
    long start = System.nanoTime();
    RunUnderWay run = new RunUnderWay(UUID.randomUUID());
    underWay.add(run);
    try {
      return runUntil(arrived, deadline, cleanupBy, reportBy, run, start);
    } finally {
      releaseUnsent(run);
      underWay.remove(run);
      run.ended.countDown();
    }
  }

  private ExportRun runUntil(
      Instant arrived,
      Instant deadline,
      Instant cleanupBy,
      Instant reportBy,
      RunUnderWay run,
      long start) {
    Progress progress = run.progress;
    Cleanup cleanup = Cleanup.NOT_DUE;
    StoreException databaseError = null;
    try {
      if (clock.instant().isBefore(cleanupBy)
          && !progress.stopped()
          && queue.claimCleanup(settings.cleanupInterval())) {
        cleanup = cleanUp(cleanupBy, run);
      }
      if (client != null) {
        drainConcurrently(run, deadline);
      }
    } catch (StoreException e) {
      databaseError = e;
    }

    ExportQueue.Waiting backlog = null;
    // Measured only while the report still has its time: a missing measurement beats a run cut off.
    if (clock.instant().isBefore(reportBy)) {
      try {
        backlog = queue.waiting();
      } catch (StoreException e) {
        databaseError = databaseError == null ? e : databaseError;
      }
    }
    String error = databaseError != null ? databaseError.getMessage() : progress.error();
    ExportRun result =
        new ExportRun(
            client != null,
            progress.exported,
            progress.failed,
            progress.batchSizes(),
            progress.requests,
            cleanup.ran(),
            cleanup.cutShort(),
            cleanup.pruned(),
            cleanup.prunedEventLogs(),
            backlog == null ? -1 : backlog.unexported(),
            backlog == null
                ? -1
                : backlog.oldestUnexportedAge().map(Duration::toSeconds).orElse(0L),
            backlog == null ? -1 : backlog.setAside(),
            progress.setAside,
            (System.nanoTime() - start) / 1_000_000,
            error,
            databaseError != null,
            run.cancelled());
    if (error != null) {
      JsonLog.warning("export run", result.fields());
    } else {
      JsonLog.info("export run", result.fields());
    }
    if (databaseError != null) {
      JsonLog.error("export run stopped: database unavailable", databaseError, Map.of());
    }
    record(arrived, result);
    return result;
  }

  /** What the cleanup of a run did. */
  private record Cleanup(boolean ran, boolean cutShort, int pruned, long prunedEventLogs) {
    static final Cleanup NOT_DUE = new Cleanup(false, false, 0, 0);
  }

  /**
   * Prunes exported events past their retention, then {@code event_logs} rows past theirs, a chunk
   * at a time, until {@code cleanupBy}. A cleanup the deadline cut short is made due again, so that
   * the next run goes on with it rather than a cleanup interval later.
   */
  private Cleanup cleanUp(Instant cleanupBy, RunUnderWay run) {
    Instant cutoff = clock.instant().minus(settings.retention());
    ExportQueue.Pruned pass =
        queue.pruneExported(
            cutoff, cleanupBy, prunePacing, run.progress::stopped, ExportQueue.Rest.SLEEP);
    int pruned = (int) pass.deleted();
    boolean finished = pass.finished();
    long prunedEventLogs = 0;
    if (finished && eventLogs != null) {
      EventLogsRetention.Pass logs =
          eventLogs.prune(clock.instant().minus(eventLogsRetention), cleanupBy);
      prunedEventLogs = logs.deleted();
      finished = logs.finished();
    }
    if (!finished) {
      queue.reopenCleanup();
    }
    return new Cleanup(true, !finished, pruned, prunedEventLogs);
  }

  /**
   * Stops the runs under way, as when the instance is stopping: they claim nothing and start no
   * call any more, and the events they claimed but have not sent are released at once, for the next
   * run to claim without waiting for their lease to end. The events of a call under way stay
   * leased: the run marks what the gateway acknowledges if the answer still comes, and otherwise
   * they come back when their lease ends and are sent again (at least once, never lost).
   *
   * @return how many events were released
   */
  public int cancelRuns() {
    int released = 0;
    for (RunUnderWay run : underWay) {
      List<UUID> unsent = run.cancel();
      run.progress.stop(CANCELLED);
      try {
        released += queue.release(run.owner, unsent, Duration.ZERO);
      } catch (StoreException e) {
        JsonLog.warning(
            "cancelled export run: its unsent events stay leased until their lease ends",
            Map.of("events", unsent.size(), "error", String.valueOf(e.getMessage())));
      }
    }
    if (released > 0) {
      JsonLog.info("cancelled export run: unsent events released", Map.of("events", released));
    }
    return released;
  }

  /**
   * Waits at most {@code grace} for the runs under way to end (after {@link #cancelRuns}: for the
   * calls under way to be answered and marked).
   *
   * @return whether every run ended
   */
  public boolean awaitRuns(Duration grace) {
    long until = System.nanoTime() + grace.toNanos();
    for (RunUnderWay run : underWay) {
      try {
        if (!run.ended.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          return false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Releases what the run claimed and never sent, whatever ended it. */
  private void releaseUnsent(RunUnderWay run) {
    List<UUID> unsent = run.takeUnsent();
    if (unsent.isEmpty()) {
      return;
    }
    try {
      queue.release(run.owner, unsent, Duration.ZERO);
    } catch (StoreException e) {
      JsonLog.warning(
          "export run: its unsent events stay leased until their lease ends",
          Map.of("events", unsent.size(), "error", String.valueOf(e.getMessage())));
    }
  }

  /**
   * A run under way: its lease token, its progress, and the events it holds: claimed and not sent
   * yet, or in a call whose answer has not been settled.
   */
  private static final class RunUnderWay {
    final UUID owner;
    final Progress progress = new Progress();
    final CountDownLatch ended = new CountDownLatch(1);
    private final Set<UUID> unsent = new HashSet<>();
    private final Set<UUID> inCall = new HashSet<>();
    private boolean cancelled;

    RunUnderWay(UUID owner) {
      this.owner = owner;
    }

    synchronized void claimed(List<UUID> ids) {
      unsent.addAll(ids);
    }

    /** Moves events into a call; {@code false} when the run was cancelled: then none goes. */
    synchronized boolean startCall(List<UUID> ids) {
      if (cancelled) {
        return false;
      }
      ids.forEach(unsent::remove);
      inCall.addAll(ids);
      return true;
    }

    /** Events whose fate is recorded in the queue: marked, released or charged. */
    synchronized void settled(List<UUID> ids) {
      ids.forEach(unsent::remove);
      ids.forEach(inCall::remove);
    }

    /** Cancels the run; returns the events it holds and never sent, which it no longer counts. */
    synchronized List<UUID> cancel() {
      cancelled = true;
      return takeUnsent();
    }

    synchronized List<UUID> takeUnsent() {
      List<UUID> ids = List.copyOf(unsent);
      unsent.clear();
      return ids;
    }

    synchronized boolean cancelled() {
      return cancelled;
    }
  }

  /** Adds the run to the history; a history that cannot be written never fails the run. */
  private void record(Instant startedAt, ExportRun run) {
    if (runs == null) {
      return;
    }
    try {
      runs.record(
          new ExportRuns.Run(
              startedAt,
              run.durationMs(),
              run.exported(),
              run.failed(),
              run.setAsideThisRun(),
              run.backlog() < 0 ? null : run.backlog(),
              run.error()));
    } catch (StoreException e) {
      JsonLog.warning(
          "export run not recorded in its history",
          Map.of("error", String.valueOf(e.getMessage())));
    }
  }

  /**
   * Runs the drain loops and waits for all of them. The first failure of a loop stops the others
   * after their current request and is thrown as it was, not wrapped.
   */
  private void drainConcurrently(RunUnderWay run, Instant deadline) {
    if (settings.concurrency() == 1) {
      drain(run, deadline);
      return;
    }
    // Several loops overlap claiming, sending and marking; leases keep their batches apart.
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    RequestTrace trace = JsonLog.currentTrace();
    for (int i = 0; i < settings.concurrency(); i++) {
      loops.add(
          CompletableFuture.runAsync(
              () -> {
                try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
                  drain(run, deadline);
                }
              },
              workers));
    }
    try {
      CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** Claims and sends batches until the queue is empty, time is up, or the run stops. */
  private void drain(RunUnderWay run, Instant deadline) {
    UUID owner = run.owner;
    Progress progress = run.progress;
    try {
      while (clock.instant().isBefore(deadline) && !progress.stopped()) {
        Instant claimedAt = clock.instant();
        ExportQueue.Claim claim = queue.claim(owner, settings.batchSize(), settings.lease());
        run.claimed(ids(claim.events()));
        progress.claimed(claim.events().size(), claim.setAside());
        if (claim.events().isEmpty()) {
          if (claim.setAside() > 0) {
            continue;
          }
          return;
        }
        // No call starts that could end after the run's deadline or outlast the batch's lease.
        Instant leaseLeft = claimedAt.plus(settings.lease()).minus(settings.callTimeout());
        Instant sendBy = leaseLeft.isBefore(deadline) ? leaseLeft : deadline;
        for (List<ExportQueue.QueuedEvent> request : requests(claim.events())) {
          Outcome outcome = new Outcome();
          send(request, sendBy, run, outcome);
          settle(owner, outcome, progress);
          run.settled(ids(request));
        }
      }
    } catch (RuntimeException | Error e) {
      progress.stop(null);
      throw e;
    }
  }

  /**
   * Sends {@code events} in one call, and on a suspect refusal each half of them again, until every
   * event is acknowledged, left for a retry, or found at fault alone.
   */
  private void send(
      List<ExportQueue.QueuedEvent> events, Instant sendBy, RunUnderWay run, Outcome outcome) {
    if (events.isEmpty()) {
      return;
    }
    Progress progress = run.progress;
    if (progress.stopped() || !clock.instant().isBefore(sendBy) || !run.startCall(ids(events))) {
      outcome.unsent.addAll(events);
      return;
    }
    Set<String> acknowledged;
    GatewayException failure = null;
    progress.called();
    try {
      acknowledged = client.send(metadata(), frames(events));
    } catch (GatewayException e) {
      acknowledged = e.acknowledged();
      failure = e;
    }
    List<ExportQueue.QueuedEvent> rest = new ArrayList<>();
    for (ExportQueue.QueuedEvent event : events) {
      if (acknowledged.contains(event.id().toString())) {
        outcome.exported.add(event);
      } else {
        rest.add(event);
      }
    }
    progress.acknowledged(events.size() - rest.size());
    if (failure == null) {
      outcome.retry.addAll(rest);
      if (rest.size() == events.size()) {
        // The gateway is failing when it acknowledges nothing: leave the rest for the next run.
        progress.stop("the gateway acknowledged none of the " + events.size() + " event(s) sent");
      }
      return;
    }
    switch (failure.kind()) {
      case TRANSIENT, REFUSED -> {
        outcome.retry.addAll(rest);
        progress.stop(failure.getMessage());
      }
      case SUSPECT -> {
        progress.note(failure.getMessage());
        if (rest.size() == 1) {
          if (progress.mayCharge()) {
            outcome.failedAlone.add(new FailedAlone(rest.get(0), failure.getMessage()));
          } else {
            outcome.retry.addAll(rest);
            progress.stop(
                "the gateway refuses single events and acknowledged nothing in this run: "
                    + failure.getMessage());
          }
        } else if (rest.size() > 1) {
          int half = rest.size() / 2;
          send(rest.subList(0, half), sendBy, run, outcome);
          send(rest.subList(half, rest.size()), sendBy, run, outcome);
        }
      }
    }
  }

  /**
   * Records what became of the events of one request. Counts only rows this run still held: those
   * another run took over after the lease ran out are that run's.
   */
  private void settle(UUID owner, Outcome outcome, Progress progress) {
    int marked = queue.markExported(owner, outcome.exported);
    int released = queue.release(owner, ids(outcome.retry), backoff(maxAttempts(outcome.retry)));
    // Events left unsent for lack of time did nothing wrong: they may go again at once.
    queue.release(owner, ids(outcome.unsent), Duration.ZERO);
    int setAside = 0;
    for (FailedAlone failed : outcome.failedAlone) {
      int failures =
          queue.recordFailure(
              owner,
              failed.event().id(),
              failed.error(),
              settings.maxEventFailures(),
              backoff(failed.event().attempts()));
      if (failures >= settings.maxEventFailures()) {
        setAside++;
      } else if (failures > 0) {
        released++;
      }
    }
    progress.settled(marked, released, setAside);
  }

  /** What became of the events of one request. */
  private static final class Outcome {
    final List<ExportQueue.QueuedEvent> exported = new ArrayList<>();
    final List<ExportQueue.QueuedEvent> retry = new ArrayList<>();
    final List<ExportQueue.QueuedEvent> unsent = new ArrayList<>();
    final List<FailedAlone> failedAlone = new ArrayList<>();
  }

  /** An event the gateway refused when it was sent alone. */
  private record FailedAlone(ExportQueue.QueuedEvent event, String error) {}

  /** What the loops of one run did, shared between them. */
  private static final class Progress {
    private final List<Integer> batchSizes = new ArrayList<>();
    private int exported;
    private int failed;
    private int setAside;
    private int requests;
    private int acknowledged;
    private int charged;
    private String error;
    private boolean stop;

    synchronized void claimed(int size, int undecodable) {
      if (size > 0) {
        batchSizes.add(size);
      }
      setAside += undecodable;
    }

    synchronized void called() {
      requests++;
    }

    synchronized void acknowledged(int count) {
      acknowledged += count;
    }

    /** Whether an event refused alone may be charged a failure. */
    synchronized boolean mayCharge() {
      if (acknowledged > 0 || charged < MAX_FAILURES_CHARGED_WITHOUT_PROGRESS) {
        charged++;
        return true;
      }
      return false;
    }

    synchronized void settled(int marked, int released, int newlySetAside) {
      exported += marked;
      failed += released;
      setAside += newlySetAside;
    }

    /** Keeps the first error of the run. */
    synchronized void note(String message) {
      if (error == null) {
        error = message;
      }
    }

    /** Stops the run after the current requests, with an error when given. */
    synchronized void stop(String message) {
      if (message != null) {
        note(message);
      }
      stop = true;
    }

    synchronized boolean stopped() {
      return stop;
    }

    synchronized String error() {
      return error;
    }

    synchronized List<Integer> batchSizes() {
      return List.copyOf(batchSizes);
    }
  }

  private RecordEventsRequestMetadata metadata() {
    return RecordEventsRequestMetadata.newBuilder()
        .setRequestId(UUID.randomUUID().toString())
        .setIdentifier(identifier)
        .build();
  }

  /**
   * The batch cut into requests of at most {@code requestBytes} encoded bytes, metadata and frame
   * overhead included; an event larger than that goes alone.
   */
  List<List<ExportQueue.QueuedEvent>> requests(List<ExportQueue.QueuedEvent> batch) {
    long budget = (long) settings.requestBytes() - metadataFrameBytes;
    List<List<ExportQueue.QueuedEvent>> requests = new ArrayList<>();
    List<ExportQueue.QueuedEvent> request = new ArrayList<>();
    long requestBytes = 0;
    long frameBytes = 0;
    for (ExportQueue.QueuedEvent queued : batch) {
      int size = queued.payload().length + EVENT_OVERHEAD_BYTES;
      // The same rule as frames(): a frame ends when the next event would not fit in it.
      boolean newFrame = request.isEmpty() || frameBytes + size > settings.frameBytes();
      long added = size + (newFrame ? FRAME_OVERHEAD_BYTES : 0);
      if (!request.isEmpty() && requestBytes + added > budget) {
        requests.add(request);
        request = new ArrayList<>();
        requestBytes = 0;
        newFrame = true;
        added = size + FRAME_OVERHEAD_BYTES;
      }
      if (newFrame) {
        frameBytes = 0;
      }
      request.add(queued);
      requestBytes += added;
      frameBytes += size;
    }
    if (!request.isEmpty()) {
      requests.add(request);
    }
    return requests;
  }

  /**
   * The events' payloads, as queued, cut into frames of at most {@code frameBytes} encoded bytes
   * (one event at least).
   */
  List<List<byte[]>> frames(List<ExportQueue.QueuedEvent> events) {
    List<List<byte[]>> frames = new ArrayList<>();
    List<byte[]> frame = new ArrayList<>();
    int bytes = 0;
    for (ExportQueue.QueuedEvent queued : events) {
      int size = queued.payload().length + EVENT_OVERHEAD_BYTES;
      if (!frame.isEmpty() && bytes + size > settings.frameBytes()) {
        frames.add(frame);
        frame = new ArrayList<>();
        bytes = 0;
      }
      frame.add(queued.payload());
      bytes += size;
    }
    if (!frame.isEmpty()) {
      frames.add(frame);
    }
    return frames;
  }

  private static List<UUID> ids(List<ExportQueue.QueuedEvent> events) {
    return events.stream().map(ExportQueue.QueuedEvent::id).toList();
  }

  private static int maxAttempts(List<ExportQueue.QueuedEvent> events) {
    int attempts = 1;
    for (ExportQueue.QueuedEvent event : events) {
      attempts = Math.max(attempts, event.attempts());
    }
    return attempts;
  }

  private Duration backoff(int attempts) {
    Duration wait = settings.retryBackoff();
    for (int i = 1; i < attempts && wait.compareTo(MAX_BACKOFF) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }

  /** Stops the loops' threads. */
  @Override
  public void close() {
    workers.shutdownNow();
  }
}
