package dev.tally.local;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.privacy.Erasure;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.store.ExportQueue;
import dev.tally.testing.FunctionProcess;
import dev.tally.usage.UsageRollup;
import java.net.URI;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The scale phase ({@code benchmark.sh --scale}): ingest, export, the queue's cleanup, erasure, the
 * retention of {@code event_logs} and the console's usage page, first on empty tables and then with
 * {@code event_logs} and the export queue prefilled with {@link #ROWS} rows each, written straight
 * into the tables with SQL. Every figure is printed beside its empty-table one with the ratio.
 * Cleanup, erasure and retention run the project's own code ({@link ExportQueue}, {@link Erasure},
 * {@link EventLogsRetention}) in this JVM, as the export function and tally-admin call it.
 */
final class ScaleBenchmark {
  /** Rows of each table: 10 million (1 million with --quick). */
  static final int ROWS = 10_000_000;

  /** event_logs spans 120 days of arrivals; the retention measured keeps 90. */
  static final int EVENT_LOGS_DAYS = 120;

  static final int EVENT_LOGS_RETENTION_DAYS = 90;

  /** The queue keeps 30 days of exported events (kept for the admin's listing); cleanup cuts 21. */
  static final int QUEUE_DAYS = 30;

  static final int QUEUE_CLEANUP_DAYS = 21;

  /** Users of the prefill: three in ten anonymous, one in fifty events of no known person. */
  static final int USERS = 20_000;

  /** The person erased, and how many events they have in each table. */
  static final long PERSON = 4_242_424L;

  static final int PERSON_EVENTS = 10_000;

  /** What the export function gives a cleanup when export has work: half its 3m45s budget. */
  static final Duration CLEANUP_BUDGET = Duration.ofMillis(112_500);

  /**
   * Rows per DELETE of the queue's cleanup and its rest after each, as the export function's
   * (-Dtally.scale.pruneChunk, -Dtally.scale.pruneRest to try others).
   */
  static final int PRUNE_CHUNK = Integer.getInteger("tally.scale.pruneChunk", 10_000);

  static final double PRUNE_REST =
      Double.parseDouble(System.getProperty("tally.scale.pruneRest", "1.0"));

  private static final int EXPORT_RUNS = 3;

  /**
   * The steps measured: all of them, or those {@code -Dtally.scale.only} names (comma-separated:
   * empty, ingest, export, cleanup, erasure, retention, console), to iterate on one of them; the
   * table is printed only when all ran.
   */
  private static final Set<String> ONLY =
      Set.of(System.getProperty("tally.scale.only", "").split(","));

  private static boolean step(String name) {
    return ONLY.equals(Set.of("")) || ONLY.contains(name);
  }

  private final Benchmark b;
  private final int rows;
  private final List<String> out = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  ScaleBenchmark(Benchmark benchmark, int rows) {
    this.b = benchmark;
    this.rows = rows;
  }

  /** Figures of one table state. */
  private static final class Figures {
    Benchmark.Load ingest10;
    Benchmark.Load ingest100;
    Benchmark.Load ingestAgain10;
    Benchmark.Load ingestAgain100;
    double exportPerSecond;
    List<Double> exportRuns = new ArrayList<>();
    long cleanupRows;
    double cleanupSeconds;
    List<double[]> cleanupPasses = new ArrayList<>();
    List<Benchmark.Load> duringCleanup = new ArrayList<>();
    Waits cleanupWaits;
    double erasureMillis;
    Erasure.Result erasure;
    double rollupBeforeErasureSeconds;
    long retentionRows;
    List<double[]> retentionPasses = new ArrayList<>();
    List<Benchmark.Load> duringRetention = new ArrayList<>();
    Waits retentionWaits;
  }

  void run() throws Exception {
    System.out.println("Scale phase: " + rows + " rows; database: " + b.databaseSettings);
    try (FunctionProcess recordEvent = b.startRecordEvent("scale-record-event");
        FunctionProcess gateway = b.startGateway("scale-gateway")) {
      Map<String, String> exportEnv = new LinkedHashMap<>(b.exportEnv(gateway.uri("").toString()));
      // The cleanup is measured on its own below: the export runs find nothing to prune.
      exportEnv.put("TELEMETRY_GATEWAY_EXPORTER_EXPORTED_EVENTS_RETENTION", "87600h");
      try (FunctionProcess export =
          FunctionProcess.start(
              "export",
              "dev.tally.exportfn.ExportFunction",
              exportEnv,
              FunctionProcess.freePort(),
              b.work.resolve("scale-export.log"))) {
        b.truncate();
        // Warm: a small export run (which also takes the cleanup due first), and record-event
        // under the loads measured below: without, the empty tables' first load met a JVM still
        // compiling (batch 10 x 4 at half the rate of the ingest rows in the run of 6 Dec).
        b.fillQueue(5_000);
        Benchmark.post(export.uri("/"));
        HttpClient http = HttpClient.newHttpClient();
        URI uri = recordEvent.uri("/.api/graphql");
        for (int batch : new int[] {10, 100}) {
          String body = Benchmark.mutation(batch);
          b.load(4, batch, recordEvent.pid(), i -> Benchmark.send(http, uri, body));
        }
        b.truncate();
        Figures empty = null;
        if (step("empty")) {
          System.out.println("--- empty tables");
          empty = measure(recordEvent, export, false);
          b.truncate();
        }
        long fillStart = System.nanoTime();
        prefill();
        double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
        List<String> console = List.of();
        if (step("console")) {
          console = b.console(true);
          settle();
        }
        System.out.println("--- " + rows + " rows");
        Figures full = measure(recordEvent, export, true);
        if (empty != null && step("")) {
          report(empty, full, fillSeconds, console);
        }
      }
    }
  }

