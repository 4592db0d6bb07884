package dev.tally.testing;

import java.time.Duration;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A real database as a slow one: each connection taken moves a {@link MutableClock} on by {@link
 * #tick}, as if each step of the code under test (the code takes a connection per step) took that
 * long. Tests of deadlines then count steps against a clock instead of sleeping.
 */
public final class TickingDataSource extends DelegatingDataSource {
  private final MutableClock clock;
  private volatile Duration tick;

  public TickingDataSource(DataSource delegate, MutableClock clock, Duration tick) {
    super(delegate);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tick = Objects.requireNonNull(tick, "tick");
  }

  /** How long each step takes from now on; {@link Duration#ZERO} makes the database fast again. */
  public void tick(Duration tick) {
    this.tick = Objects.requireNonNull(tick, "tick");
  }

  @Override
  protected void beforeConnection() {
    clock.advance(tick);
  }
}
