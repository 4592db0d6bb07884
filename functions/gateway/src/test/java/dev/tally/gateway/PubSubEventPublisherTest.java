package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.testing.PubSubEmulator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real Pub/Sub client against the real emulator. */
class PubSubEventPublisherTest {
  private static PubSubEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    emulator = PubSubEmulator.start();
  }

  @AfterAll
  static void stop() throws Exception {
    emulator.close();
  }

  @Test
  void publish_deliversDataAndAttributesToASubscription() throws Exception {
    emulator.createTopic("publish-topic");
    emulator.createSubscription("publish-sub", "publish-topic");
    try (PubSubEventPublisher publisher =
        PubSubEventPublisher.create(
            PubSubEmulator.PROJECT,
            "publish-topic",
            emulator.hostPort(),
            Duration.ofSeconds(10),
            2)) {
      for (int i = 0; i < 50; i++) {
        publisher
            .publish(("m" + i).getBytes(StandardCharsets.UTF_8), Map.of("n", String.valueOf(i)))
            .get(10, TimeUnit.SECONDS);
      }
    }

    List<PubSubEmulator.Message> messages =
        emulator.pull("publish-sub", 50, Duration.ofSeconds(10));

    assertEquals(50, messages.size());
    for (PubSubEmulator.Message message : messages) {
      assertEquals("m" + message.attributes().get("n"), message.text());
    }
  }

  @Test
  void publish_toATopicThatDoesNotExistFails() throws Exception {
    try (PubSubEventPublisher publisher =
        PubSubEventPublisher.create(
            PubSubEmulator.PROJECT,
            "missing-topic",
            emulator.hostPort(),
            Duration.ofSeconds(2),
            1)) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> publisher.publish(new byte[] {1}, Map.of()).get(10, TimeUnit.SECONDS));
      assertEquals(
          true, e.getCause().getMessage().contains("NOT_FOUND"), e.getCause().getMessage());
    }
  }
}
