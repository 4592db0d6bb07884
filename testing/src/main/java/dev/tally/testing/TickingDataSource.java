package dev.tally.testing;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A real database as a slow one: each connection taken moves a {@link MutableClock} on by {@link
 * #tick}, as if each step of the code under test (the code takes a connection per step) took that
 * long. Tests of deadlines then count steps against a clock instead of sleeping.
 */
public final class TickingDataSource implements DataSource {
  private final DataSource delegate;
  private final MutableClock clock;
  private volatile Duration tick;

  public TickingDataSource(DataSource delegate, MutableClock clock, Duration tick) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tick = Objects.requireNonNull(tick, "tick");
  }

  /** How long each step takes from now on; {@link Duration#ZERO} makes the database fast again. */
  public void tick(Duration tick) {
    this.tick = Objects.requireNonNull(tick, "tick");
  }

  @Override
  public Connection getConnection() throws SQLException {
    clock.advance(tick);
    return delegate.getConnection();
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    clock.advance(tick);
    return delegate.getConnection(username, password);
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return delegate.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return delegate.isWrapperFor(iface);
  }
}
