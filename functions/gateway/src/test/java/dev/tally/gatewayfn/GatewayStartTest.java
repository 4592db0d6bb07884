package dev.tally.gatewayfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.gateway.ClosableEventPublisher;
import dev.tally.gateway.GatewayConfig;
import dev.tally.runtime.Lazy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A start that fails closes what it opened, so that the next request's retry leaks nothing. */
class GatewayStartTest {
  private static final GatewayConfig CONFIG =
      GatewayConfig.fromEnv(
          Map.of(
              "PUBSUB_PROJECT_ID", "tally-test",
              "TELEMETRY_GATEWAY_TOPIC", "events",
              "TELEMETRY_GATEWAY_DEAD_LETTER_TOPIC", "dead-letters"));

  /** Publishers that remember what was opened and closed, and fail the topics a test names. */
  static final class CountingPublishers implements GatewayRuntime.Publishers {
    final List<String> opened = new ArrayList<>();
    final List<String> closed = new ArrayList<>();
    final Set<String> failing;

    CountingPublishers(Set<String> failing) {
      this.failing = failing;
    }

    @Override
    public ClosableEventPublisher open(String topicId, int threads) {
      if (failing.contains(topicId)) {
        throw new IllegalStateException("cannot create a publisher for " + topicId);
      }
      opened.add(topicId);
      return new ClosableEventPublisher() {
        @Override
        public CompletableFuture<String> publish(byte[] data, Map<String, String> attributes) {
          return CompletableFuture.completedFuture("m");
        }

        @Override
        public void close() {
          closed.add(topicId);
        }
      };
    }

    int stillOpen() {
      return opened.size() - closed.size();
    }
  }

  @Test
  void runtime_whenTheDeadLetterPublisherFailsClosesTheMainOne() {
    CountingPublishers publishers = new CountingPublishers(Set.of("dead-letters"));

    assertThrows(IllegalStateException.class, () -> new GatewayRuntime(CONFIG, publishers));

    assertEquals(List.of("events"), publishers.opened);
    assertEquals(List.of("events"), publishers.closed);
  }

  @Test
  void start_whenTheBridgeFailsClosesTheRuntimeItWasToServe() {
    CountingPublishers publishers = new CountingPublishers(Set.of());

    assertThrows(
        IllegalStateException.class,
        () ->
            GatewayFunction.start(
                CONFIG,
                config -> new GatewayRuntime(config, publishers),
                calls -> {
                  throw new IllegalStateException("cannot start the bridge");
                }));

    assertEquals(List.of("events", "dead-letters"), publishers.opened);
    assertEquals(0, publishers.stillOpen());
  }

  @Test
  void start_retriedAfterFailedStartsHoldsOnlyWhatTheLastStartOpened() {
    CountingPublishers publishers = new CountingPublishers(Set.of());
    AtomicInteger attempts = new AtomicInteger();
    Lazy<GrpcWebBridge> bridge =
        new Lazy<>(
            () ->
                GatewayFunction.start(
                    CONFIG,
                    config -> new GatewayRuntime(config, publishers),
                    calls -> {
                      if (attempts.incrementAndGet() <= 3) {
                        throw new IllegalStateException("not yet");
                      }
                      return new GrpcWebBridge(calls, 1000, 10);
                    }));

    for (int i = 0; i < 3; i++) {
      assertThrows(IllegalStateException.class, bridge::get);
    }
    bridge.get();

    assertEquals(8, publishers.opened.size(), "four starts, two publishers each");
    assertEquals(2, publishers.stillOpen(), "only the last start's publishers are open");
  }
}