  // ---------------------------------------------------------------- prefill

  private long eventLogsBytes;
  private long queueBytes;
  private String prefillText = "";

  private void prefill() throws Exception {
    byte[] payload = templatePayload();
    long start = System.nanoTime();
    int step = Math.min(1_000_000, rows);
    for (int from = 0; from < rows; from += step) {
      fillEventLogs(from, Math.min(rows, from + step), rows, EVENT_LOGS_DAYS);
      System.out.printf(Locale.ROOT, "event_logs: %,d rows%n", Math.min(rows, from + step));
    }
    double eventLogsSeconds = (System.nanoTime() - start) / 1e9;
    start = System.nanoTime();
    for (int from = 0; from < rows; from += step) {
      fillQueue(from, Math.min(rows, from + step), rows, QUEUE_DAYS, payload);
      System.out.printf(Locale.ROOT, "queue: %,d rows%n", Math.min(rows, from + step));
    }
    double queueSeconds = (System.nanoTime() - start) / 1e9;
    start = System.nanoTime();
    b.execute("VACUUM ANALYZE event_logs");
    b.execute("VACUUM ANALYZE telemetry_events_export_queue");
    double vacuumSeconds = (System.nanoTime() - start) / 1e9;
    b.execute("CHECKPOINT");
    eventLogsBytes = b.db("SELECT pg_total_relation_size('event_logs')");
    queueBytes = b.db("SELECT pg_total_relation_size('telemetry_events_export_queue')");
    long avgRow =
        b.db("SELECT avg(pg_column_size(e.*))::bigint FROM event_logs e WHERE id % 1000 = 0");
    long avgPayload =
        b.db(
            "SELECT avg(octet_length(payload_pb))::bigint FROM telemetry_events_export_queue"
                + " WHERE exported_at IS NOT NULL");
    prefillText =
        String.format(
            Locale.ROOT,
            "event_logs %,d rows in %.0f s (%s on disk with its indexes, %s per million; rows"
                + " average %d bytes); export queue %,d exported rows in %.0f s (%s, %s per"
                + " million; payloads %d bytes); VACUUM ANALYZE of both %.0f s; database %s",
            rows,
            eventLogsSeconds,
            size(eventLogsBytes),
            size(eventLogsBytes * 1_000_000 / rows),
            avgRow,
            rows,
            queueSeconds,
            size(queueBytes),
            size(queueBytes * 1_000_000 / rows),
            avgPayload,
            vacuumSeconds,
            size(b.db("SELECT pg_database_size(current_database())")));
    System.out.println("prefill: " + prefillText);
    System.out.println(
        "indexes: "
            + query(
                "SELECT string_agg(indexrelname || ' ' || pg_size_pretty(pg_relation_size(indexrelid)),"
                    + " ', ') FROM pg_stat_user_indexes WHERE relname IN ('event_logs',"
                    + " 'telemetry_events_export_queue')"));
  }

  /**
   * Lets the database finish what the console's first count set off before the figures at scale are
   * measured: vacuums and analyzes the tables the count filled (autovacuum would, a minute or more
   * later, in the middle of a measurement), waits for any autovacuum worker still under way (at
   * most 30 minutes), and checkpoints. Prints what it found and how long it took. (At 50 M rows it
   * found no autovacuum under way, and the ingest after it stayed below the empty rate:
   * BENCHMARKS.md, "Fifty million rows, second run".)
   */
  private void settle() throws InterruptedException {
    long start = System.nanoTime();
    String found = query("SELECT coalesce(string_agg(query, '; '), 'none')" + AUTOVACUUM_WORKERS);
    b.execute(
        "VACUUM ANALYZE event_usage_daily, event_usage_users, event_usage_last_seen,"
            + " event_catalog_keys, event_catalog_outcomes");
    long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (b.db("SELECT count(*)" + AUTOVACUUM_WORKERS) > 0 && System.nanoTime() - giveUp < 0) {
      Thread.sleep(1_000);
    }
    b.execute("CHECKPOINT");
    String text =
        String.format(
            Locale.ROOT,
            "after the first count: autovacuum under way: %s; VACUUM ANALYZE of the rollups, the"
                + " wait for autovacuum and a checkpoint took %.0f s",
            found,
            (System.nanoTime() - start) / 1e9);
    System.out.println(text);
    notes.add(text);
  }

  private static final String AUTOVACUUM_WORKERS =
      " FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'";

  /**
   * A queued event's protobuf bytes as the prefill's payloads: a recorded event, realistic size.
   */
  private static byte[] templatePayload() {
    return new EventBuilder(Clock.systemUTC(), "5.3.0")
        .build(
            new EventInput(
                "search",
                "submitted",
                null,
                new EventInput.Client("VSCODE_CODY_EXTENSION", "1.92.0"),
                EventInput.Parameters.of(
                    1, Map.of("durationMs", 1234, "resultCount", 42, "repoCount", 3, "mode", 2)),
                null),
            EventContext.of(Actor.user(12345)))
        .toByteArray();
  }

  /** A UUIDv7 in SQL of the arrival {@code t} and 30 hex digits of {@code h}, as the server's. */
  private static String uuidv7(String t, String h) {
    return "(lpad(to_hex((extract(epoch FROM "
        + t
        + ") * 1000)::bigint), 12, '0') || '7' || substr("
        + h
        + ", 1, 3) || '8' || substr("
        + h
        + ", 4, 15))::uuid";
  }

