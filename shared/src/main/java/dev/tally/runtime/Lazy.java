package dev.tally.runtime;

import dev.tally.log.JsonLog;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A value created once and shared by every thread after that: on first use, or earlier in the
 * background with {@link #warmUpInBackground}, so that a function's first request does not pay for
 * it. A creation that failed is tried again on the next use.
 */
public final class Lazy<T> implements Supplier<T> {
  private final Supplier<T> create;
  private volatile T value;

  public Lazy(Supplier<T> create) {
    this.create = create;
  }

  @Override
  public T get() {
    T result = value;
    if (result == null) {
      synchronized (this) {
        result = value;
        if (result == null) {
          result = create.get();
          value = result;
        }
      }
    }
    return result;
  }

  /**
   * Creates the value on a background thread, then runs each warm-up step on it, each on a thread
   * of its own (for example a first query, so that connections are open and code paths loaded
   * before the first request; independent steps overlap). A request arriving meanwhile waits for
   * the creation, not for the warm-up. Failures are logged and left to the first request, which
   * tries again.
   */
  @SafeVarargs
  public final Lazy<T> warmUpInBackground(Consumer<T>... steps) {
    daemon(
        "warm-up",
        () -> {
          T created;
          try {
            created = get();
          } catch (RuntimeException e) {
            warmUpFailed(e);
            return;
          }
          long createdNanos = System.nanoTime();
          AtomicBoolean failed = new AtomicBoolean();
          Thread[] threads = new Thread[steps.length];
          for (int i = 0; i < steps.length; i++) {
            Consumer<T> step = steps[i];
            threads[i] =
                daemon(
                    "warm-up-" + (i + 1),
                    () -> {
                      try {
                        step.accept(created);
                      } catch (RuntimeException e) {
                        failed.set(true);
                        warmUpFailed(e);
                      }
                    });
          }
          try {
            for (Thread thread : threads) {
              thread.join();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          if (failed.get()) {
            return;
          }
          // The JVM's uptime is read once, at the end: its management beans are not free to load.
          long warmAt = uptimeMillis();
          long createdAt = warmAt - (System.nanoTime() - createdNanos) / 1_000_000;
          JsonLog.info(
              "instance warm", Map.of("createdAtUptimeMs", createdAt, "warmAtUptimeMs", warmAt));
        });
    return this;
  }

  private static Thread daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void warmUpFailed(RuntimeException e) {
    JsonLog.warning(
        "warm-up failed; the first request retries", Map.of("error", String.valueOf(e)));
  }

  private static long uptimeMillis() {
    return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
  }
}
