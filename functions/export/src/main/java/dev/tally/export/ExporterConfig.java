package dev.tally.export;

import dev.tally.config.ConfigException;
import dev.tally.config.Env;
import dev.tally.log.ServiceContext;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.store.DatabaseConfig;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Settings of the export function, read once at cold start. The names and defaults of the original
 * exporter are kept where it has them; the defaults of what the {@link Exporter} uses are its
 * {@code DEFAULT_...} constants, and {@link #exporter} builds it.
 *
 * @param address the gateway ({@value #EXPORT_ADDR}), or {@code null}: export off, the run still
 *     cleans up and reports
 * @param token the instance's bearer token for the gateway ({@value #TOKEN})
 * @param identifier who this instance is ({@value #INSTANCE_ID}, {@value #LICENSE_KEY}, {@value
 *     #EXTERNAL_URL})
 * @param batchSize events claimed and sent per call ({@value #BATCH_SIZE}, default 10000, at least
 *     100)
 * @param frameBytes encoded events per events frame of a call ({@value #FRAME_BYTES})
 * @param requestBytes most encoded bytes of one gateway request ({@value #REQUEST_BYTES}, default 8
 *     MiB, at least {@code frameBytes}); a batch is sent in as many requests as it needs
 * @param maxEventFailures refusals of an event sent alone after which it is set aside ({@value
 *     #MAX_EVENT_FAILURES}, default 3)
 * @param timeBudget the run's deadline, counted from when its request arrived ({@value
 *     #TIME_BUDGET}): the cleanup, claiming and starting calls all stop by it; at most the function
 *     timeout minus the call timeout minus {@link #BUDGET_MARGIN}, and that by default, so that the
 *     last call ends and the run marks and reports before the function is cut off
 * @param functionTimeout the export function's timeout as deployed ({@value #FUNCTION_TIMEOUT},
 *     default 5m); Terraform sets it from the function's {@code timeout_seconds}
 * @param callTimeout how long one call to the gateway may take ({@value #CALL_TIMEOUT})
 * @param lease how long claimed events stay hidden from other exporters ({@value #LEASE}); longer
 *     than a call
 * @param retryBackoff first wait before events the gateway did not accept are retried ({@value
 *     #RETRY_BACKOFF}); doubles per attempt up to 30 minutes
 * @param retention how long exported events are kept ({@value #RETENTION}, default 24h)
 * @param cleanupInterval least time between two cleanups ({@value #CLEANUP_INTERVAL}, default 30m)
 * @param concurrency batches in flight at once ({@value #CONCURRENCY})
 * @param eventLogsRetentionDays days {@code event_logs} rows are kept after they arrived, pruned by
 *     the cleanup ({@value #EVENT_LOGS_RETENTION_DAYS}, default 0: kept until erased)
 * @param database the instance database
 * @param log where the function's log lines come from, for Cloud Logging and Error Reporting
 */
public record ExporterConfig(
    GatewayAddress address,
    String token,
    Identifier identifier,
    int batchSize,
    int frameBytes,
    int requestBytes,
    int maxEventFailures,
    Duration timeBudget,
    Duration functionTimeout,
    Duration callTimeout,
    Duration lease,
    Duration retryBackoff,
    Duration retention,
    Duration cleanupInterval,
    int concurrency,
    int eventLogsRetentionDays,
    DatabaseConfig database,
    ServiceContext log) {

  public static final String EXPORT_ADDR = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR";
  public static final String TOKEN = "TELEMETRY_GATEWAY_EXPORTER_TOKEN";
  public static final String INSTANCE_ID = "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID";
  public static final String LICENSE_KEY = "TELEMETRY_GATEWAY_EXPORTER_LICENSE_KEY";
  public static final String EXTERNAL_URL = "TELEMETRY_GATEWAY_EXPORTER_EXTERNAL_URL";
  public static final String BATCH_SIZE = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE";
  public static final String FRAME_BYTES = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES";
  public static final String REQUEST_BYTES = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_REQUEST_BYTES";
  public static final String MAX_EVENT_FAILURES =
      "TELEMETRY_GATEWAY_EXPORTER_EXPORT_MAX_EVENT_FAILURES";
  public static final String TIME_BUDGET = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET";
  public static final String FUNCTION_TIMEOUT = "TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT";
  public static final String CALL_TIMEOUT = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT";
  public static final String LEASE = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_LEASE";
  public static final String RETRY_BACKOFF = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_RETRY_BACKOFF";
  public static final String RETENTION = "TELEMETRY_GATEWAY_EXPORTER_EXPORTED_EVENTS_RETENTION";
  public static final String CLEANUP_INTERVAL = "TELEMETRY_GATEWAY_EXPORTER_QUEUE_CLEANUP_INTERVAL";
  public static final String CONCURRENCY = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CONCURRENCY";
  public static final String EVENT_LOGS_RETENTION_DAYS = "TELEMETRY_EVENT_LOGS_RETENTION_DAYS";

  /** The longest retention of {@code event_logs} a setting may ask for: 10 years. */
  public static final int MAX_EVENT_LOGS_RETENTION_DAYS = 3650;

  /**
   * Time a run keeps after its last call may have ended, to mark, release, measure and report
   * before the function is cut off. Terraform's {@code export_budget_margin_seconds} is the same.
   */
  public static final Duration BUDGET_MARGIN = Duration.ofSeconds(15);

  public static ExporterConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    GatewayAddress address =
        env.parse(
            EXPORT_ADDR,
            null,
            "a gateway address such as https://gateway.example.com",
            GatewayAddress::parse);
    String token = env.string(TOKEN, null);
    Identifier identifier = null;
    if (address != null) {
      if (token == null) {
        throw new ConfigException(TOKEN + " must be set when " + EXPORT_ADDR + " is set");
      }
      identifier =
          identifier(
              env.required(INSTANCE_ID),
              env.string(LICENSE_KEY, null),
              env.string(EXTERNAL_URL, ""));
    }
    Duration callTimeout =
        env.duration(CALL_TIMEOUT, Exporter.DEFAULT_CALL_TIMEOUT, Duration.ofSeconds(1));
    Duration lease = env.duration(LEASE, Exporter.DEFAULT_LEASE, Duration.ofSeconds(10));
    if (lease.compareTo(callTimeout.multipliedBy(2)) < 0) {
      throw new ConfigException(
          LEASE
              + " must be at least twice "
              + CALL_TIMEOUT
              + " ("
              + callTimeout
              + "), got "
              + lease);
    }
    int frameBytes =
        env.integer(FRAME_BYTES, Exporter.DEFAULT_FRAME_BYTES, 16 * 1024, 8 * 1024 * 1024);
    int requestBytes =
        env.integer(REQUEST_BYTES, Exporter.DEFAULT_REQUEST_BYTES, 16 * 1024, 32 * 1024 * 1024);
    if (requestBytes < frameBytes) {
      throw new ConfigException(
          REQUEST_BYTES
              + " ("
              + requestBytes
              + ") must be at least "
              + FRAME_BYTES
              + " ("
              + frameBytes
              + ")");
    }
    Duration functionTimeout =
        env.duration(FUNCTION_TIMEOUT, Duration.ofMinutes(5), Duration.ofSeconds(30));
    Duration room = functionTimeout.minus(callTimeout).minus(BUDGET_MARGIN);
    String roomText =
        FUNCTION_TIMEOUT
            + " ("
            + human(functionTimeout)
            + ") - "
            + CALL_TIMEOUT
            + " ("
            + human(callTimeout)
            + ") - "
            + human(BUDGET_MARGIN);
    if (room.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(
          "no time left to export: "
              + roomText
              + " must be at least 1s; raise "
              + FUNCTION_TIMEOUT);
    }
    Duration timeBudget = env.duration(TIME_BUDGET, room, Duration.ofSeconds(1));
    if (timeBudget.compareTo(room) > 0) {
      throw new ConfigException(
          TIME_BUDGET
              + " ("
              + human(timeBudget)
              + ") must leave room for the last call: at most "
              + roomText
              + " = "
              + human(room)
              + "; leave it unset to use that");
    }
    return new ExporterConfig(
        address,
        token,
        identifier,
        env.integer(BATCH_SIZE, Exporter.DEFAULT_BATCH_SIZE, 100, 100_000),
        frameBytes,
        requestBytes,
        env.integer(MAX_EVENT_FAILURES, Exporter.DEFAULT_MAX_EVENT_FAILURES, 1, 100),
        timeBudget,
        functionTimeout,
        callTimeout,
        lease,
        env.duration(RETRY_BACKOFF, Exporter.DEFAULT_RETRY_BACKOFF, Duration.ZERO),
        env.duration(RETENTION, Exporter.DEFAULT_RETENTION, Duration.ZERO),
        env.duration(CLEANUP_INTERVAL, Exporter.DEFAULT_CLEANUP_INTERVAL, Duration.ZERO),
        env.integer(CONCURRENCY, Exporter.DEFAULT_CONCURRENCY, 1, 8),
        env.integer(EVENT_LOGS_RETENTION_DAYS, 0, 0, MAX_EVENT_LOGS_RETENTION_DAYS),
        DatabaseConfig.fromEnv(environment),
        ServiceContext.fromEnv(environment, "export"));
  }

  /** {@code 3m45s} rather than {@code PT3M45S}. */
  private static String human(Duration duration) {
    return duration.toString().substring(2).toLowerCase(Locale.ROOT);
  }

  /** A licensed instance when a license key is given, an unlicensed one otherwise. */
  static Identifier identifier(String instanceId, String licenseKey, String externalUrl) {
    if (licenseKey != null) {
      return Identifier.newBuilder()
          .setLicensedInstance(
              Identifier.LicensedInstanceIdentifier.newBuilder()
                  .setLicenseKey(licenseKey)
                  .setInstanceId(instanceId)
                  .setExternalUrl(externalUrl))
          .build();
    }
    return Identifier.newBuilder()
        .setUnlicensedInstance(
            Identifier.UnlicensedInstanceIdentifier.newBuilder()
                .setInstanceId(instanceId)
                .setExternalUrl(externalUrl))
        .build();
  }

  /** Whether events are sent at all. */
  public boolean exportEnabled() {
    return address != null;
  }

  /**
   * The exporter this configuration describes, over the instance database: it sends to {@code
   * client}, records each run in the history of runs, and prunes {@code event_logs} when {@link
   * #eventLogsRetentionDays()} is set.
   *
   * @param client the gateway ({@link #client()}), or {@code null} when export is off: then each
   *     run only cleans up and reports
   */
  public Exporter exporter(DataSource dataSource, GatewayClient client, Clock clock) {
    Exporter.Builder exporter =
        Exporter.builder(new ExportQueue(dataSource, clock), clock)
            .runHistory(new ExportRuns(dataSource))
            .batchSize(batchSize)
            .frameBytes(frameBytes)
            .requestBytes(requestBytes)
            .maxEventFailures(maxEventFailures)
            .timeBudget(timeBudget)
            .callTimeout(callTimeout)
            .lease(lease)
            .retryBackoff(retryBackoff)
            .retention(retention)
            .cleanupInterval(cleanupInterval)
            .concurrency(concurrency);
    if (client == null) {
      exporter.withoutGateway();
    } else {
      exporter.gateway(client, identifier);
    }
    if (eventLogsRetentionDays == 0) {
      exporter.withoutEventLogsRetention();
    } else {
      exporter.eventLogsRetention(
          new EventLogsRetention(dataSource, clock), Duration.ofDays(eventLogsRetentionDays));
    }
    return exporter.build();
  }

  /** The client this configuration describes, or {@code null} when export is off. */
  public GatewayClient client() {
    if (address == null) {
      return null;
    }
    return address.nativeGrpc()
        ? new NativeGatewayClient(
            address.uri().getHost(), address.port(), address.tls(), token, callTimeout)
        : new GrpcWebGatewayClient(address.uri(), token, callTimeout);
  }

  @Override
  public String toString() {
    return "ExporterConfig[address=" + address + ", batchSize=" + batchSize + "]";
  }
}