  /**
   * Rows {@code from} to {@code to} of {@code total} event_logs rows arriving evenly over the last
   * {@code days} days, in arrival order (IDs and UUIDv7 event IDs grow with it): 40 feature.action
   * names, the first ones far more used; {@link #USERS} users, the first ones far busier.
   */
  private void fillEventLogs(long from, long to, long total, int days) {
    b.execute(
        String.format(
            Locale.ROOT,
            """
            INSERT INTO event_logs (event_id, name, feature, action, timestamp, user_id,
                anonymous_user_id, source, client, version, public_argument, argument,
                feature_flags, url)
            SELECT %s, f || '.' || a, f, a, t,
                   CASE WHEN u %% 10 >= 3 AND u %% 50 <> 3 THEN u END,
                   CASE WHEN u %% 10 < 3 THEN 'anon-' || lpad(u::text, 8, '0') ELSE 'unknown' END,
                   'client' || (u %% 4), 'client' || (u %% 4) || ':1.' || (u %% 3), '5.3.0',
                   jsonb_build_object('durationMs', i %% 2000, 'resultCount', i %% 137,
                                      'repoCount', i %% 13),
                   CASE WHEN i %% 3 = 0 THEN jsonb_build_object('query',
                       'repo:^github\\.com/example/project' || (i %% 500) || '$ lang:go func') END,
                   '{"search-ranking": true, "cody-autocomplete": false}'::jsonb,
                   'https://sourcegraph.example.com/' || f || '/' || (i %% 5000)
            FROM (SELECT i, md5(i::text) AS h,
                         now() - make_interval(secs => %d * 86400.0 * (%d - i) / %d) AS t,
                         floor(%d * power(random(), 2))::bigint AS u,
                         floor(40 * power(random(), 2))::int AS n
                  FROM generate_series(%d, %d) AS i) AS s,
                 LATERAL (SELECT (ARRAY['search', 'blob', 'codeintel', 'cody.chat',
                                        'cody.completion', 'batches', 'insights',
                                        'notebooks'])[1 + n / 5] AS f,
                                 (ARRAY['viewed', 'clicked', 'submitted', 'accepted',
                                        'failed'])[1 + n %% 5] AS a) AS names
            """,
            uuidv7("t", "h"),
            days,
            total,
            total,
            USERS,
            from,
            to - 1));
  }

  /**
   * Rows {@code from} to {@code to} of {@code total} exported queue rows arriving evenly over the
   * last {@code days} days, each exported 3 s after it arrived; payloads are {@code payload} and 16
   * bytes of the row's own; user keys as record-event writes them.
   */
  private void fillQueue(long from, long to, long total, int days, byte[] payload)
      throws Exception {
    try (Connection connection = b.dataSource.getConnection();
        PreparedStatement insert =
            connection.prepareStatement(
                String.format(
                    Locale.ROOT,
                    """
                    INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb,
                        exported_at, attempts, user_key)
                    SELECT %s, t, ?::bytea || decode(h, 'hex'), t + interval '3 seconds', 1,
                           CASE WHEN u %% 10 < 3 THEN 'a:anon-' || lpad(u::text, 8, '0')
                                WHEN u %% 50 = 3 THEN '' ELSE 'u:' || u END
                    FROM (SELECT i, md5('q' || i) AS h,
                                 now() - make_interval(secs => %d * 86400.0 * (%d - i) / %d) AS t,
                                 floor(%d * power(random(), 2))::bigint AS u
                          FROM generate_series(%d, %d) AS i) AS s
                    """,
                    uuidv7("t", "h"),
                    days,
                    total,
                    total,
                    USERS,
                    from,
                    to - 1))) {
      insert.setBytes(1, payload);
      insert.executeUpdate();
    }
  }

  // ---------------------------------------------------------------- measurements

  private Figures measure(FunctionProcess recordEvent, FunctionProcess export, boolean full)
      throws Exception {
    Figures figures = new Figures();
    URI uri = recordEvent.uri("/.api/graphql");
    HttpClient http = HttpClient.newHttpClient();
    String body10 = Benchmark.mutation(10);
    String body100 = Benchmark.mutation(100);
    Benchmark.Request send10 = i -> Benchmark.send(http, uri, body10);

    Benchmark.Request send100 = i -> Benchmark.send(http, uri, body100);

    // Ingest, as the ingest rows measure it, with the database's waits sampled meanwhile.
    if (step("ingest")) {
      Benchmark.Load[] loads = ingest(send10, send100, recordEvent, "");
      figures.ingest10 = loads[0];
      figures.ingest100 = loads[1];
      stats();
    }

    if (step("export")) {
      export(figures, export, full);
    }
    if (full && step("ingest") && step("export")) {
      // The same loads once the export runs have gone by: whether the ingest figures above are
      // the table's size or the state the prefill and the first count leave.
      Benchmark.Load[] loads = ingest(send10, send100, recordEvent, " again, after the export");
      figures.ingestAgain10 = loads[0];
      figures.ingestAgain100 = loads[1];
    }
    if (step("cleanup")) {
      cleanup(figures, recordEvent, send10, full);
    }
    if (step("erasure")) {
      erasure(figures);
    }
    if (step("retention")) {
      retention(figures, recordEvent, send10, full);
    }
    return figures;
  }

  /** Ingest at batch 10 and 100 x 4, each after a checkpoint; prints them and the waits sampled. */
  private Benchmark.Load[] ingest(
      Benchmark.Request send10, Benchmark.Request send100, FunctionProcess recordEvent, String when)
      throws Exception {
    Benchmark.Load[] loads = new Benchmark.Load[2];
    Task task =
        during(
            () -> {
              b.execute("CHECKPOINT");
              loads[0] = b.load(4, 10, recordEvent.pid(), send10);
              print("ingest batch 10 x 4" + when, loads[0]);
              b.execute("CHECKPOINT");
              loads[1] = b.load(4, 100, recordEvent.pid(), send100);
              print("ingest batch 100 x 4" + when, loads[1]);
              return 0L;
            });
    task.result();
    String text = "waits sampled during the ingest" + when + ": " + task.waits;
    System.out.println("  " + text);
    notes.add(text);
    return loads;
  }

