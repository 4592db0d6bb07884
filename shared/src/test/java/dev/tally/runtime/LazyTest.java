package dev.tally.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LazyTest {

  @Test
  void get_createsOnceAndSharesTheValue() {
    AtomicInteger created = new AtomicInteger();
    Lazy<Object> lazy = new Lazy<>(() -> new Object[] {created.incrementAndGet()});

    Object first = lazy.get();

    assertSame(first, lazy.get());
    assertEquals(1, created.get());
  }

  @Test
  void get_triesAgainAfterAFailedCreation() {
    AtomicInteger attempts = new AtomicInteger();
    Lazy<String> lazy =
        new Lazy<>(
            () -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("database down");
              }
              return "ready";
            });

    assertThrows(IllegalStateException.class, lazy::get);
    assertEquals("ready", lazy.get());
  }

  @Test
  void warmUpInBackground_runsTheStepsAtOnceOnTheCreatedValue() throws Exception {
    // Each step waits at the barrier for the other: run one after the other, neither would pass.
    CyclicBarrier bothRunning = new CyclicBarrier(2);
    Set<Object> seen = ConcurrentHashMap.newKeySet();
    CountDownLatch done = new CountDownLatch(2);
    Lazy<Object> lazy = new Lazy<>(Object::new);

    lazy.warmUpInBackground(
        value -> {
          seen.add(value);
          await(bothRunning);
          done.countDown();
        },
        value -> {
          seen.add(value);
          await(bothRunning);
          done.countDown();
        });

    assertTrue(done.await(10, TimeUnit.SECONDS), "both steps finished");
    assertEquals(Set.of(lazy.get()), seen, "both steps got the one created value");
  }

  @Test
  void warmUpInBackground_aFailedStepLeavesTheOthersAndTheValue() throws Exception {
    CountDownLatch other = new CountDownLatch(1);
    Lazy<String> lazy = new Lazy<>(() -> "value");

    lazy.warmUpInBackground(
        value -> {
          throw new IllegalStateException("warm-up query failed");
        },
        value -> other.countDown());

    assertTrue(other.await(10, TimeUnit.SECONDS), "the other step ran");
    assertEquals("value", lazy.get());
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the other step did not run at the same time", e);
    }
  }
}
