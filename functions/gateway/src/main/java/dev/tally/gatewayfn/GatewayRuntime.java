package dev.tally.gatewayfn;

import dev.tally.gateway.ClosableEventPublisher;
import dev.tally.gateway.EventIngester;
import dev.tally.gateway.GatewayCalls;
import dev.tally.gateway.GatewayConfig;
import dev.tally.gateway.GatewayService;
import dev.tally.gateway.InstanceAuthInterceptor;
import dev.tally.gateway.InstanceTokens;
import dev.tally.gateway.PubSubEventPublisher;
import dev.tally.gateway.RequestTraceInterceptor;
import dev.tally.log.JsonLog;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.Map;

/**
 * What a gateway process holds for its lifetime: the Pub/Sub publishers, the calls that publish
 * through them ({@link GatewayCalls}) and the senders' tokens. Closing publishes what is pending. A
 * start that fails closes what it had opened, so that a retried start leaks nothing.
 *
 * <p>The function runs the calls directly; only the native server asks for the grpc-java service
 * ({@link #service}), so that the function never loads grpc's server classes.
 */
final class GatewayRuntime implements AutoCloseable {
  /** Opens a publisher to a topic of the configured project. */
  @FunctionalInterface
  interface Publishers {
    ClosableEventPublisher open(String topicId, int threads);
  }

  private final ClosableEventPublisher publisher;
  private final ClosableEventPublisher deadLetters;
  private final InstanceTokens tokens;
  private final GatewayCalls calls;

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
      this.calls = new GatewayCalls(new EventIngester(main, dead, config.publishTimeout()));
    } catch (RuntimeException | Error e) {
      closeAfterFailure(dead, e);
      closeAfterFailure(main, e);
      throw e;
    }
    this.publisher = main;
    this.deadLetters = dead;
    this.tokens = config.tokens();
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

  /** What the gateway's calls do, for the function's gRPC-web handler. */
  GatewayCalls calls() {
    return calls;
  }

  /** The gateway as a grpc-java service behind its authentication, for the native server. */
  ServerServiceDefinition service() {
    return ServerInterceptors.intercept(
        new GatewayService(calls).definition(),
        new InstanceAuthInterceptor(tokens),
        // Last, so that it runs first: the whole call within its trace.
        new RequestTraceInterceptor());
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
