package dev.tally.instance;

import java.util.function.Supplier;

/** A value created on first use, once, and shared by every thread after that. */
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
}
