package dev.tally.gateway;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Publishes one message to a topic. */
public interface EventPublisher {
  /**
   * Publishes a message.
   *
   * @return completes with the message ID once the topic accepted the message durably, or
   *     exceptionally when it did not
   */
  CompletableFuture<String> publish(byte[] data, Map<String, String> attributes);
}
