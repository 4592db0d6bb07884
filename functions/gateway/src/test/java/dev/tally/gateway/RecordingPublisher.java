package dev.tally.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * An in-memory {@link EventPublisher} that fails the messages a test chooses, and leaves those it
 * chooses to hold unanswered until the test releases them.
 */
public final class RecordingPublisher implements EventPublisher {
  /** A message handed to the publisher, data as text. */
  public record Published(String data, Map<String, String> attributes) {}

  /** Every message published, or held, in the order they came. */
  public final List<Published> published = new CopyOnWriteArrayList<>();

  private final Predicate<String> fails;
  private final Predicate<String> holds;
  private final List<CompletableFuture<String>> held = new ArrayList<>();
  private int mostHeldAtOnce;

  /** A publisher that answers every message at once, failing those {@code fails} matches. */
  public RecordingPublisher(Predicate<String> fails) {
    this(fails, data -> false);
  }

  /**
   * @param fails messages (data as text) whose publish fails
   * @param holds messages whose publish completes only when {@link #release} is called
   */
  public RecordingPublisher(Predicate<String> fails, Predicate<String> holds) {
    this.fails = fails;
    this.holds = holds;
  }

  @Override
  public CompletableFuture<String> publish(byte[] data, Map<String, String> attributes) {
    String text = new String(data, StandardCharsets.UTF_8);
    if (fails.test(text)) {
      return CompletableFuture.failedFuture(new IllegalStateException("publish failed"));
    }
    published.add(new Published(text, attributes));
    String id = "m" + published.size();
    if (holds.test(text)) {
      CompletableFuture<String> publish = new CompletableFuture<>();
      synchronized (held) {
        held.add(publish);
        mostHeldAtOnce =
            Math.max(mostHeldAtOnce, (int) held.stream().filter(p -> !p.isDone()).count());
      }
      return publish;
    }
    return CompletableFuture.completedFuture(id);
  }

  /** How many publishes are held, unanswered. */
  public int held() {
    synchronized (held) {
      return (int) held.stream().filter(publish -> !publish.isDone()).count();
    }
  }

  /** The most publishes that were held, unanswered, at the same time. */
  public int mostHeldAtOnce() {
    synchronized (held) {
      return mostHeldAtOnce;
    }
  }

  /** Completes the oldest publish still held. */
  public void releaseOldest() {
    CompletableFuture<String> oldest;
    synchronized (held) {
      oldest = held.stream().filter(publish -> !publish.isDone()).findFirst().orElseThrow();
    }
    oldest.complete("released");
  }

  /** Completes the publishes held so far, the last one first. */
  public void release() {
    List<CompletableFuture<String>> toRelease;
    synchronized (held) {
      toRelease = new ArrayList<>(held);
      held.clear();
    }
    for (int i = toRelease.size() - 1; i >= 0; i--) {
      toRelease.get(i).complete("released-" + i);
    }
  }
}
