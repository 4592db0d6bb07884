package dev.tally.instance;

import dev.tally.log.JsonLog;
import java.util.Map;
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
   * Creates the value on a background thread, then runs {@code warmUp} on it (for example a first
   * query, so that connections are open and code paths loaded before the first request). A request
   * arriving meanwhile waits for the creation, not for the warm-up. Failures are logged and left to
   * the first request, which tries again.
   */
  public Lazy<T> warmUpInBackground(Consumer<T> warmUp) {
    Thread thread =
        new Thread(
            () -> {
              try {
                T created = get();
                long createdAt = uptimeMillis();
                warmUp.accept(created);
                JsonLog.info(
                    "instance warm",
                    Map.of("createdAtUptimeMs", createdAt, "warmAtUptimeMs", uptimeMillis()));
              } catch (RuntimeException e) {
                JsonLog.warning(
                    "warm-up failed; the first request retries",
                    Map.of("error", String.valueOf(e)));
              }
            },
            "warm-up");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private static long uptimeMillis() {
    return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
  }
}
