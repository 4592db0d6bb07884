package dev.tally.gatewayfn;

import dev.tally.gateway.ClosableEventPublisher;
import dev.tally.gateway.EventIngester;
import dev.tally.gateway.GatewayConfig;
import dev.tally.gateway.GatewayService;
import dev.tally.gateway.InstanceAuthInterceptor;
import dev.tally.gateway.PubSubEventPublisher;
import dev.tally.gateway.RequestTraceInterceptor;
import dev.tally.log.JsonLog;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.Map;

/**
 * What a gateway process holds for its lifetime: the Pub/Sub publishers and the authenticated
 * service built on them. Closing publishes what is pending. A start that fails closes what it had
 * opened, so that a retried start leaks nothing.
 */
final class GatewayRuntime implements AutoCloseable {
  /** Opens a publisher to a topic of the configured project. */
  @FunctionalInterface
  interface Publishers {
    ClosableEventPublisher open(String topicId, int threads);
  }

  private final ClosableEventPublisher publisher;
  private final ClosableEventPublisher deadLetters;
  private final ServerServiceDefinition service;

  GatewayRuntime(GatewayConfig config) {
    this(
        config,
        (topicId, threads) ->
            PubSubEventPublisher.create(
                config.projectId(),
                topicId,
                config.emulatorHost(),
                config.publishTimeout(),
                threads));
  }

  GatewayRuntime(GatewayConfig config, Publishers publishers) {
    ClosableEventPublisher main = publishers.open(config.topicId(), config.publishThreads());
    ClosableEventPublisher dead = null;
    try {
      if (config.deadLetterTopicId() != null) {
        dead = publishers.open(config.deadLetterTopicId(), 1);
      }
      this.service =
          ServerInterceptors.intercept(
              new GatewayService(new EventIngester(main, dead, config.publishTimeout()))
                  .definition(),
              new InstanceAuthInterceptor(config.tokens()),
              // Last, so that it runs first: the whole call within its trace.
              new RequestTraceInterceptor());
    } catch (RuntimeException | Error e) {
      closeAfterFailure(dead, e);
      closeAfterFailure(main, e);
      throw e;
    }
    this.publisher = main;
    this.deadLetters = dead;
    JsonLog.info(
        "gateway ready",
        Map.of(
            "topic", config.topicId(),
            "deadLetterTopic", String.valueOf(config.deadLetterTopicId()),
            "tokens", config.tokens().size()));
  }

  /** Closes what a failed start opened; a failure to close is added to the start's failure. */
  static void closeAfterFailure(AutoCloseable opened, Throwable failure) {
    if (opened == null) {
      return;
    }
    try {
      opened.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure.addSuppressed(e);
    } catch (Exception e) {
      failure.addSuppressed(e);
    }
  }

  /** The gateway service behind its authentication. */
  ServerServiceDefinition service() {
    return service;
  }

  @Override
  public void close() throws InterruptedException {
    try {
      publisher.close();
    } finally {
      if (deadLetters != null) {
        deadLetters.close();
      }
    }
  }
}