  /**
   * Export, as the export rows measure it: a queue of exportEvents fresh events, one run. What the
   * ingest loads queued is exported first, unmeasured. Each run prints the claim's plan before it
   * and 1.5 s into it, and the queue's counters over it (I/O of heap and indexes, updates, dead
   * rows, vacuums).
   */
  private void export(Figures figures, FunctionProcess export, boolean full) throws Exception {
    Benchmark.post(export.uri("/"));
    for (int r = 0; r < EXPORT_RUNS; r++) {
      if (!full) {
        b.truncate();
      }
      b.fillQueue(b.exportEvents);
      b.execute("CHECKPOINT");
      Map<String, Long> before = queueCounters();
      System.out.println("claim before the run: " + explainClaim());
      ExecutorService midway = Executors.newSingleThreadExecutor();
      Future<String> midwayPlan =
          midway.submit(
              () -> {
                TimeUnit.MILLISECONDS.sleep(1500);
                return explainClaim();
              });
      long start = System.nanoTime();
      var run = Benchmark.post(export.uri("/"));
      double seconds = (System.nanoTime() - start) / 1e9;
      if (run.path("exported").asInt() != b.exportEvents) {
        throw new IllegalStateException("export did not drain the queue: " + run);
      }
      figures.exportRuns.add(b.exportEvents / seconds);
      System.out.printf(
          Locale.ROOT, "export run %d: %.0f events/s%n", r + 1, b.exportEvents / seconds);
      System.out.println("claim 1.5 s into the run: " + midwayPlan.get());
      midway.shutdown();
      TimeUnit.MILLISECONDS.sleep(1100);
      Map<String, Long> after = queueCounters();
      Map<String, Long> delta = new LinkedHashMap<>();
      after.forEach((k, v) -> delta.put(k, v - before.getOrDefault(k, 0L)));
      delta.put("n_dead_tup (now)", after.get("n_dead_tup"));
      System.out.println("  queue counters during the run: " + delta);
      long backlogStart = System.nanoTime();
      new ExportQueue(b.dataSource, Clock.systemUTC()).backlog();
      System.out.printf(
          Locale.ROOT,
          "  the queue's backlog() at this size: %.0f ms%n",
          (System.nanoTime() - backlogStart) / 1e6);
    }
    List<Double> sorted = new ArrayList<>(figures.exportRuns);
    sorted.sort(Double::compare);
    figures.exportPerSecond = sorted.get(sorted.size() / 2);
    stats();
  }

  /**
   * Pacings of the cleanup compared in one run at scale (-Dtally.scale.cleanupPacings=chunk:rest,
   * ...), each on its own slice of the queue's days, the queue vacuumed before each: the oldest
   * QUEUE_DAYS - QUEUE_CLEANUP_DAYS days first, then as many days after them, and so on.
   */
  private void cleanupPacings(FunctionProcess recordEvent, Benchmark.Request send10)
      throws Exception {
    String[] pacings = System.getProperty("tally.scale.cleanupPacings").split(",");
    int days = QUEUE_DAYS - QUEUE_CLEANUP_DAYS;
    for (int i = 0; i < pacings.length; i++) {
      String[] pacing = pacings[i].split(":");
      b.execute("VACUUM telemetry_events_export_queue");
      Figures figures = new Figures();
      cleanup(
          figures,
          recordEvent,
          send10,
          true,
          Instant.now().minus(Duration.ofDays(QUEUE_DAYS - (long) days * (i + 1))),
          new ExportQueue.Pacing(Integer.parseInt(pacing[0]), Double.parseDouble(pacing[1])));
      System.out.printf(
          Locale.ROOT,
          "PACING %s: %,d rows in %.1f s (%d passes), p99 of batch 10 x 4 median %.1f max %.1f"
              + " ms over %d loads%n",
          pacings[i],
          figures.cleanupRows,
          figures.cleanupSeconds,
          figures.cleanupPasses.size(),
          medianP99(figures.duringCleanup),
          maxP99(figures.duringCleanup),
          figures.duringCleanup.size());
    }
  }

  private void cleanup(
      Figures figures, FunctionProcess recordEvent, Benchmark.Request send10, boolean full)
      throws Exception {
    if (full && System.getProperty("tally.scale.cleanupPacings") != null) {
      cleanupPacings(recordEvent, send10);
      return;
    }
    // The queue's cleanup: on empty tables the export runs' events (marked exported now, so a
    // cutoff of now); at scale the rows exported more than QUEUE_CLEANUP_DAYS ago. Recording runs
    // meanwhile, in loads of batch 10 x 4 one after the other until the cleanup is done.
    Instant cutoff =
        full
            ? Instant.now().minus(Duration.ofDays(QUEUE_CLEANUP_DAYS))
            : Instant.now().plusSeconds(1);
    cleanup(
        figures,
        recordEvent,
        send10,
        full,
        cutoff,
        new ExportQueue.Pacing(PRUNE_CHUNK, PRUNE_REST));
  }

