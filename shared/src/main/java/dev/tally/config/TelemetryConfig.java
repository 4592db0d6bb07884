package dev.tally.config;

import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import java.util.Map;

/**
 * Settings of the event core that every function recording events shares.
 *
 * @param serverVersion the version stored in every event's source ({@value #SERVER_VERSION})
 * @param redactionMode how much of sensitive attributes may be exported ({@value #EXPORT_ALL})
 * @param allowlist the built-in allowlist plus the entries of {@value #ALLOWLIST}
 */
public record TelemetryConfig(
    String serverVersion, Redactor.Mode redactionMode, SensitiveMetadataAllowlist allowlist) {

  /** Version of this server as stored in events. */
  public static final String SERVER_VERSION = "TELEMETRY_SERVER_VERSION";

  /**
   * {@code true} exports private metadata and marketing tracking unredacted; only for an instance
   * run by the operator of the gateway itself.
   */
  public static final String EXPORT_ALL = "TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA";

  /** Extra allowlist entries: {@code feature::action::key1::key2,feature2::*::key}. */
  public static final String ALLOWLIST = "TELEMETRY_SENSITIVE_METADATA_ALLOWLIST";

  /** Server version used when {@value #SERVER_VERSION} is not set. */
  public static final String DEFAULT_SERVER_VERSION = "0.0.0+dev";

  /** Reads the settings; fails naming the variable when one is malformed. */
  public static TelemetryConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    String serverVersion = env.string(SERVER_VERSION, DEFAULT_SERVER_VERSION);
    Redactor.Mode mode =
        env.bool(EXPORT_ALL, false)
            ? Redactor.Mode.EXPORT_EVERYTHING
            : Redactor.Mode.ALLOWLISTED_ONLY;
    SensitiveMetadataAllowlist allowlist =
        env.parse(
            ALLOWLIST,
            SensitiveMetadataAllowlist.builtIn(),
            "a comma-separated list of feature::action::key entries",
            text ->
                SensitiveMetadataAllowlist.builtIn()
                    .with(SensitiveMetadataAllowlist.parseEntries(text)));
    return new TelemetryConfig(serverVersion, mode, allowlist);
  }

  /** The redactor these settings describe. */
  public Redactor redactor() {
    return new Redactor(redactionMode, allowlist);
  }
}
