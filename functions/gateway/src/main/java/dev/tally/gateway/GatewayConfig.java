package dev.tally.gateway;

import dev.tally.config.ConfigException;
import dev.tally.config.Env;
import dev.tally.log.ServiceContext;
import java.time.Duration;
import java.util.Map;

/**
 * Settings of the gateway, read once at cold start.
 *
 * @param projectId Google Cloud project of the topics ({@value #PROJECT_ID}, else {@code
 *     GOOGLE_CLOUD_PROJECT})
 * @param topicId topic every accepted event is published to ({@value #TOPIC})
 * @param deadLetterTopicId topic for events that can never be accepted ({@value
 *     #DEAD_LETTER_TOPIC}), or {@code null} to log and drop them
 * @param tokens tokens of instances and managed services ({@value #TOKENS}, from a secret)
 * @param emulatorHost Pub/Sub emulator {@code host:port} ({@value #EMULATOR_HOST}), or {@code null}
 * @param publishTimeout how long a publish may take before the event is left unacknowledged
 *     ({@value #PUBLISH_TIMEOUT})
 * @param publishThreads threads that send batches to Pub/Sub ({@value #PUBLISH_THREADS})
 * @param maxRequestBytes largest gRPC-web request body ({@value #MAX_REQUEST_BYTES}), and largest
 *     message of a native gRPC call
 * @param maxFramesPerCall most frames of one gRPC-web request ({@value #MAX_FRAMES_PER_CALL})
 * @param log where the gateway's log lines come from, for Cloud Logging and Error Reporting
 */
public record GatewayConfig(
    String projectId,
    String topicId,
    String deadLetterTopicId,
    InstanceTokens tokens,
    String emulatorHost,
    Duration publishTimeout,
    int publishThreads,
    int maxRequestBytes,
    int maxFramesPerCall,
    ServiceContext log) {

  public static final String PROJECT_ID = "PUBSUB_PROJECT_ID";
  public static final String TOPIC = "TELEMETRY_GATEWAY_TOPIC";
  public static final String DEAD_LETTER_TOPIC = "TELEMETRY_GATEWAY_DEAD_LETTER_TOPIC";
  public static final String TOKENS = "TELEMETRY_GATEWAY_INSTANCE_TOKENS";
  public static final String EMULATOR_HOST = "PUBSUB_EMULATOR_HOST";
  public static final String PUBLISH_TIMEOUT = "TELEMETRY_GATEWAY_PUBLISH_TIMEOUT";
  public static final String PUBLISH_THREADS = "TELEMETRY_GATEWAY_PUBLISH_THREADS";
  public static final String MAX_REQUEST_BYTES = "TELEMETRY_GATEWAY_MAX_REQUEST_BYTES";
  public static final String MAX_FRAMES_PER_CALL = "TELEMETRY_GATEWAY_MAX_FRAMES_PER_CALL";

  public static GatewayConfig fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    String project = env.string(PROJECT_ID, env.string("GOOGLE_CLOUD_PROJECT", null));
    if (project == null) {
      throw new ConfigException(PROJECT_ID + " (or GOOGLE_CLOUD_PROJECT) must be set");
    }
    InstanceTokens tokens =
        env.parse(
            TOKENS,
            InstanceTokens.parse(""),
            "a comma-separated list of [instance:|licensed-instance:|service:]ID=SHA256_HEX entries",
            InstanceTokens::parse);
    return new GatewayConfig(
        project,
        env.required(TOPIC),
        env.string(DEAD_LETTER_TOPIC, null),
        tokens,
        env.string(EMULATOR_HOST, null),
        env.duration(PUBLISH_TIMEOUT, Duration.ofSeconds(30), Duration.ofMillis(100)),
        env.integer(PUBLISH_THREADS, 4, 1, 64),
        env.integer(MAX_REQUEST_BYTES, 32 * 1024 * 1024, 1024, 256 * 1024 * 1024),
        env.integer(MAX_FRAMES_PER_CALL, 1000, 2, 1_000_000),
        ServiceContext.fromEnv(environment, "gateway"));
  }

  @Override
  public String toString() {
    return "GatewayConfig[project="
        + projectId
        + ", topic="
        + topicId
        + ", deadLetterTopic="
        + deadLetterTopicId
        + ", tokens="
        + tokens.size()
        + "]";
  }
}