  private void cleanup(
      Figures figures,
      FunctionProcess recordEvent,
      Benchmark.Request send10,
      boolean full,
      Instant cutoff,
      ExportQueue.Pacing pacing)
      throws Exception {
    b.execute("CHECKPOINT");
    ExportQueue queue = new ExportQueue(b.dataSource, Clock.systemUTC());
    long walBefore = b.db("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn");
    long fpiBefore = b.db("SELECT wal_fpi FROM pg_stat_wal");
    List<double[]> passes = figures.cleanupPasses;
    Task cleanup =
        during(
            () -> {
              long deleted = 0;
              for (int pass = 0; pass < 10; pass++) {
                long start = System.nanoTime();
                ExportQueue.Pruned done =
                    queue.pruneExported(
                        cutoff,
                        Instant.now().plus(CLEANUP_BUDGET),
                        pacing,
                        () -> false,
                        ExportQueue.Rest.SLEEP);
                deleted += done.deleted();
                synchronized (passes) {
                  passes.add(
                      new double[] {
                        done.deleted(), (System.nanoTime() - start) / 1e9, done.finished() ? 1 : 0
                      });
                }
                if (done.finished()) {
                  return deleted;
                }
              }
              return deleted;
            });
    if (full) {
      figures.duringCleanup = loadsWhile(cleanup, recordEvent, send10);
    }
    figures.cleanupRows = cleanup.result();
    figures.cleanupSeconds = cleanup.seconds;
    figures.cleanupWaits = cleanup.waits;
    System.out.printf(
        Locale.ROOT,
        "cleanup (chunks of %,d, rest %.1f x a chunk's time): %,d rows in %.1f s, %d pass(es);"
            + " %s%n",
        pacing.chunk(),
        pacing.rest(),
        figures.cleanupRows,
        figures.cleanupSeconds,
        passes.size(),
        cleanup.waits);
    System.out.printf(
        Locale.ROOT,
        "  WAL written meanwhile (all sessions): %s, %,d full-page images%n",
        size(b.db("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn") - walBefore),
        b.db("SELECT wal_fpi FROM pg_stat_wal") - fpiBefore);
    stats();
  }

  private void erasure(Figures figures) {
    // Erasure of one person with PERSON_EVENTS events in event_logs and as many in the queue
    // (exported), through the project's Erasure; the rollups are brought up to date first, as the
    // console and retention keep them, so that the erasure counts only the person's new events.
    long rollupStart = System.nanoTime();
    new UsageRollup(b.dataSource, Clock.systemUTC()).refresh(Duration.ofMinutes(10));
    figures.rollupBeforeErasureSeconds = (System.nanoTime() - rollupStart) / 1e9;
    insertPerson();
    b.execute("CHECKPOINT");
    long erasureStart = System.nanoTime();
    figures.erasure =
        new Erasure(b.dataSource, Clock.systemUTC()).erase(Actor.user(PERSON), "benchmark");
    figures.erasureMillis = (System.nanoTime() - erasureStart) / 1e6;
    if (figures.erasure.eventLogs() != PERSON_EVENTS
        || figures.erasure.exported() != PERSON_EVENTS) {
      throw new IllegalStateException("the erasure missed events: " + figures.erasure);
    }
    System.out.printf(
        Locale.ROOT,
        "erasure: %.0f ms, %s (rollups brought up to date first in %.1f s)%n",
        figures.erasureMillis,
        figures.erasure,
        figures.rollupBeforeErasureSeconds);
  }

  private void retention(
      Figures figures, FunctionProcess recordEvent, Benchmark.Request send10, boolean full)
      throws Exception {
    // Retention of event_logs: at scale the rows that arrived more than 90 of the 120 days ago;
    // on empty tables as many rows as one million of the prefill's would hold past it, written
    // first. Passes of the export function's cleanup budget, each resuming the last, while
    // recording goes on.
    if (!full) {
      int old = Math.max(1, rows / 10);
      // The oldest quarter of a 4 x old prefill: all of it past the retention.
      fillEventLogs(0, old, 4L * old, EVENT_LOGS_DAYS);
      b.execute("VACUUM ANALYZE event_logs");
    }
    new UsageRollup(b.dataSource, Clock.systemUTC()).refresh(Duration.ofMinutes(10));
    b.execute("CHECKPOINT");
    EventLogsRetention retention = new EventLogsRetention(b.dataSource, Clock.systemUTC());
    Instant retentionCutoff = Instant.now().minus(Duration.ofDays(EVENT_LOGS_RETENTION_DAYS));
    List<double[]> passes = figures.retentionPasses;
    Task pruning =
        during(
            () -> {
              long deleted = 0;
              for (int pass = 0; pass < 10; pass++) {
                long start = System.nanoTime();
                EventLogsRetention.Pass done =
                    retention.prune(retentionCutoff, Instant.now().plus(CLEANUP_BUDGET));
                deleted += done.deleted();
                synchronized (passes) {
                  passes.add(
                      new double[] {
                        done.deleted(), (System.nanoTime() - start) / 1e9, done.finished() ? 1 : 0
                      });
                }
                if (done.finished()) {
                  return deleted;
                }
              }
              return deleted;
            });
    if (full) {
      figures.duringRetention = loadsWhile(pruning, recordEvent, send10);
    }
    figures.retentionRows = pruning.result();
    figures.retentionWaits = pruning.waits;
    System.out.printf(
        Locale.ROOT,
        "retention: %,d rows in %d pass(es) in %.1f s; %s%n",
        figures.retentionRows,
        passes.size(),
        pruning.seconds,
        pruning.waits);
    stats();
  }

