package dev.tally.log;

import dev.tally.json.Json;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/** Writes structured log lines: {@code {"severity":..., "message":..., "time":..., ...fields}}. */
public final class JsonLog {
  private static final PrintStream OUT = System.out;

  private JsonLog() {}

  /** Logs a line at {@code INFO} with the given fields. */
  public static void info(String message, Map<String, ?> fields) {
    write("INFO", message, fields, null);
  }

  /** Logs a line at {@code WARNING} with the given fields. */
  public static void warning(String message, Map<String, ?> fields) {
    write("WARNING", message, fields, null);
  }

  /** Logs a line at {@code ERROR}; the stack trace follows the message, for Error Reporting. */
  public static void error(String message, Throwable error, Map<String, ?> fields) {
    write("ERROR", message, fields, error);
  }

  /** The JSON line for a log entry, without the line break. */
  static String line(String severity, String message, Map<String, ?> fields, Throwable error) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("severity", severity);
    entry.put("message", error == null ? message : message + "\n" + stackTrace(error));
    entry.put("time", Instant.now().toString());
    fields.forEach(
        (key, value) -> {
          if (!entry.containsKey(key)) {
            entry.put(key, value);
          }
        });
    try {
      return Json.write(entry);
    } catch (RuntimeException e) {
      return "{\"severity\":\"ERROR\",\"message\":\"unloggable entry\"}";
    }
  }

  private static void write(String severity, String message, Map<String, ?> fields, Throwable e) {
    String line = line(severity, message, fields, e);
    synchronized (OUT) {
      OUT.println(line);
    }
  }

  private static String stackTrace(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    return text.toString();
  }

  /**
   * Sends {@code java.util.logging} (and libraries logging through it) to standard output as JSON
   * lines, replacing the root logger's handlers. Call once at cold start.
   */
  public static void installAsJulHandler() {
    Logger root = Logger.getLogger("");
    for (Handler handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    Handler handler =
        new StreamHandler(OUT, new JsonFormatter()) {
          @Override
          public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
          }
        };
    handler.setLevel(Level.INFO);
    root.addHandler(handler);
  }

  private static final class JsonFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("logger", record.getLoggerName());
      return line(severity(record.getLevel()), formatMessage(record), fields, record.getThrown())
          + System.lineSeparator();
    }

    private static String severity(Level level) {
      int value = level.intValue();
      if (value >= Level.SEVERE.intValue()) {
        return "ERROR";
      }
      if (value >= Level.WARNING.intValue()) {
        return "WARNING";
      }
      if (value >= Level.INFO.intValue()) {
        return "INFO";
      }
      return "DEBUG";
    }
  }
}
