package dev.tally.admin;

import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * Logging for the length of one admin command: {@code java.util.logging} (and the libraries that
 * log through it, such as the connection pool and the migrations) writes one line per record to the
 * given stream, warnings and errors only unless verbose. Closing restores what was before.
 */
final class QuietLogging implements AutoCloseable {
  private final Logger root = Logger.getLogger("");
  private final List<Handler> handlers;
  private final Level level;
  private final Handler handler;

  private QuietLogging(PrintStream stream, boolean verbose) {
    handlers = List.of(root.getHandlers());
    level = root.getLevel();
    handlers.forEach(root::removeHandler);
    Level shown = verbose ? Level.INFO : Level.WARNING;
    handler =
        new StreamHandler(stream, new OneLine()) {
          @Override
          public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
          }
        };
    handler.setLevel(shown);
    root.setLevel(shown);
    root.addHandler(handler);
  }

  /** Sends logs to {@code stream}, INFO and above when {@code verbose}, else WARNING and above. */
  static QuietLogging to(PrintStream stream, boolean verbose) {
    return new QuietLogging(stream, verbose);
  }

  @Override
  public void close() {
    handler.flush();
    root.removeHandler(handler);
    handlers.forEach(root::addHandler);
    root.setLevel(level);
  }

  /** {@code 2024-05-01T10:00:00Z WARNING com.zaxxer.hikari.HikariPool: message}, and any stack. */
  private static final class OneLine extends Formatter {
    @Override
    public String format(LogRecord record) {
      StringBuilder line =
          new StringBuilder()
              .append(Instant.ofEpochMilli(record.getMillis()))
              .append(' ')
              .append(record.getLevel().getName())
              .append(' ')
              .append(record.getLoggerName())
              .append(": ")
              .append(formatMessage(record))
              .append(System.lineSeparator());
      if (record.getThrown() != null) {
        line.append(record.getThrown()).append(System.lineSeparator());
      }
      return line.toString();
    }
  }
}