  /** The person's events: in event_logs over 90 days, and in the queue, exported. */
  private void insertPerson() {
    b.execute(
        String.format(
            Locale.ROOT,
            """
            INSERT INTO event_logs (event_id, name, feature, action, timestamp, user_id,
                anonymous_user_id, source, client, version, public_argument)
            SELECT %s, 'search.viewed', 'search', 'viewed', t, %d, 'unknown', 'client1',
                   'client1:1.0', '5.3.0', jsonb_build_object('durationMs', i)
            FROM (SELECT i, md5('p' || i) AS h,
                         now() - make_interval(secs => 90 * 86400.0 * (%d - i) / %d) AS t
                  FROM generate_series(0, %d) AS i) AS s
            """,
            uuidv7("t", "h"),
            PERSON,
            PERSON_EVENTS,
            PERSON_EVENTS,
            PERSON_EVENTS - 1));
    try (Connection connection = b.dataSource.getConnection();
        PreparedStatement insert =
            connection.prepareStatement(
                String.format(
                    Locale.ROOT,
                    """
                    INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb,
                        exported_at, attempts, user_key)
                    SELECT %s, t, ?::bytea || decode(h, 'hex'), t + interval '3 seconds', 1, 'u:%d'
                    FROM (SELECT i, md5('pq' || i) AS h,
                                 now() - make_interval(secs => 20 * 86400.0 * (%d - i) / %d) AS t
                          FROM generate_series(0, %d) AS i) AS s
                    """,
                    uuidv7("t", "h"),
                    PERSON,
                    PERSON_EVENTS,
                    PERSON_EVENTS,
                    PERSON_EVENTS - 1))) {
      insert.setBytes(1, templatePayload());
      insert.executeUpdate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- background work and waits

  private interface Work {
    long run() throws Exception;
  }

  /**
   * Work running in the background, with the waits of the database's sessions sampled meanwhile.
   */
  private final class Task {
    final Future<Long> future;
    final Waits waits = new Waits();
    final AtomicBoolean done = new AtomicBoolean();
    volatile double seconds;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    Task(Work work) {
      long start = System.nanoTime();
      future =
          pool.submit(
              () -> {
                try {
                  return work.run();
                } finally {
                  seconds = (System.nanoTime() - start) / 1e9;
                  done.set(true);
                }
              });
      pool.submit(
          () -> {
            sample(waits, done);
            return null;
          });
    }

    long result() throws Exception {
      long result = future.get(30, TimeUnit.MINUTES);
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
      return result;
    }
  }

  private Task during(Work work) {
    return new Task(work);
  }

  /** Loads of batch 10 x 4 one after the other until {@code task} is done (at least one). */
  private List<Benchmark.Load> loadsWhile(
      Task task, FunctionProcess recordEvent, Benchmark.Request send) throws Exception {
    List<Benchmark.Load> loads = new ArrayList<>();
    do {
      Benchmark.Load load = b.load(4, 10, recordEvent.pid(), send);
      loads.add(load);
      print(
          "  ingest batch 10 x 4 during it" + (task.done.get() ? " (ended meanwhile)" : ""), load);
    } while (!task.done.get());
    return loads;
  }

  /**
   * What the database's other sessions waited on, sampled every 20 ms: samples, samples in which
   * some session waited on a heavyweight lock, and the wait events of active sessions by count.
   */
  private static final class Waits {
    int samples;
    int lockSamples;
    final Map<String, Integer> events = new TreeMap<>();
    final Map<String, Integer> lockedQueries = new TreeMap<>();

    @Override
    public synchronized String toString() {
      return String.format(
          Locale.ROOT,
          "%d samples, %d with a session waiting on a lock other than relation extension%s;"
              + " active sessions' waits: %s",
          samples,
          lockSamples,
          lockedQueries.isEmpty() ? "" : " " + lockedQueries,
          events);
    }
  }

  private void sample(Waits waits, AtomicBoolean done) throws Exception {
    try (Connection connection = b.dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      while (!done.get()) {
        boolean locked = false;
        try (ResultSet rs =
            statement.executeQuery(
                "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), left(query, 60)"
                    + " FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()"
                    + " AND backend_type = 'client backend'")) {
          synchronized (waits) {
            while (rs.next()) {
              String event = rs.getString(1);
              waits.events.merge(event, 1, Integer::sum);
              // Lock:extend is a relation's extension lock, which the inserting sessions take
              // from one another (a DELETE never extends a table); the run of 6 Dec counted it.
              if (event.startsWith("Lock:") && !event.equals("Lock:extend")) {
                locked = true;
                waits.lockedQueries.merge(rs.getString(2), 1, Integer::sum);
              }
            }
            waits.samples++;
            if (locked) {
              waits.lockSamples++;
            }
          }
        }
        TimeUnit.MILLISECONDS.sleep(20);
      }
    }
  }

  // ---------------------------------------------------------------- output

  /** The export queue's counters: table, I/O of its heap and indexes, vacuums. */
  private Map<String, Long> queueCounters() {
    Map<String, Long> counters = new LinkedHashMap<>();
    try (Connection connection = b.dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "SELECT t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd, t.n_tup_del, t.n_dead_tup,"
                    + " t.autovacuum_count, t.autoanalyze_count, io.heap_blks_read,"
                    + " io.heap_blks_hit, io.idx_blks_read, io.idx_blks_hit"
                    + " FROM pg_stat_user_tables t JOIN pg_statio_user_tables io USING (relid)"
                    + " WHERE t.relname = 'telemetry_events_export_queue'")) {
      rs.next();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        counters.put(rs.getMetaData().getColumnName(i), rs.getLong(i));
      }
      try (ResultSet idx =
          statement.executeQuery(
              "SELECT indexrelname, idx_blks_read, idx_blks_hit FROM pg_statio_user_indexes"
                  + " WHERE relname = 'telemetry_events_export_queue'")) {
        while (idx.next()) {
          String name = idx.getString(1).replace("telemetry_events_export_queue", "q");
          counters.put(name + " read", idx.getLong(2));
          counters.put(name + " hit", idx.getLong(3));
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return counters;
  }

  /** EXPLAIN (ANALYZE, BUFFERS) of the claim's scan, without taking the rows. */
  private String explainClaim() {
    StringBuilder plan = new StringBuilder();
    try (Connection connection = b.dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM"
                    + " telemetry_events_export_queue WHERE exported_at IS NULL AND set_aside_at"
                    + " IS NULL AND (available_at IS NULL OR available_at <= now()) ORDER BY id"
                    + " LIMIT 10000")) {
      while (rs.next()) {
        plan.append(" | ").append(rs.getString(1).trim());
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return plan.toString();
  }

  /** Table statistics of the two tables: dead rows, HOT updates, vacuums. */
  private void stats() {
    String text =
        query(
            "SELECT string_agg(relname || ': live ' || n_live_tup || ', dead ' || n_dead_tup"
                + " || ', upd ' || n_tup_upd || ' (HOT ' || n_tup_hot_upd || '), del ' || n_tup_del"
                + " || ', autovacuum ' || autovacuum_count || ', autoanalyze ' || autoanalyze_count"
                + " || ', ' || pg_size_pretty(pg_total_relation_size(relid)), '; ')"
                + " FROM pg_stat_user_tables WHERE relname IN ('event_logs',"
                + " 'telemetry_events_export_queue')");
    System.out.println("stats: " + text);
    notes.add(text);
  }

  private String query(String sql) {
    try (Connection connection = b.dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void print(String what, Benchmark.Load load) {
    System.out.printf(
        Locale.ROOT,
        "%s: %.0f events/s, p50 %.1f ms, p99 %.1f ms%n",
        what,
        load.eventsPerSecond(),
        load.p50Millis(),
        load.p99Millis());
  }

  private static String size(long bytes) {
    return bytes >= 1L << 30
        ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
  }

  private void row(String what, String empty, String full, String ratio) {
    out.add("| " + what + " | " + empty + " | " + full + " | " + ratio + " |");
  }

  private static String pct(double full, double empty) {
    return String.format(Locale.ROOT, "%.0f %%", 100 * full / empty);
  }

  private static String f0(double value) {
    return String.format(Locale.ROOT, "%,.0f", value);
  }

  private static String f1(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  private static double maxP99(List<Benchmark.Load> loads) {
    return loads.stream().mapToDouble(Benchmark.Load::p99Millis).max().orElse(Double.NaN);
  }

  private static double medianP99(List<Benchmark.Load> loads) {
    List<Double> p99 = new ArrayList<>(loads.stream().map(Benchmark.Load::p99Millis).toList());
    p99.sort(Double::compare);
    return p99.isEmpty() ? Double.NaN : p99.get(p99.size() / 2);
  }

  private void report(Figures empty, Figures full, double fillSeconds, List<String> console) {
    out.add(
        String.format(
            Locale.ROOT,
            "## Scale: %,d rows in event_logs and the queue, beside empty tables",
            rows));
    out.add("");
    out.add("Database: " + b.databaseSettings + "  ");
    out.add(String.format(Locale.ROOT, "Prefill (%.0f s in all): %s.", fillSeconds, prefillText));
    out.add("");
    out.add(String.format(Locale.ROOT, "| what | empty tables | %,d rows | ratio |", rows));
    out.add("|---|---:|---:|---:|");
    row(
        "ingest batch 10 x 4: events/s (p99 ms)",
        f0(empty.ingest10.eventsPerSecond()) + " (" + f1(empty.ingest10.p99Millis()) + ")",
        f0(full.ingest10.eventsPerSecond()) + " (" + f1(full.ingest10.p99Millis()) + ")",
        pct(full.ingest10.eventsPerSecond(), empty.ingest10.eventsPerSecond()));
    row(
        "ingest batch 100 x 4: events/s (p99 ms)",
        f0(empty.ingest100.eventsPerSecond()) + " (" + f1(empty.ingest100.p99Millis()) + ")",
        f0(full.ingest100.eventsPerSecond()) + " (" + f1(full.ingest100.p99Millis()) + ")",
        pct(full.ingest100.eventsPerSecond(), empty.ingest100.eventsPerSecond()));
    if (full.ingestAgain10 != null) {
      row(
          "the same two loads again, after the export runs: events/s (p99 ms)",
          "",
          f0(full.ingestAgain10.eventsPerSecond())
              + " ("
              + f1(full.ingestAgain10.p99Millis())
              + "), "
              + f0(full.ingestAgain100.eventsPerSecond())
              + " ("
              + f1(full.ingestAgain100.p99Millis())
              + ")",
          pct(full.ingestAgain10.eventsPerSecond(), empty.ingest10.eventsPerSecond())
              + ", "
              + pct(full.ingestAgain100.eventsPerSecond(), empty.ingest100.eventsPerSecond()));
    }
    row(
        String.format(
            Locale.ROOT,
            "export of %,d events: events/s (median of %d runs)",
            b.exportEvents,
            EXPORT_RUNS),
        f0(empty.exportPerSecond) + " " + runs(empty.exportRuns),
        f0(full.exportPerSecond) + " " + runs(full.exportRuns),
        pct(full.exportPerSecond, empty.exportPerSecond));
    row(
        String.format(
            Locale.ROOT,
            "queue cleanup (chunks of %,d, resting %.1f x each chunk's time; passes of %.1f s):"
                + " rows deleted, time, rows/s",
            PRUNE_CHUNK,
            PRUNE_REST,
            CLEANUP_BUDGET.toMillis() / 1000.0),
        f0(empty.cleanupRows)
            + ", "
            + f1(empty.cleanupSeconds)
            + " s, "
            + f0(empty.cleanupRows / empty.cleanupSeconds),
        f0(full.cleanupRows)
            + ", "
            + f1(full.cleanupSeconds)
            + " s in "
            + full.cleanupPasses.size()
            + " pass(es), "
            + f0(full.cleanupRows / full.cleanupSeconds),
        pct(full.cleanupRows / full.cleanupSeconds, empty.cleanupRows / empty.cleanupSeconds)
            + " of the rate");
    row(
        "ingest batch 10 x 4 p99 while the cleanup runs (median / max of "
            + full.duringCleanup.size()
            + " loads; empty: without cleanup)",
        f1(empty.ingest10.p99Millis()) + " ms",
        f1(medianP99(full.duringCleanup))
            + " / "
            + f1(maxP99(full.duringCleanup))
            + " ms (without: "
            + f1(full.ingest10.p99Millis())
            + " ms)",
        pct(medianP99(full.duringCleanup), full.ingest10.p99Millis()) + " of without");
    row(
        "erasing one person with 10,000 events in event_logs and 10,000 in the queue",
        f0(empty.erasureMillis) + " ms",
        f0(full.erasureMillis) + " ms",
        pct(full.erasureMillis, empty.erasureMillis));
    row(
        "event_logs retention (90 of 120 days): rows deleted, passes of "
            + CLEANUP_BUDGET.toMillis() / 1000.0
            + " s budget, time, rows/s",
        retention(empty),
        retention(full),
        pct(rate(full), rate(empty)) + " of the rate");
    row(
        "ingest batch 10 x 4 p99 while retention runs (median / max of "
            + full.duringRetention.size()
            + " loads)",
        f1(empty.ingest10.p99Millis()) + " ms",
        f1(medianP99(full.duringRetention)) + " / " + f1(maxP99(full.duringRetention)) + " ms",
        pct(medianP99(full.duringRetention), full.ingest10.p99Millis()) + " of without");
    row(
        "sessions waiting on a lock while retention runs (samples every 20 ms)",
        empty.retentionWaits.lockSamples + " of " + empty.retentionWaits.samples,
        full.retentionWaits.lockSamples + " of " + full.retentionWaits.samples,
        "");
    row(
        "sessions waiting on a lock while the cleanup runs",
        empty.cleanupWaits.lockSamples + " of " + empty.cleanupWaits.samples,
        full.cleanupWaits.lockSamples + " of " + full.cleanupWaits.samples,
        "");
    out.add("");
    out.add("Targets at " + String.format(Locale.ROOT, "%,d", rows) + " rows:");
    out.add("");
    double i10 = full.ingest10.eventsPerSecond() / empty.ingest10.eventsPerSecond();
    double i100 = full.ingest100.eventsPerSecond() / empty.ingest100.eventsPerSecond();
    double ex = full.exportPerSecond / empty.exportPerSecond;
    out.add(
        "- ingest within 10 % of empty: "
            + (i10 >= 0.9 && i100 >= 0.9 ? "met" : "NOT met")
            + String.format(Locale.ROOT, " (%.0f %%, %.0f %%)", 100 * i10, 100 * i100));
    out.add(
        "- export within 10 % of empty: "
            + (ex >= 0.9 ? "met" : "NOT met")
            + String.format(Locale.ROOT, " (%.0f %%)", 100 * ex));
    out.add(
        "- p99 of batch 10 x 4 unchanged while the cleanup runs: "
            + String.format(
                Locale.ROOT,
                "%.1f ms median, %.1f ms max, against %.1f ms without",
                medianP99(full.duringCleanup),
                maxP99(full.duringCleanup),
                full.ingest10.p99Millis()));
    out.add(
        "- erasure under 1 s: "
            + (full.erasureMillis < 1000 ? "met" : "NOT met")
            + String.format(Locale.ROOT, " (%.0f ms)", full.erasureMillis));
    boolean resumed = full.retentionPasses.size() > 1;
    boolean finishedLast =
        !full.retentionPasses.isEmpty()
            && full.retentionPasses.get(full.retentionPasses.size() - 1)[2] == 1;
    out.add(
        "- retention never holds a lock recording waits on: "
            + (full.retentionWaits.lockSamples == 0
                ? "met (no session waited on a lock in any sample)"
                : "NOT met: " + full.retentionWaits)
            + "; finishes within budget or resumes: "
            + (finishedLast
                ? (resumed
                    ? "met (resumed over " + full.retentionPasses.size() + " passes)"
                    : "met (one pass)")
                : "NOT met"));
    out.add("");
    out.add("Waits sampled while the cleanup ran (at scale): " + full.cleanupWaits);
    out.add("");
    out.add("Waits sampled while retention ran (at scale): " + full.retentionWaits);
    out.add("");
    out.add("Table statistics after each step (empty, then at scale):");
    out.add("");
    notes.forEach(note -> out.add("    " + note));
    out.add("");
    out.add("The usage page over the prefilled event_logs:");
    out.add("");
    out.addAll(console);
    System.out.println();
    System.out.println(String.join("\n", out));
  }

  private static String runs(List<Double> runs) {
    return "(" + String.join(", ", runs.stream().map(ScaleBenchmark::f0).toList()) + ")";
  }

  private static double rate(Figures figures) {
    double seconds = 0;
    for (double[] pass : figures.retentionPasses) {
      seconds += pass[1];
    }
    return figures.retentionRows / seconds;
  }

  private static String retention(Figures figures) {
    StringBuilder passes = new StringBuilder();
    double seconds = 0;
    for (double[] pass : figures.retentionPasses) {
      seconds += pass[1];
      passes
          .append(passes.length() == 0 ? "" : " + ")
          .append(
              String.format(
                  Locale.ROOT,
                  "%,.0f in %.1f s%s",
                  pass[0],
                  pass[1],
                  pass[2] == 1 ? "" : " (cut short)"));
    }
    return String.format(
        Locale.ROOT,
        "%,d, %d pass(es) [%s], %.1f s, %,.0f",
        figures.retentionRows,
        figures.retentionPasses.size(),
        passes,
        seconds,
        figures.retentionRows / seconds);
  }
}
