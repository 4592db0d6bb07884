package dev.tally.export;

import dev.tally.config.ConfigException;
import dev.tally.config.Env;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.store.DatabaseConfig;
import java.time.Duration;
import java.util.Map;

/**
 * Settings of the export function, read once at cold start. The names and defaults of the original
 * exporter are kept where it has them.
 *
 * @param address the gateway ({@value #EXPORT_ADDR}), or {@code null}: export off, the run still
 *     cleans up and reports
 * @param token the instance's bearer token for the gateway ({@value #TOKEN})
 * @param identifier who this instance is ({@value #INSTANCE_ID}, {@value #LICENSE_KEY}, {@value
 *     #EXTERNAL_URL})
 * @param batchSize events claimed and sent per call ({@value #BATCH_SIZE}, default 10000, at least
 *     100)
 * @param frameBytes encoded events per events frame of a call ({@value #FRAME_BYTES})
 * @param timeBudget how long one run keeps exporting ({@value #TIME_BUDGET}); keep it well under
 *     the function timeout
 * @param callTimeout how long one call to the gateway may take ({@value #CALL_TIMEOUT})
 * @param lease how long claimed events stay hidden from other exporters ({@value #LEASE}); longer
 *     than a call
 * @param retryBackoff first wait before events the gateway did not accept are retried ({@value
 *     #RETRY_BACKOFF}); doubles per attempt up to 30 minutes
 * @param retention how long exported events are kept ({@value #RETENTION}, default 24h)
 * @param cleanupInterval least time between two cleanups ({@value #CLEANUP_INTERVAL}, default 30m)
 * @param concurrency batches in flight at once ({@value #CONCURRENCY})
 * @param database the instance database
 */
public record ExporterConfig(
    GatewayAddress address,
    String token,
    Identifier identifier,
    int batchSize,
    int frameBytes,
    Duration timeBudget,
    Duration callTimeout,
    Duration lease,
    Duration retryBackoff,
    Duration retention,
    Duration cleanupInterval,
    int concurrency,
    DatabaseConfig database) {

  public static final String EXPORT_ADDR = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR";
  public static final String TOKEN = "TELEMETRY_GATEWAY_EXPORTER_TOKEN";
  public static final String INSTANCE_ID = "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID";
  public static final String LICENSE_KEY = "TELEMETRY_GATEWAY_EXPORTER_LICENSE_KEY";
  public static final String EXTERNAL_URL = "TELEMETRY_GATEWAY_EXPORTER_EXTERNAL_URL";
  public static final String BATCH_SIZE = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE";
  public static final String FRAME_BYTES = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_FRAME_BYTES";
  public static final String TIME_BUDGET = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_TIME_BUDGET";
  public static final String CALL_TIMEOUT = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT";
  public static final String LEASE = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_LEASE";
  public static final String RETRY_BACKOFF = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_RETRY_BACKOFF";
  public static final String RETENTION = "TELEMETRY_GATEWAY_EXPORTER_EXPORTED_EVENTS_RETENTION";
  public static final String CLEANUP_INTERVAL = "TELEMETRY_GATEWAY_EXPORTER_QUEUE_CLEANUP_INTERVAL";
  public static final String CONCURRENCY = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CONCURRENCY";

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
        env.duration(CALL_TIMEOUT, Duration.ofSeconds(60), Duration.ofSeconds(1));
    Duration lease = env.duration(LEASE, Duration.ofMinutes(5), Duration.ofSeconds(10));
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
    return new ExporterConfig(
        address,
        token,
        identifier,
        env.integer(BATCH_SIZE, 10_000, 100, 100_000),
        env.integer(FRAME_BYTES, 1024 * 1024, 16 * 1024, 8 * 1024 * 1024),
        env.duration(TIME_BUDGET, Duration.ofMinutes(4), Duration.ofSeconds(1)),
        callTimeout,
        lease,
        env.duration(RETRY_BACKOFF, Duration.ofSeconds(30), Duration.ZERO),
        env.duration(RETENTION, Duration.ofHours(24), Duration.ZERO),
        env.duration(CLEANUP_INTERVAL, Duration.ofMinutes(30), Duration.ZERO),
        env.integer(CONCURRENCY, 2, 1, 8),
        DatabaseConfig.fromEnv(environment));
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
