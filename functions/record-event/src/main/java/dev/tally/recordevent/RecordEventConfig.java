package dev.tally.recordevent;

import dev.tally.config.Env;
import dev.tally.config.TelemetryConfig;
import dev.tally.log.ServiceContext;
import dev.tally.privacy.PrivacySettings;
import dev.tally.ratelimit.RateLimitConfig;
import dev.tally.record.RecordingLimits;
import dev.tally.store.DatabaseConfig;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Settings of the record-event function, read once at cold start.
 *
 * @param telemetry the event core's settings
 * @param database the instance database
 * @param limits bounds on the events of a request
 * @param operationLimits bounds on the shape of a GraphQL document
 * @param rateLimits requests and events per caller and minute
 * @param privacy which privacy signals keep a request's events local ({@value
 *     PrivacySettings#HONOR_GPC}, {@value PrivacySettings#HONOR_DNT})
 * @param maxRequestBytes largest request body accepted ({@value #MAX_REQUEST_BYTES})
 * @param allowAnonymous whether requests without an access token may record events ({@value
 *     #ALLOW_ANONYMOUS})
 * @param corsAllowedOrigins origins browsers may call from ({@value #CORS_ALLOWED_ORIGINS}); {@code
 *     *} allows any
 * @param consoleEnabled whether the administrators' console answers under {@code /console} ({@value
 *     #CONSOLE_ENABLED})
 * @param consoleSignInAttemptsPerMinute sign-in attempts the console accepts per client address and
 *     minute ({@value #CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE}); {@code 0} turns the limit off
 * @param log where the function's log lines come from, for Cloud Logging and Error Reporting
 */
public record RecordEventConfig(
    TelemetryConfig telemetry,
    DatabaseConfig database,
    RecordingLimits limits,
    OperationLimits operationLimits,
    RateLimitConfig rateLimits,
    PrivacySettings privacy,
    int maxRequestBytes,
    boolean allowAnonymous,
    Set<String> corsAllowedOrigins,
    boolean consoleEnabled,
    int consoleSignInAttemptsPerMinute,
    ServiceContext log) {

  public static final String MAX_REQUEST_BYTES = "TELEMETRY_MAX_REQUEST_BYTES";
  public static final String ALLOW_ANONYMOUS = "TELEMETRY_ALLOW_ANONYMOUS";
  public static final String CORS_ALLOWED_ORIGINS = "TELEMETRY_CORS_ALLOWED_ORIGINS";
  public static final String CONSOLE_ENABLED = "TELEMETRY_CONSOLE_ENABLED";
  public static final String CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE =
      "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE";

  /**
   * Ten sign-in attempts a minute per address: more than a person typing or pasting a token needs,
   * and far too few to guess one.
   */
  public static final int DEFAULT_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE = 10;

  /** 2 MiB. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024;

  public static RecordEventConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    return new RecordEventConfig(
        TelemetryConfig.fromEnv(environment),
        DatabaseConfig.fromEnv(environment),
        RecordingLimits.fromEnv(environment),
        OperationLimits.fromEnv(environment),
        RateLimitConfig.fromEnv(environment),
        PrivacySettings.fromEnv(environment),
        env.integer(MAX_REQUEST_BYTES, DEFAULT_MAX_REQUEST_BYTES, 1024, 32 * 1024 * 1024),
        env.bool(ALLOW_ANONYMOUS, true),
        env.parse(
            CORS_ALLOWED_ORIGINS,
            Set.of(),
            "a comma-separated list of origins such as https://app.example.com, or *",
            RecordEventConfig::origins),
        env.bool(CONSOLE_ENABLED, true),
        env.integer(
            CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE,
            DEFAULT_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE,
            0,
            100_000_000),
        ServiceContext.fromEnv(environment, "record-event"));
  }

  private static Set<String> origins(String text) {
    Set<String> origins =
        Arrays.stream(text.split(","))
            .map(String::trim)
            .filter(o -> !o.isEmpty())
            .collect(Collectors.toUnmodifiableSet());
    for (String origin : origins) {
      if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
        throw new IllegalArgumentException(
            "'" + origin + "' is not an origin (scheme://host[:port], no path)");
      }
    }
    return origins;
  }

  /** Whether a browser page from {@code origin} may call this function. */
  public boolean allowsOrigin(String origin) {
    return origin != null
        && (corsAllowedOrigins.contains("*") || corsAllowedOrigins.contains(origin));
  }
}
