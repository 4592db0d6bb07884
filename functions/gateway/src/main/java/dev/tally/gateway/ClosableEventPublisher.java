package dev.tally.gateway;

/** An {@link EventPublisher} that holds threads or connections until it is closed. */
public interface ClosableEventPublisher extends EventPublisher, AutoCloseable {
  /** Publishes what is pending, then releases what the publisher holds. */
  @Override
  void close() throws InterruptedException;
}
