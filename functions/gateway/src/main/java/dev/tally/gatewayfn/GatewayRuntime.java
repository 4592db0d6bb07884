package dev.tally.gatewayfn;

import dev.tally.gateway.EventIngester;
import dev.tally.gateway.GatewayConfig;
import dev.tally.gateway.GatewayService;
import dev.tally.gateway.InstanceAuthInterceptor;
import dev.tally.gateway.PubSubEventPublisher;
import dev.tally.log.JsonLog;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.Map;

/**
 * What a gateway process holds for its lifetime: the Pub/Sub publishers and the authenticated
 * service built on them. Closing publishes what is pending.
 */
final class GatewayRuntime implements AutoCloseable {
  private final PubSubEventPublisher publisher;
  private final PubSubEventPublisher deadLetters;
  private final ServerServiceDefinition service;

  GatewayRuntime(GatewayConfig config) {
    this.publisher =
        PubSubEventPublisher.create(
            config.projectId(),
            config.topicId(),
            config.emulatorHost(),
            config.publishTimeout(),
            config.publishThreads());
    this.deadLetters =
        config.deadLetterTopicId() == null
            ? null
            : PubSubEventPublisher.create(
                config.projectId(),
                config.deadLetterTopicId(),
                config.emulatorHost(),
                config.publishTimeout(),
                1);
    this.service =
        ServerInterceptors.intercept(
            new GatewayService(new EventIngester(publisher, deadLetters, config.publishTimeout())),
            new InstanceAuthInterceptor(config.tokens()));
    JsonLog.info(
        "gateway ready",
        Map.of(
            "topic", config.topicId(),
            "deadLetterTopic", String.valueOf(config.deadLetterTopicId()),
            "tokens", config.tokens().size()));
  }

  /** The gateway service behind its authentication. */
  ServerServiceDefinition service() {
    return service;
  }

  @Override
  public void close() throws InterruptedException {
    publisher.close();
    if (deadLetters != null) {
      deadLetters.close();
    }
  }
}
