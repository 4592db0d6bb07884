package dev.tally.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.Policy;
import dev.tally.catalog.Status;
import dev.tally.catalogstore.LiveCatalog;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.gateway.EventMessages;
import dev.tally.gateway.InstanceTokens;
import dev.tally.gateway.PubSubEventPublisher;
import dev.tally.grpcweb.GrpcWebClient;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.AccessTokens;
import dev.tally.store.DataSources;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.store.Migrations;
import dev.tally.store.TeeStore;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresDurability;
import dev.tally.testing.PubSubEmulator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Measures Tally against what the same machine does without it, in one run: ingest through
 * record-event beside batched JDBC into the same tables; export through export, gateway and the
 * Pub/Sub emulator beside a {@code Publisher} publishing the same messages; cold starts beside a
 * trivial function; peak memory of each function. Functions run in the real invoker with the JVM
 * settings of a 256 MiB Cloud Functions instance ({@link #MEMORY_FLAGS}).
 *
 * <pre>
 * emulator-scripts/benchmark.sh [--quick] [--cold-start] [--console] [--pipeline]
 * </pre>
 *
 * <p>{@code --cold-start} measures the cold starts only and prints them, leaving {@code
 * BENCHMARKS.md} as it is; so does {@code --console} for the console's usage page over {@link
 * #CONSOLE_ROWS} rows of {@code event_logs}, {@code --pipeline} for the live stack and the export,
 * and {@code --export} for the export alone.
 */
public final class Benchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The JVM of a 256 MiB Cloud Functions instance: it sees 256 MiB, and with the fraction of a vCPU
   * such an instance gets, its ergonomics pick the serial collector (on this machine's cores they
   * would pick G1, whose own structures alone take some 40 MiB).
   */
  static final String MEMORY_FLAGS = "-XX:MaxRAM=256m -XX:+UseSerialGC";

  private static final String TOKEN = "tly_benchmark_token_000000000001";
  private static final String ADMIN_TOKEN = "tly_benchmark_admin_token_00001";

  /** Rows of event_logs the usage page is measured over: 10 million, 1 million with --quick. */
  static final int CONSOLE_ROWS = 10_000_000;

  private static final String GATEWAY_TOKEN = "benchmark-gateway-token";
  private static final String INSTANCE = "benchmark-instance";

  /**
   * Cloud SQL's settings unless {@code --fast-database}: the figures before issue 28 were measured
   * with the fast ones, which that flag keeps for comparison.
   */
  private final PostgresDurability durability;

  /**
   * Server settings beyond the durability ones, from {@code -Dtally.postgres.config} ({@code
   * name=value} pairs, comma-separated; for example {@code shared_buffers=2560MB}, about what Cloud
   * SQL gives {@code db-custom-2-7680}). Each run's database line names them.
   */
  private static final Map<String, String> SERVER_CONFIG =
      Arrays.stream(System.getProperty("tally.postgres.config", "").split(","))
          .filter(setting -> !setting.isBlank())
          .map(setting -> setting.split("=", 2))
          .collect(
              Collectors.toMap(
                  setting -> setting[0].trim(),
                  setting -> setting.length > 1 ? setting[1].trim() : "",
                  (first, second) -> second,
                  LinkedHashMap::new));

  private final Path root;
  final Path work;
  final Duration measure;
  private final Duration liveMeasure;
  private final Duration warmUp;
  final int exportEvents;
  private final int exportRuns;
  private final int coldStarts;
  private final int consoleRows;
  private final List<String> lines = new ArrayList<>();
  private final Map<String, Long> peakRss = new LinkedHashMap<>();
  private final List<String> cpuLines = new ArrayList<>();

  private EmbeddedPostgres postgres;
  private DatabaseConfig database;
  HikariDataSource dataSource;
  private PubSubEmulator emulator;
  String databaseSettings;

  private Benchmark(Path root, boolean quick, PostgresDurability durability) throws IOException {
    this.root = root;
    this.durability = durability;
    // The run's database and logs; the logs stay for reading until the next run.
    this.work = root.resolve("emulator-scripts/target/benchmark");
    deleteRecursively(work);
    Files.createDirectories(work);
    this.measure = quick ? Duration.ofSeconds(3) : Duration.ofSeconds(10);
    this.liveMeasure = quick ? Duration.ofSeconds(10) : Duration.ofSeconds(30);
    this.warmUp = quick ? Duration.ofSeconds(2) : Duration.ofSeconds(5);
    this.exportEvents = quick ? 20_000 : 100_000;
    this.exportRuns = quick ? 1 : 5;
    this.coldStarts = quick ? 3 : 7;
    this.consoleRows = quick ? CONSOLE_ROWS / 10 : CONSOLE_ROWS;
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("tally.root", ".")).toAbsolutePath().normalize();
    boolean quick = Arrays.asList(args).contains("--quick");
    boolean coldStartOnly = Arrays.asList(args).contains("--cold-start");
    boolean consoleOnly = Arrays.asList(args).contains("--console");
    boolean pipelineOnly = Arrays.asList(args).contains("--pipeline");
    boolean exportOnly = Arrays.asList(args).contains("--export");
    boolean ingestOnly = Arrays.asList(args).contains("--ingest");
    boolean scaleOnly = Arrays.asList(args).contains("--scale");
    PostgresDurability durability =
        Arrays.asList(args).contains("--fast-database")
            ? PostgresDurability.FAST
            : PostgresDurability.DURABLE;
    Benchmark benchmark = new Benchmark(root, quick, durability);
    try {
      if (scaleOnly) {
        benchmark.scale(quick);
      } else {
        benchmark.run(quick, coldStartOnly, consoleOnly, pipelineOnly, exportOnly, ingestOnly);
      }
    } finally {
      benchmark.stop();
    }
  }

  private void run(
      boolean quick,
      boolean coldStartOnly,
      boolean consoleOnly,
      boolean pipelineOnly,
      boolean exportOnly,
      boolean ingestOnly)
      throws Exception {
    System.setProperty(
        "tally.invoker.jar",
        root.resolve("emulator-scripts/target/invoker/java-function-invoker.jar").toString());
    System.setProperty("tally.functions.dir", root.resolve("functions").toString());
    startServices();
    if (coldStartOnly) {
      coldStart();
      return;
    }
    if (consoleOnly) {
      console();
      return;
    }
    if (pipelineOnly || exportOnly || ingestOnly) {
      if (ingestOnly) {
        ingest();
      } else if (exportOnly) {
        export();
      } else {
        export();
        liveStack();
      }
      memory();
      lines.stream()
          .filter(line -> line.startsWith("| ") && line.contains("MiB"))
          .forEach(System.out::println);
      return;
    }
    ingest();
    // Export before the live stack: the live stack publishes over a million messages, after
    // which the emulator answers the direct publisher several times faster than before.
    export();
    liveStack();
    coldStart();
    console();
    memory();
    write(quick);
  }

  /** The scale phase alone ({@link ScaleBenchmark}); prints its figures. */
  private void scale(boolean quick) throws Exception {
    System.setProperty(
        "tally.invoker.jar",
        root.resolve("emulator-scripts/target/invoker/java-function-invoker.jar").toString());
    System.setProperty("tally.functions.dir", root.resolve("functions").toString());
    startServices();
    // -Dtally.scale.rows=N for a shorter run of the same measurements (to iterate on one of them).
    new ScaleBenchmark(
            this,
            Integer.getInteger(
                "tally.scale.rows", quick ? ScaleBenchmark.ROWS / 10 : ScaleBenchmark.ROWS))
        .run();
  }

  private void startServices() throws IOException, SQLException {
    // Cloud SQL's durable settings by default; --fast-database for the fast ones the figures before
    // issue 28 were measured with. Each run says which in its output.
    EmbeddedPostgres.Builder builder = durability.applyTo(EmbeddedPostgres.builder());
    SERVER_CONFIG.forEach(builder::setServerConfig);
    postgres =
        builder
            .setDataDirectory(work.resolve("postgres"))
            .setPort(FunctionProcess.freePort())
            .start();
    database =
        new DatabaseConfig(
            "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres",
            "postgres",
            null,
            8,
            false);
    Migrations.apply(database);
    dataSource = DataSources.pooled(database, "benchmark");
    databaseSettings = databaseSettings();
    System.out.println("Database: " + databaseSettings);
    AccessTokens tokens = new AccessTokens(dataSource, Clock.systemUTC());
    tokens.insert(TOKEN, 1, Set.of(AccessTokens.USER_ALL), null, "benchmark");
    tokens.insert(
        ADMIN_TOKEN,
        2,
        Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN),
        null,
        "benchmark admin");
    new FeatureFlags(dataSource).set(FeatureFlags.TELEMETRY_EXPORT, true);
    emulator =
        PubSubEmulator.start(
            FunctionProcess.freePort(), "tally-bench", work.resolve("emulator.log"));
    emulator.createTopic("events");
    emulator.createTopic("direct");
  }

  // ---------------------------------------------------------------- ingest

  /**
   * What a load achieved; {@code cpu} is the CPU time used while it was measured, in milliseconds
   * per 1,000 events, of the function ({@code function}, 0 when there is none), of PostgreSQL and
   * of this JVM (the load's clients).
   */
  record Load(double eventsPerSecond, double p50Millis, double p99Millis, Cpu cpu) {}

  /** CPU milliseconds per 1,000 events of the parts of a load. */
  private record Cpu(double function, double postgres, double clients) {}

  private void ingest() throws Exception {
    lines.add("## Ingest: record-event (HTTP, GraphQL) beside batched JDBC into the same tables");
    lines.add("");
    lines.add(
        "| batch | clients | record-event events/s | p50 ms | p99 ms | direct JDBC events/s | p50 ms | p99 ms | ratio |");
    lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    try (FunctionProcess function = startRecordEvent("record-event")) {
      URI uri = function.uri("/.api/graphql");
      HttpClient http = HttpClient.newHttpClient();
      TeeStore store =
          new TeeStore(
              dataSource,
              new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
      EventBuilder builder = new EventBuilder(Clock.systemUTC(), "bench");
      for (int batch : new int[] {1, 10, 100}) {
        String body = mutation(batch);
        for (int clients : new int[] {1, 4}) {
          truncate();
          Load viaFunction = load(clients, batch, function.pid(), i -> send(http, uri, body));
          truncate();
          Load direct =
              load(
                  clients,
                  batch,
                  0,
                  i -> {
                    List<Event> events = new ArrayList<>(batch);
                    for (int e = 0; e < batch; e++) {
                      events.add(
                          builder.build(
                              new EventInput(
                                  "benchmark.ingest",
                                  "recorded",
                                  null,
                                  new EventInput.Client("bench", "1.0"),
                                  EventInput.Parameters.of(1, Map.of("n", e)),
                                  null),
                              EventContext.of(Actor.user(1))));
                    }
                    store.store(events, true);
                  });
          lines.add(
              String.format(
                  Locale.ROOT,
                  "| %d | %d | %.0f | %.1f | %.1f | %.0f | %.1f | %.1f | %.0f%% |",
                  batch,
                  clients,
                  viaFunction.eventsPerSecond(),
                  viaFunction.p50Millis(),
                  viaFunction.p99Millis(),
                  direct.eventsPerSecond(),
                  direct.p50Millis(),
                  direct.p99Millis(),
                  100 * viaFunction.eventsPerSecond() / direct.eventsPerSecond()));
          System.out.println(lines.get(lines.size() - 1));
          cpuLines.add(
              String.format(
                  Locale.ROOT,
                  "| %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |",
                  batch,
                  clients,
                  viaFunction.cpu().function(),
                  viaFunction.cpu().postgres(),
                  viaFunction.cpu().clients(),
                  direct.cpu().postgres(),
                  direct.cpu().clients(),
                  viaFunction.cpu().function()
                      + viaFunction.cpu().postgres()
                      - direct.cpu().postgres()
                      - direct.cpu().clients()));
          System.out.println(cpuLines.get(cpuLines.size() - 1));
        }
      }
      catalogIngest(function, http);
      peakRss.put("record-event (ingest load)", peakRssKb(function.pid()));
    }
    lines.add("");
    lines.add(
        "CPU time per 1,000 events while measured (ms): record-event's process, PostgreSQL's"
            + " processes, and the benchmark's JVM (the HTTP clients on one side; building the"
            + " events and the JDBC inserts on the other); \"record-event's extra\" is record-event"
            + " and PostgreSQL on its side less PostgreSQL and the JVM on the direct side.");
    lines.add("");
    lines.add(
        "| batch | clients | record-event | PostgreSQL | HTTP clients | direct: PostgreSQL |"
            + " direct: JVM | record-event's extra |");
    lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|");
    lines.addAll(cpuLines);
    lines.add("");
  }

  interface Request {
    void send(int i) throws Exception;
  }

  /** Entries of the catalog in force in the catalog rows of the ingest phase. */
  static final int CATALOG_ENTRIES = 1_000;

  /**
   * Ingest through record-event with a {@link #CATALOG_ENTRIES}-entry event catalog in force,
   * beside the same load with none, one after the other on the same function (the order swapped
   * from one row to the next). The catalog's policy is {@code shadow} throughout and the
   * benchmark's events match none of its entries, though their feature has entries of its own
   * (exact ones and patterns to try): every event is judged, and its outcome written to {@code
   * event_logs.catalog_outcome}. Each load is checked to have run entirely with, or without, the
   * catalog.
   */
  private void catalogIngest(FunctionProcess function, HttpClient http) throws Exception {
    URI uri = function.uri("/.api/graphql");
    String document = JSON.writeValueAsString(benchmarkCatalog().toJson());
    List<String> rows = new ArrayList<>();
    int row = 0;
    for (int batch : new int[] {10, 100}) {
      String body = mutation(batch);
      for (int clients : new int[] {1, 4}) {
        Load none = null;
        Load withCatalog = null;
        for (boolean catalogFirst :
            row % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
          truncate();
          setCatalog(catalogFirst ? document : null);
          // One request alone reads the catalog: under load, requests that come while it reads go
          // on with the rules before.
          send(http, uri, body);
          Load load = load(clients, batch, function.pid(), i -> send(http, uri, body));
          checkCatalogOutcomes(catalogFirst);
          if (catalogFirst) {
            withCatalog = load;
          } else {
            none = load;
          }
        }
        row++;
        rows.add(
            String.format(
                Locale.ROOT,
                "| %d | %d | %.0f | %.1f | %.1f | %.0f | %.1f | %.1f | %.0f%% | %.0f / %.0f |",
                batch,
                clients,
                none.eventsPerSecond(),
                none.p50Millis(),
                none.p99Millis(),
                withCatalog.eventsPerSecond(),
                withCatalog.p50Millis(),
                withCatalog.p99Millis(),
                100 * withCatalog.eventsPerSecond() / none.eventsPerSecond(),
                none.cpu().function(),
                withCatalog.cpu().function()));
        System.out.println(rows.get(rows.size() - 1));
      }
    }
    setCatalog(null);
    lines.add("");
    lines.add(
        String.format(
            Locale.ROOT,
            "## Ingest with a %,d-entry event catalog in force (shadow), beside none",
            CATALOG_ENTRIES));
    lines.add("");
    lines.add(
        "Both through record-event as above, one after the other. The catalog has exact entries"
            + " and patterns, the policy is shadow for events and keys, and the events match no"
            + " entry: each is judged and its outcome written to event_logs.");
    lines.add("");
    lines.add(
        "| batch | clients | no catalog events/s | p50 ms | p99 ms | catalog events/s | p50 ms |"
            + " p99 ms | ratio | record-event CPU ms per 1,000 events (none / catalog) |");
    lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    lines.addAll(rows);
  }

  /**
   * {@link #CATALOG_ENTRIES} entries: 99 features of 8 exact actions and 2 patterns each, and 10 of
   * the benchmark's own feature (5 exact, 5 patterns) that its events match none of; each entry
   * with 2 metadata keys and a private key that is not exported. Every mode is shadow.
   */
  static Catalog benchmarkCatalog() {
    List<CatalogEntry> entries = new ArrayList<>(CATALOG_ENTRIES);
    for (int f = 0; f < CATALOG_ENTRIES / 10 - 1; f++) {
      String feature = "bench.feature" + letters(f);
      for (int a = 0; a < 10; a++) {
        entries.add(
            benchmarkEntry(feature, a < 8 ? "action" + letters(a) : "open" + letters(a) + "*"));
      }
    }
    for (int a = 0; a < 10; a++) {
      entries.add(
          benchmarkEntry(
              "benchmark.ingest", a < 5 ? "sent" + letters(a) : "recorded" + letters(a) + "*"));
    }
    return new Catalog(
        new Policy(Policy.EventMode.SHADOW, Policy.KeyMode.SHADOW, Policy.KeyMode.SHADOW), entries);
  }

  private static CatalogEntry benchmarkEntry(String feature, String action) {
    return new CatalogEntry(
        feature,
        action,
        Status.APPROVED,
        null,
        "benchmark team",
        "An event of the benchmark's catalog.",
        Map.of(
            "count", new CatalogEntry.MetadataKey("how many", Map.of()),
            "kind", new CatalogEntry.MetadataKey("which kind", Map.of("first", 1L, "second", 2L))),
        Map.of("query", new CatalogEntry.PrivateKey(false, null, "what was typed")),
        null);
  }

  /** Two lowercase letters for {@code i} below 676: event names have no digits. */
  private static String letters(int i) {
    return "" + (char) ('a' + i / 26) + (char) ('a' + i % 26);
  }

  /**
   * Puts {@code document} in force as the only applied version (none when null), and waits until
   * record-event's catalog is due to be read again, so that the next request reads it.
   */
  private void setCatalog(String document) throws Exception {
    try (Connection connection = dataSource.getConnection()) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("TRUNCATE event_catalog_versions, held_events");
      }
      if (document != null) {
        try (var insert =
            connection.prepareStatement(
                "INSERT INTO event_catalog_versions (version, applied_at, applied_by, document,"
                    + " source, diff) VALUES (1, now(), 'benchmark', ?::jsonb, '', '{}')")) {
          insert.setString(1, document);
          insert.executeUpdate();
        }
      }
    }
    TimeUnit.MILLISECONDS.sleep(LiveCatalog.REFRESH_INTERVAL.toMillis() + 500);
  }

  /** Checks that every event of the load was judged by the catalog, or none was. */
  private void checkCatalogOutcomes(boolean inForce) {
    long judged = db("SELECT count(*) FROM event_logs WHERE catalog_outcome IS NOT NULL");
    long all = db("SELECT count(*) FROM event_logs");
    if (judged != (inForce ? all : 0)) {
      throw new IllegalStateException(
          "the catalog was "
              + (inForce ? "" : "not ")
              + "to be in force for the whole load, but "
              + judged
              + " of "
              + all
              + " events have an outcome");
    }
  }

  /**
   * Runs {@code clients} loops of requests, warms up, then measures for {@link #measure}, with the
   * CPU used by {@code functionPid} (0 for none), PostgreSQL and this JVM meanwhile.
   */
  Load load(int clients, int eventsPerRequest, long functionPid, Request request) throws Exception {
    return load(clients, eventsPerRequest, functionPid, request, measure);
  }

  /** Runs {@code clients} loops of requests, warms up, then measures for {@code measure}. */
  Load load(int clients, int eventsPerRequest, long functionPid, Request request, Duration measure)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long warmUpEnd = System.nanoTime() + warmUp.toNanos();
    long end = warmUpEnd + measure.toNanos();
    List<Future<List<Long>>> workers = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      workers.add(
          pool.submit(
              () -> {
                List<Long> latencies = new ArrayList<>();
                int i = 0;
                while (true) {
                  long start = System.nanoTime();
                  if (start >= end) {
                    return latencies;
                  }
                  request.send(i++);
                  if (start >= warmUpEnd) {
                    latencies.add(System.nanoTime() - start);
                  }
                }
              }));
    }
    long self = ProcessHandle.current().pid();
    TimeUnit.NANOSECONDS.sleep(warmUpEnd - System.nanoTime());
    long[] before = {functionPid == 0 ? 0 : cpuTicks(functionPid), postgresTicks(), cpuTicks(self)};
    TimeUnit.NANOSECONDS.sleep(end - System.nanoTime());
    long[] after = {functionPid == 0 ? 0 : cpuTicks(functionPid), postgresTicks(), cpuTicks(self)};
    List<Long> all = new ArrayList<>();
    for (Future<List<Long>> worker : workers) {
      all.addAll(worker.get());
    }
    pool.shutdown();
    all.sort(Long::compare);
    double seconds = measure.toNanos() / 1e9;
    // Clock ticks (1/100 s) per 1,000 events, in milliseconds.
    double perThousand = all.isEmpty() ? Double.NaN : 10.0 * 1000 / (all.size() * eventsPerRequest);
    return new Load(
        all.size() * (double) eventsPerRequest / seconds,
        percentile(all, 0.50) / 1e6,
        percentile(all, 0.99) / 1e6,
        new Cpu(
            (after[0] - before[0]) * perThousand,
            (after[1] - before[1]) * perThousand,
            (after[2] - before[2]) * perThousand));
  }

  /** Clock ticks used by PostgreSQL's processes that are running now. */
  static long postgresTicks() throws IOException {
    long ticks = 0;
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      for (Path process : processes.toList()) {
        String name = process.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          if (Files.readString(process.resolve("comm")).trim().equals("postgres")) {
            ticks += cpuTicks(Long.parseLong(name));
          }
        } catch (IOException gone) {
          // the process ended meanwhile
        }
      }
    }
    return ticks;
  }

  private static double percentile(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  static String mutation(int batch) throws IOException {
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      events.add(
          Map.of(
              "feature",
              "benchmark.ingest",
              "action",
              "recorded",
              "source",
              Map.of("client", "bench", "clientVersion", "1.0"),
              "parameters",
              Map.of("version", 1, "metadata", List.of(Map.of("key", "n", "value", i)))));
    }
    return JSON.writeValueAsString(
        Map.of(
            "query",
            "mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {"
                + " telemetry { recordEvents(events: $events) { alwaysNil } } }",
            "variables",
            Map.of("events", events)));
  }

  // ---------------------------------------------------------------- live stack

  /** How often the live-stack phase triggers an export run, as {@code run-local.sh} does. */
  private static final Duration LIVE_EXPORT_INTERVAL = Duration.ofSeconds(10);

  /**
   * Ingest while the rest of the pipeline works, as on an instance: record-event under load, and
   * every {@link #LIVE_EXPORT_INTERVAL} an export run that drains what was recorded through the
   * gateway to the Pub/Sub emulator, all on this machine's cores.
   */
  private void liveStack() throws Exception {
    lines.add(
        "## Live stack: record-event under load while export runs every "
            + LIVE_EXPORT_INTERVAL.toSeconds()
            + " s through the gateway to the emulator");
    lines.add("");
    lines.add(
        "| pipeline | batch | clients | events/s | p50 ms | p99 ms | export runs | exported | longest run |"
            + " backlog at the end | machine CPU busy | record-event CPU | export + gateway CPU |");
    lines.add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    try (FunctionProcess gateway = startGateway("live-gateway");
        FunctionProcess export = startExport(gateway, "live-export");
        FunctionProcess recordEvent = startRecordEvent("live-record-event")) {
      URI uri = recordEvent.uri("/.api/graphql");
      HttpClient http = HttpClient.newHttpClient();
      for (int row = 0; row < 4; row++) {
        int batch = row % 2 == 0 ? 10 : 100;
        boolean lowPriority = row >= 2;
        if (row == 2) {
          // On an instance, export and the gateway run on machines of their own and Pub/Sub is a
          // service: only the database is shared. Their processes at the lowest CPU priority
          // leave this machine's cores to ingest first, so that what remains of the tail is what
          // they share with it for real.
          List<Long> pipeline = new ArrayList<>(emulator.processIds());
          pipeline.add(export.pid());
          pipeline.add(gateway.pid());
          lowerCpuPriority(pipeline);
        }
        String body = mutation(batch);
        truncate();
        // Warm: one export run of what a few requests recorded.
        send(http, uri, body);
        post(export.uri("/"));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        List<JsonNode> runs = new ArrayList<>();
        scheduler.scheduleWithFixedDelay(
            () -> {
              try {
                long start = System.nanoTime();
                JsonNode run = post(export.uri("/"));
                synchronized (runs) {
                  runs.add(
                      ((ObjectNode) run)
                          .put("measuredMs", (System.nanoTime() - start) / 1_000_000));
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            0,
            LIVE_EXPORT_INTERVAL.toMillis(),
            TimeUnit.MILLISECONDS);
        Load load;
        long[] machineBefore = machineTicks();
        long recordBefore = cpuTicks(recordEvent.pid());
        long pipelineBefore = cpuTicks(export.pid()) + cpuTicks(gateway.pid());
        long[] machineAfter;
        long recordTicks;
        long pipelineTicks;
        ExportQueue.Backlog backlog;
        try {
          load = load(4, batch, recordEvent.pid(), i -> send(http, uri, body), liveMeasure);
          machineAfter = machineTicks();
          recordTicks = cpuTicks(recordEvent.pid()) - recordBefore;
          pipelineTicks = cpuTicks(export.pid()) + cpuTicks(gateway.pid()) - pipelineBefore;
          // What export had not caught up with when the load stopped (claimed batches in flight
          // included): a run drains until the queue is empty, which under a steady load it never
          // is, so a run's length does not say whether export keeps up; this does.
          backlog = new ExportQueue(dataSource, Clock.systemUTC()).backlog();
        } finally {
          scheduler.shutdown();
          scheduler.awaitTermination(5, TimeUnit.MINUTES);
        }
        long exported = 0;
        long longest = 0;
        for (JsonNode run : runs) {
          exported += run.path("exported").asLong();
          longest = Math.max(longest, run.path("measuredMs").asLong());
        }
        lines.add(
            String.format(
                Locale.ROOT,
                "| %s | %d | 4 | %.0f | %.1f | %.1f | %d | %d | %.1f s | %d (oldest %.1f s) | %.0f%% | %.0f%% |"
                    + " %.0f%% |",
                lowPriority ? "low CPU priority" : "same priority",
                batch,
                load.eventsPerSecond(),
                load.p50Millis(),
                load.p99Millis(),
                runs.size(),
                exported,
                longest / 1000.0,
                backlog.unexported(),
                backlog.oldestUnexportedAge().orElse(Duration.ZERO).toMillis() / 1000.0,
                100.0 * (machineAfter[0] - machineBefore[0]) / (machineAfter[1] - machineBefore[1]),
                100.0 * recordTicks / (machineAfter[1] - machineBefore[1]),
                100.0 * pipelineTicks / (machineAfter[1] - machineBefore[1])));
        System.out.println(lines.get(lines.size() - 1));
      }
    }
    lines.add("");
  }

  /** Sets every thread of the processes to the lowest CPU priority (nice 19). */
  private static void lowerCpuPriority(List<Long> pids) throws Exception {
    List<String> command = new ArrayList<>(List.of("renice", "-n", "19", "-p"));
    for (long pid : pids) {
      try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
        tasks.forEach(task -> command.add(task.getFileName().toString()));
      }
    }
    Process renice = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(renice.getInputStream().readAllBytes());
    if (renice.waitFor() != 0) {
      throw new IllegalStateException("renice failed: " + output);
    }
  }

  /** {busy, total} clock ticks of all the machine's cores since boot ({@code /proc/stat}). */
  private static long[] machineTicks() throws IOException {
    String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < fields.length; i++) {
      total += Long.parseLong(fields[i]);
    }
    long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
    return new long[] {total - idle, total};
  }

  /** User and system clock ticks a process used ({@code /proc/PID/stat}). */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  static void send(HttpClient http, URI uri, String body) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .header("Authorization", "token " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 || response.body().contains("errors")) {
      throw new IllegalStateException(response.body());
    }
  }

  // ---------------------------------------------------------------- export

  private void export() throws Exception {
    lines.add(
        "## Export: export → gateway (gRPC-web) → Pub/Sub emulator, beside the same bookkeeping"
            + " done directly (JDBC and a Publisher in one JVM), and a Publisher alone");
    lines.add("");
    truncate();

    String metadataJson =
        EventMessages.metadataJson(
            RecordEventsRequestMetadata.newBuilder()
                .setRequestId("direct")
                .setIdentifier(identifier())
                .build());
    // Per run: seconds of the pipeline, then events/s of the pipeline, the direct export with its
    // bookkeeping, and the publisher alone.
    List<double[]> runs = new ArrayList<>();
    int events = 0;
    // CPU ticks of each side (pipeline, direct with bookkeeping, publisher alone), per process.
    long[][] ticks = new long[3][5];
    try (FunctionProcess gateway = startGateway("gateway");
        FunctionProcess export = startExport(gateway, "export");
        PubSubEventPublisher publisher =
            PubSubEventPublisher.create(
                "tally-bench", "direct", emulator.hostPort(), Duration.ofSeconds(60), 4);
        DirectExport direct = new DirectExport(dataSource, publisher, identifier())) {
      // A warm-up run on a small queue first: scheduled every few minutes, an export instance
      // is usually warm. The cold start is measured on its own below.
      fillQueue(5_000);
      JsonNode warmUp = post(export.uri("/"));
      if (warmUp.path("exported").asInt() != 5_000) {
        throw new IllegalStateException("the warm-up export failed: " + warmUp);
      }
      // Then one full run of each side that drains the queue: measured without it, the first of
      // five runs reached half of the last on both sides (their JIT compilers still at work).
      truncate();
      fillQueue(exportEvents);
      if (post(export.uri("/")).path("exported").asInt() != exportEvents) {
        throw new IllegalStateException("the second warm-up export failed");
      }
      truncate();
      fillQueue(exportEvents);
      if (direct.drain() != exportEvents) {
        throw new IllegalStateException("the direct export's warm-up did not drain the queue");
      }
      // The emulator (a JVM) publishes faster as it warms up: measured, the direct publisher
      // went from about 30,000 to 90,000 events/s over five runs of 100,000. Warmed with three
      // runs' worth first, the runs compare against the emulator in its steady state.
      List<Event> warmUpEvents = fillQueue(exportEvents);
      for (int i = 0; i < 3; i++) {
        publishDirectly(publisher, metadataJson, warmUpEvents);
      }
      // Each run measures the three sides on the same events, one after the other, the first of
      // them rotating from run to run, so that the ratios of a run compare them under the same
      // machine load and none gains from its place; the medians are reported. The two sides that
      // drain the queue each start from the same events freshly queued.
      for (int r = 0; r < exportRuns; r++) {
        truncate();
        List<Event> queued = fillQueue(exportEvents);
        events = queued.size();
        double[] seconds = new double[3];
        boolean drained = false;
        for (int k = 0; k < 3; k++) {
          int side = (r + k) % 3;
          if (side != 2 && drained) {
            truncate();
            queue(queued);
          }
          long[] before = exportCpu(export, gateway);
          long start = System.nanoTime();
          if (side == 0) {
            JsonNode run = post(export.uri("/"));
            if (run.path("exported").asInt() != queued.size()) {
              throw new IllegalStateException("export did not drain the queue: " + run);
            }
          } else if (side == 1) {
            int exported = direct.drain();
            if (exported != queued.size()) {
              throw new IllegalStateException("the direct export exported " + exported);
            }
          } else {
            publishDirectly(publisher, metadataJson, queued);
          }
          seconds[side] = (System.nanoTime() - start) / 1e9;
          long[] used = since(before, exportCpu(export, gateway));
          for (int part = 0; part < used.length; part++) {
            ticks[side][part] += used[part];
          }
          drained |= side != 2;
        }
        runs.add(
            new double[] {
              seconds[0],
              queued.size() / seconds[0],
              queued.size() / seconds[1],
              queued.size() / seconds[2]
            });
        System.out.printf(
            Locale.ROOT,
            "export run %d: pipeline %.0f events/s, direct with bookkeeping %.0f events/s,"
                + " Publisher alone %.0f events/s%n",
            r + 1,
            runs.get(r)[1],
            runs.get(r)[2],
            runs.get(r)[3]);
      }
      peakRss.put("gateway (export load)", peakRssKb(gateway.pid()));
      peakRss.put("export (export load)", peakRssKb(export.pid()));
    }
    List<Double> ratios = new ArrayList<>();
    List<Double> physicalRatios = new ArrayList<>();
    for (double[] run : runs) {
      ratios.add(100 * run[1] / run[2]);
      physicalRatios.add(100 * run[1] / run[3]);
    }
    List<Double> sortedRatios = new ArrayList<>(ratios);
    sortedRatios.sort(Double::compare);
    double medianRatio = sortedRatios.get(sortedRatios.size() / 2);
    double[] median = runs.get(ratios.indexOf(medianRatio));
    List<Double> sortedPhysical = new ArrayList<>(physicalRatios);
    sortedPhysical.sort(Double::compare);
    lines.add(
        "| events | runs | export run | pipeline events/s | direct with bookkeeping events/s"
            + " | ratio (median) | ratios | Publisher alone events/s | ratio to it (median) |"
            + " ratios |");
    lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    lines.add(
        String.format(
            Locale.ROOT,
            "| %d | %d | %.1f s | %.0f | %.0f | %.0f%% | %s | %.0f | %.0f%% | %s |",
            events,
            runs.size(),
            median[0],
            median[1],
            median[2],
            medianRatio,
            percentages(sortedRatios),
            median[3],
            sortedPhysical.get(sortedPhysical.size() / 2),
            percentages(sortedPhysical)));
    System.out.println(lines.get(lines.size() - 1));
    lines.add("");
    // Clock ticks (1/100 s) of all runs, in milliseconds per 1,000 events.
    double perThousand = 10.0 * 1000 / ((double) events * runs.size());
    lines.add(
        "CPU time per 1,000 events over the runs (ms): each process of the pipeline; of the"
            + " direct sides the benchmark's JVM (claiming, printing, publishing, marking; or"
            + " printing and publishing alone), the emulator and PostgreSQL.");
    lines.add("");
    lines.add("| side | export | gateway | emulator | PostgreSQL | benchmark JVM | total |");
    lines.add("|---|---:|---:|---:|---:|---:|---:|");
    String[] sides = {"pipeline", "direct with bookkeeping", "Publisher alone"};
    for (int side = 0; side < 3; side++) {
      long total = 0;
      for (long part : ticks[side]) {
        total += part;
      }
      lines.add(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |",
              sides[side],
              ticks[side][0] * perThousand,
              ticks[side][1] * perThousand,
              ticks[side][2] * perThousand,
              ticks[side][3] * perThousand,
              ticks[side][4] * perThousand,
              total * perThousand));
      System.out.println(lines.get(lines.size() - 1));
    }
    lines.add("");
  }

  private static String percentages(List<Double> sorted) {
    return String.join(
        ", ", sorted.stream().map(ratio -> String.format(Locale.ROOT, "%.0f%%", ratio)).toList());
  }

  /** CPU clock ticks so far of export, gateway, the emulator, PostgreSQL and this JVM. */
  private long[] exportCpu(FunctionProcess export, FunctionProcess gateway) throws IOException {
    long emulatorTicks = 0;
    for (long pid : emulator.processIds()) {
      emulatorTicks += cpuTicks(pid);
    }
    return new long[] {
      cpuTicks(export.pid()),
      cpuTicks(gateway.pid()),
      emulatorTicks,
      postgresTicks(),
      cpuTicks(ProcessHandle.current().pid())
    };
  }

  private static long[] since(long[] before, long[] after) {
    long[] used = new long[before.length];
    for (int i = 0; i < used.length; i++) {
      used[i] = after[i] - before[i];
    }
    return used;
  }

  /** Publishes the events' messages straight to the emulator; returns the seconds it took. */
  private static double publishDirectly(
      PubSubEventPublisher publisher, String metadataJson, List<Event> events) throws Exception {
    long start = System.nanoTime();
    List<CompletableFuture<String>> published = new ArrayList<>(events.size());
    for (Event event : events) {
      published.add(
          publisher.publish(
              EventMessages.data(metadataJson, event),
              EventMessages.attributes(identifier(), event)));
    }
    CompletableFuture.allOf(published.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    return (System.nanoTime() - start) / 1e9;
  }

  List<Event> fillQueue(int count) {
    EventBuilder builder = new EventBuilder(Clock.systemUTC(), "bench");
    List<Event> all = new ArrayList<>(count);
    for (int from = 0; from < count; from += 1000) {
      List<Event> batch = new ArrayList<>();
      for (int i = from; i < Math.min(count, from + 1000); i++) {
        batch.add(
            builder.build(
                new EventInput(
                    "benchmark.export",
                    "queued",
                    null,
                    new EventInput.Client("bench", "1.0"),
                    EventInput.Parameters.of(1, Map.of("n", i, "durationMs", 12.5)),
                    null),
                EventContext.of(Actor.user(1))));
      }
      all.addAll(batch);
    }
    queue(all);
    return all;
  }

  /** Records {@code events} into event_logs and the export queue, 1,000 at a time. */
  private void queue(List<Event> events) {
    TeeStore store =
        new TeeStore(
            dataSource,
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
    for (int from = 0; from < events.size(); from += 1000) {
      store.store(events.subList(from, Math.min(events.size(), from + 1000)), true);
    }
  }

  private static Identifier identifier() {
    return Identifier.newBuilder()
        .setUnlicensedInstance(
            Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId(INSTANCE))
        .build();
  }

  Map<String, String> databaseEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DATABASE_URL", database.url());
    env.put("DATABASE_USER", database.user());
    return env;
  }

  /** record-event in the invoker, as the loads drive it, logging to {@code log}. */
  FunctionProcess startRecordEvent(String log) throws IOException {
    Map<String, String> env = new LinkedHashMap<>(databaseEnv());
    env.put("DATABASE_POOL_SIZE", "4");
    env.put("JAVA_TOOL_OPTIONS", MEMORY_FLAGS);
    // One token from one address drives the whole load: the rate limits would measure themselves.
    env.put("TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE", "0");
    env.put("TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE", "0");
    env.put("TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE", "0");
    env.put("TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE", "0");
    return FunctionProcess.start(
        "record-event",
        "dev.tally.recordevent.RecordEventFunction",
        env,
        FunctionProcess.freePort(),
        work.resolve(log + ".log"));
  }

  /** The gateway function in the invoker, publishing to the emulator, logging to {@code log}. */
  FunctionProcess startGateway(String log) throws IOException {
    return FunctionProcess.start(
        "gateway",
        "dev.tally.gatewayfn.GatewayFunction",
        gatewayEnv(),
        FunctionProcess.freePort(),
        work.resolve(log + ".log"));
  }

  /** The export function in the invoker, exporting to {@code gateway}. */
  private FunctionProcess startExport(FunctionProcess gateway, String log) throws IOException {
    return FunctionProcess.start(
        "export",
        "dev.tally.exportfn.ExportFunction",
        exportEnv(gateway.uri("").toString()),
        FunctionProcess.freePort(),
        work.resolve(log + ".log"));
  }

  private Map<String, String> gatewayEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PUBSUB_PROJECT_ID", "tally-bench");
    env.put("PUBSUB_EMULATOR_HOST", emulator.hostPort());
    env.put("TELEMETRY_GATEWAY_TOPIC", "events");
    env.put(
        "TELEMETRY_GATEWAY_INSTANCE_TOKENS",
        INSTANCE + "=" + InstanceTokens.sha256Hex(GATEWAY_TOKEN));
    env.put("JAVA_TOOL_OPTIONS", MEMORY_FLAGS);
    return env;
  }

  Map<String, String> exportEnv(String gatewayUrl) {
    Map<String, String> env = new LinkedHashMap<>(databaseEnv());
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR", gatewayUrl);
    env.put("TELEMETRY_GATEWAY_EXPORTER_TOKEN", GATEWAY_TOKEN);
    env.put("TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID", INSTANCE);
    // The invoker has no timeout; this one makes room for the 10-minute budget and a last call.
    env.put("TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT", "12m");
    env.put("TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET", "10m");
    // To measure other export settings: passed on from the benchmark's own environment.
    for (String setting :
        List.of(
            "TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE",
            "TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES",
            "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CONCURRENCY")) {
      if (System.getenv(setting) != null) {
        env.put(setting, System.getenv(setting));
      }
    }
    env.put("JAVA_TOOL_OPTIONS", MEMORY_FLAGS);
    return env;
  }

  // ---------------------------------------------------------------- cold start

  private void coldStart() throws Exception {
    lines.add("## Cold start: launch to first useful answer (median of " + coldStarts + ")");
    lines.add("");
    String trivialClasspath = root.resolve("emulator-scripts/target/classes").toString();
    double trivial =
        median(
            coldStarts,
            i ->
                timeToAnswer(
                    () ->
                        FunctionProcess.launch(
                            trivialClasspath,
                            "dev.tally.local.TrivialFunction",
                            Map.of("JAVA_TOOL_OPTIONS", MEMORY_FLAGS),
                            FunctionProcess.freePort(),
                            work.resolve("trivial.log")),
                    function -> get(function.uri("/")).statusCode() == 200));
    Map<String, String> recordEnv = new LinkedHashMap<>(databaseEnv());
    recordEnv.put("JAVA_TOOL_OPTIONS", MEMORY_FLAGS);
    String body = mutation(1);
    double recordEvent =
        median(
            coldStarts,
            i ->
                timeToAnswer(
                    () ->
                        FunctionProcess.start(
                            "record-event",
                            "dev.tally.recordevent.RecordEventFunction",
                            recordEnv,
                            FunctionProcess.freePort(),
                            work.resolve("record-event-cold.log")),
                    function -> {
                      HttpResponse<String> response =
                          HttpClient.newHttpClient()
                              .send(
                                  HttpRequest.newBuilder(function.uri("/.api/graphql"))
                                      .header("Content-Type", "application/json")
                                      .header("Authorization", "token " + TOKEN)
                                      .POST(HttpRequest.BodyPublishers.ofString(body))
                                      .build(),
                                  HttpResponse.BodyHandlers.ofString());
                      return response.statusCode() == 200 && !response.body().contains("errors");
                    }));
    Map<String, String> gatewayEnv = gatewayEnv();
    GrpcWebClient grpcWeb = new GrpcWebClient(Duration.ofSeconds(5));
    double gateway =
        median(
            coldStarts,
            i ->
                timeToAnswer(
                    () ->
                        FunctionProcess.start(
                            "gateway",
                            "dev.tally.gatewayfn.GatewayFunction",
                            gatewayEnv,
                            FunctionProcess.freePort(),
                            work.resolve("gateway-cold.log")),
                    function -> {
                      Event event = coldStartEvent();
                      GrpcWebClient.Result result =
                          grpcWeb.call(
                              function.uri("/"),
                              "telemetrygateway.v1.TelemeteryGatewayService/RecordEvents",
                              List.of(
                                  RecordEventsRequest.newBuilder()
                                      .setMetadata(
                                          RecordEventsRequestMetadata.newBuilder()
                                              .setRequestId("cold")
                                              .setIdentifier(identifier()))
                                      .build()
                                      .toByteArray(),
                                  RecordEventsRequest.newBuilder()
                                      .setEvents(
                                          RecordEventsRequest.EventsPayload.newBuilder()
                                              .addEvents(event))
                                      .build()
                                      .toByteArray()),
                              Map.of("authorization", "Bearer " + GATEWAY_TOKEN),
                              false,
                              Duration.ofSeconds(30));
                      return result.isOk()
                          && !result.messages().isEmpty()
                          && RecordEventsResponse.parseFrom(result.messages().get(0))
                              .getSucceededEventsList()
                              .contains(event.getId());
                    }));
    lines.add("| function | launch to first answer | trivial function | ratio |");
    lines.add("|---|---:|---:|---:|");
    lines.add(
        String.format(
            Locale.ROOT,
            "| record-event (first recordEvents stored) | %.0f ms | %.0f ms | %.1f× |",
            recordEvent,
            trivial,
            recordEvent / trivial));
    lines.add(
        String.format(
            Locale.ROOT,
            "| gateway (first event acknowledged) | %.0f ms | %.0f ms | %.1f× |",
            gateway,
            trivial,
            gateway / trivial));
    System.out.println(lines.get(lines.size() - 2));
    System.out.println(lines.get(lines.size() - 1));
    lines.add("");
  }

  private static Event coldStartEvent() {
    return new EventBuilder(Clock.systemUTC(), "bench")
        .build(
            EventInput.backend("benchmark.cold", "started", EventInput.Parameters.of(1, Map.of())),
            EventContext.of(Actor.unknown()));
  }

  private interface Launcher {
    FunctionProcess start() throws Exception;
  }

  private interface Probe {
    boolean answered(FunctionProcess function) throws Exception;
  }

  /** Milliseconds from launching the process to the first answer the probe accepts. */
  private static double timeToAnswer(Launcher launcher, Probe probe) throws Exception {
    long start = System.nanoTime();
    try (FunctionProcess function = launcher.start()) {
      while (true) {
        try {
          if (probe.answered(function)) {
            return (System.nanoTime() - start) / 1e6;
          }
        } catch (IOException notYet) {
          // not answering yet
        }
        Thread.sleep(5);
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(60)) {
          throw new IllegalStateException("no answer within 60 s:\n" + function.output());
        }
      }
    }
  }

  private interface Measurement {
    double take(int i) throws Exception;
  }

  private static double median(int runs, Measurement measurement) throws Exception {
    double[] values = new double[runs];
    for (int i = 0; i < runs; i++) {
      values[i] = measurement.take(i);
    }
    Arrays.sort(values);
    return values[runs / 2];
  }

  // ---------------------------------------------------------------- console

  /**
   * The console's usage page (90 days) over {@link #consoleRows} rows of event_logs: after the
   * rollups caught up, with new events to count before each answer, the catch-up itself, and the
   * page's main question asked of event_logs directly, without rollups.
   */
  void console() throws Exception {
    console(false);
  }

  /**
   * The usage page as {@link #console()} measures it; over the rows already in event_logs when
   * {@code prefilled} (the scale phase's), without emptying and filling the table first.
   */
  List<String> console(boolean prefilled) throws Exception {
    int firstLine = lines.size();
    long rows = prefilled ? db("SELECT count(*) FROM event_logs") : consoleRows;
    lines.add(
        String.format(
            Locale.ROOT, "## Console: the usage page (90 days) over %,d rows of event_logs", rows));
    lines.add("");
    long fillStart = System.nanoTime();
    if (!prefilled) {
      truncate();
      execute(
          "TRUNCATE event_usage_daily, event_usage_users, event_usage_last_seen;"
              + " UPDATE event_usage_rollup_state SET rolled_up_to = 0, refreshed_at = NULL");
      for (int from = 0; from < consoleRows; from += 1_000_000) {
        fillEventLogs(from, Math.min(consoleRows, from + 1_000_000));
        System.out.printf(
            Locale.ROOT, "event_logs: %,d rows%n", Math.min(consoleRows, from + 1_000_000));
      }
      execute("VACUUM ANALYZE event_logs");
    }
    double fillSeconds = (System.nanoTime() - fillStart) / 1e9;

    long rawStart = System.nanoTime();
    execute(
        "SELECT (timestamp AT TIME ZONE 'UTC')::date, coalesce(feature, name), count(*)"
            + " FROM event_logs WHERE timestamp >= now() - interval '90 days' GROUP BY 1, 2");
    double rawMillis = (System.nanoTime() - rawStart) / 1e6;

    Map<String, String> env = new LinkedHashMap<>(databaseEnv());
    env.put("JAVA_TOOL_OPTIONS", MEMORY_FLAGS);
    env.put("TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE", "0");
    try (FunctionProcess function =
        FunctionProcess.start(
            "record-event",
            "dev.tally.recordevent.RecordEventFunction",
            env,
            FunctionProcess.freePort(),
            work.resolve("record-event-console.log"))) {
      HttpClient http = HttpClient.newHttpClient();
      String usage =
          JSON.writeValueAsString(
              Map.of("query", "{ telemetry { usage(days: 90) { pendingEvents } } }"));
      long catchUpStart = System.nanoTime();
      int catchUpRequests = 0;
      while (true) {
        catchUpRequests++;
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(function.uri("/.api/graphql"))
                    .timeout(Duration.ofMinutes(2))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "token " + ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(usage))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode report = JSON.readTree(answer.body());
        if (answer.statusCode() != 200 || report.has("errors")) {
          throw new IllegalStateException("usage failed: " + answer.body());
        }
        if (report.path("data").path("telemetry").path("usage").path("pendingEvents").asLong()
            == 0) {
          break;
        }
      }
      double catchUpSeconds = (System.nanoTime() - catchUpStart) / 1e9;

      URI page = function.uri("/console?days=90");
      String cookie = consoleSession(http, function);
      List<Double> warm = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        double millis = pageMillis(http, page, cookie);
        if (i >= 2) {
          warm.add(millis);
        }
      }
      List<Double> withNew = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        long count = db("SELECT count(*) FROM event_logs");
        fillEventLogs(count, count + 10_000);
        withNew.add(pageMillis(http, page, cookie));
      }
      warm.sort(Double::compare);
      withNew.sort(Double::compare);
      lines.add("| what | answer time |");
      lines.add("|---|---:|");
      lines.add(
          String.format(
              Locale.ROOT,
              "| usage page, rollups up to date (median of %d, max) | %.0f ms (max %.0f ms) |",
              warm.size(),
              warm.get(warm.size() / 2),
              warm.get(warm.size() - 1)));
      lines.add(
          String.format(
              Locale.ROOT,
              "| usage page, 10,000 new events counted first (median of %d, max) | %.0f ms (max %.0f"
                  + " ms) |",
              withNew.size(),
              withNew.get(withNew.size() / 2),
              withNew.get(withNew.size() - 1)));
      lines.add(
          String.format(
              Locale.ROOT,
              "| first count of all %,d rows into the rollups (%d usage requests) | %.1f s |",
              rows,
              catchUpRequests,
              catchUpSeconds));
      lines.add(
          String.format(
              Locale.ROOT,
              "| without rollups: events per day and feature straight from event_logs (one"
                  + " query) | %.0f ms |",
              rawMillis));
      if (!prefilled) {
        lines.add("");
        lines.add(
            String.format(
                Locale.ROOT,
                "(%,d rows written in %.0f s: 90 days, 40 feature.action names, 10,000 users of"
                    + " whom half anonymous, each using 5 names.)",
                consoleRows,
                fillSeconds));
      }
      lines.add("");
      List<String> written = List.copyOf(lines.subList(firstLine, lines.size()));
      System.out.println(String.join("\n", written));
      return written;
    }
  }

  /** Writes rows {@code from} (inclusive) to {@code to} of the synthetic event_logs. */
  private void fillEventLogs(long from, long to) {
    execute(
        String.format(
            Locale.ROOT,
            """
            INSERT INTO event_logs (event_id, name, feature, action, timestamp, user_id,
                anonymous_user_id, source, client, version, public_argument)
            SELECT gen_random_uuid(), f || '.' || a, f, a,
                   now() - (i %% 7776000) * interval '1 second',
                   CASE WHEN u %% 2 = 0 THEN u END,
                   CASE WHEN u %% 2 = 0 THEN 'unknown' ELSE 'visitor-' || u END,
                   'client' || (u %% 4), 'client' || (u %% 4) || ':1.' || (u %% 3), 'bench', '{}'
            FROM (SELECT i, i %% 10000 AS u FROM generate_series(%d, %d) AS i) AS s,
                 LATERAL (SELECT 'feature' || (((u + (i / 10000) %% 5) %% 40) / 5) AS f,
                                 'action' || (((u + (i / 10000) %% 5) %% 40) %% 5) AS a) AS n
            """,
            from,
            to - 1));
  }

  /** Signs in to the console as the administrator; the cookie that holds the session. */
  private static String consoleSession(HttpClient http, FunctionProcess function) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(function.uri("/console/sign-in"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "http://127.0.0.1:" + function.port())
                .POST(HttpRequest.BodyPublishers.ofString("token=" + ADMIN_TOKEN))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String cookie = answer.headers().firstValue("Set-Cookie").orElse("");
    if (answer.statusCode() != 303 || !cookie.contains("=")) {
      throw new IllegalStateException("signing in to the console failed: " + answer.statusCode());
    }
    return cookie.substring(0, cookie.indexOf(';'));
  }

  private static double pageMillis(HttpClient http, URI page, String cookie) throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(page)
                .timeout(Duration.ofMinutes(2))
                .header("Cookie", cookie)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    double millis = (System.nanoTime() - start) / 1e6;
    if (answer.statusCode() != 200 || !answer.body().contains("events-chart")) {
      throw new IllegalStateException("the usage page failed: " + answer.statusCode());
    }
    return millis;
  }

  void execute(String sql) {
    try (var connection = dataSource.getConnection();
        var statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  long db(String sql) {
    try (var connection = dataSource.getConnection();
        var statement = connection.createStatement();
        var rs = statement.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- memory

  private void memory() {
    lines.add(
        "## Memory: peak resident set of each function under load (JVM as in a 256 MiB instance: "
            + MEMORY_FLAGS
            + ")");
    lines.add("");
    lines.add("| function | peak RSS | fits in 256 MiB |");
    lines.add("|---|---:|---|");
    peakRss.forEach(
        (name, kb) ->
            lines.add(
                String.format(
                    Locale.ROOT,
                    "| %s | %.0f MiB | %s |",
                    name,
                    kb / 1024.0,
                    kb <= 256 * 1024 ? "yes" : "no")));
    lines.add("");
  }

  /** VmHWM of a process: the most memory it had resident at once. */
  private static long peakRssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------- output

  private void write(boolean quick) throws IOException {
    StringBuilder generated = new StringBuilder();
    generated.append("<!-- results:begin (written by emulator-scripts/benchmark.sh) -->\n");
    generated
        .append("Command: `emulator-scripts/benchmark.sh")
        .append(quick ? " --quick" : "")
        .append(durability == PostgresDurability.FAST ? " --fast-database" : "")
        .append("`  \n");
    generated
        .append("Date: ")
        .append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))
        .append("  \n");
    generated.append("Machine: ").append(machine()).append("  \n");
    generated.append("Database: ").append(databaseSettings).append("\n\n");
    lines.forEach(line -> generated.append(line).append('\n'));
    generated.append("<!-- results:end -->\n");

    Path file = root.resolve("BENCHMARKS.md");
    String existing = Files.exists(file) ? Files.readString(file) : "# Benchmarks\n\n";
    int begin = existing.indexOf("<!-- results:begin");
    int end = existing.indexOf("<!-- results:end -->");
    String updated =
        begin >= 0 && end > begin
            ? existing.substring(0, begin)
                + generated
                + existing.substring(end + "<!-- results:end -->\n".length())
            : existing + "\n" + generated;
    Files.writeString(file, updated);
    System.out.println();
    System.out.println(generated);
  }

  /**
   * The database the run measures against, with the durability settings the running server reports:
   * {@code embedded PostgreSQL 17.11, fsync=off, synchronous_commit=off, ...}.
   */
  private String databaseSettings() throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      StringBuilder text =
          new StringBuilder("embedded PostgreSQL ").append(show(statement, "server_version"));
      Set<String> settings = new LinkedHashSet<>(durability.serverConfig().keySet());
      settings.addAll(SERVER_CONFIG.keySet());
      for (String setting : settings) {
        text.append(", ").append(setting).append('=').append(show(statement, setting));
      }
      return text.toString();
    }
  }

  private static String show(Statement statement, String setting) throws SQLException {
    try (ResultSet rs = statement.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String machine() throws IOException {
    String cpu = "unknown CPU";
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        cpu = line.substring(line.indexOf(':') + 1).trim();
        break;
      }
    }
    long memoryKb = 0;
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        memoryKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return String.format(
        Locale.ROOT,
        "%s, %d cores, %.0f GiB, Java %s (%s), %s",
        cpu,
        Runtime.getRuntime().availableProcessors(),
        memoryKb / 1024.0 / 1024.0,
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        System.getProperty("os.name") + " " + System.getProperty("os.version"));
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Empties the event tables and writes a checkpoint, so that every measured phase starts from the
   * same state and no checkpoint owed by an earlier phase lands in the next one.
   */
  void truncate() {
    try (var connection = dataSource.getConnection();
        var statement = connection.createStatement()) {
      statement.execute("TRUNCATE event_logs, telemetry_events_export_queue");
      statement.execute("CHECKPOINT");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode post(URI uri) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofMinutes(15))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> get(URI uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {emulator, dataSource, postgres}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("could not stop " + closeable + ": " + e.getMessage());
      }
    }
    try {
      deleteRecursively(work.resolve("postgres"));
    } catch (IOException e) {
      System.err.println("could not remove the benchmark's database: " + e.getMessage());
    }
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
