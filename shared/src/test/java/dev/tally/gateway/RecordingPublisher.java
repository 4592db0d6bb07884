package dev.tally.gateway;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** An in-memory {@link EventPublisher} that fails the messages a test chooses. */
final class RecordingPublisher implements EventPublisher {
  record Published(String data, Map<String, String> attributes) {}

  final List<Published> published = new CopyOnWriteArrayList<>();
  private final Predicate<String> fails;

  RecordingPublisher(Predicate<String> fails) {
    this.fails = fails;
  }

  @Override
  public CompletableFuture<String> publish(byte[] data, Map<String, String> attributes) {
    String text = new String(data, java.nio.charset.StandardCharsets.UTF_8);
    if (fails.test(text)) {
      return CompletableFuture.failedFuture(new IllegalStateException("publish failed"));
    }
    published.add(new Published(text, attributes));
    return CompletableFuture.completedFuture("m" + published.size());
  }
}
