package dev.tally.log;

import dev.tally.json.Json;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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

/**
 * Writes structured log lines: {@code {"severity":..., "message":..., "time":..., ...fields}}.
 *
 * <p>A line written while a request's trace is {@linkplain #inRequest current} carries {@value
 * #TRACE} and {@value #SPAN_ID}, so that Cloud Logging groups the request's lines and links them to
 * Cloud Trace. An error line has the shape Error Reporting picks up: the stack trace in {@code
 * message}, {@code @type} of a reported error event, and the {@code serviceContext} the function
 * {@linkplain #configure configured}.
 */
public final class JsonLog {
  static final String TRACE = "logging.googleapis.com/trace";
  static final String SPAN_ID = "logging.googleapis.com/spanId";
  static final String REPORTED_ERROR_EVENT =
      "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent";

  private static volatile PrintStream out = System.out;
  private static final ThreadLocal<RequestTrace> CURRENT = new ThreadLocal<>();
  private static volatile ServiceContext service = new ServiceContext(null, "tally", null);

  private JsonLog() {}

  /**
   * Sets up logging for a function at cold start: says which project and service its lines belong
   * to, and sends {@code java.util.logging} there too ({@link #installAsJulHandler}).
   */
  public static void install(ServiceContext context) {
    configure(context);
    installAsJulHandler();
  }

  /** Says which project and service the lines of this process belong to. */
  public static void configure(ServiceContext context) {
    service = context;
  }

  /**
   * Writes this process's log lines to {@code stream} until the returned scope is closed, which
   * restores the stream before: for a command-line tool whose standard output is its answer.
   */
  public static Scope writingTo(PrintStream stream) {
    PrintStream before = out;
    out = stream;
    return () -> out = before;
  }

  /**
   * Makes {@code trace} the current thread's until the returned scope is closed, which restores the
   * one before. {@code null} means no trace.
   */
  public static Scope inRequest(RequestTrace trace) {
    RequestTrace before = CURRENT.get();
    if (trace == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(trace);
    }
    return () -> {
      if (before == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(before);
      }
    };
  }

  /** The current thread's trace, or {@code null}: to carry it to work done on other threads. */
  public static RequestTrace currentTrace() {
    return CURRENT.get();
  }

  /** A stretch of code that runs within a request's trace. */
  @FunctionalInterface
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

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
    ServiceContext context = service;
    RequestTrace trace = CURRENT.get();
    if (trace != null && context.projectId() != null) {
      entry.put(TRACE, "projects/" + context.projectId() + "/traces/" + trace.traceId());
      if (trace.spanId() != null) {
        entry.put(SPAN_ID, trace.spanId());
      }
    }
    if (error != null && severity.equals("ERROR")) {
      // Error Reporting reads such a line as an error event: its stack trace is the message.
      entry.put("@type", REPORTED_ERROR_EVENT);
      Map<String, String> serviceContext = new LinkedHashMap<>();
      serviceContext.put("service", context.service());
      if (context.version() != null) {
        serviceContext.put("version", context.version());
      }
      entry.put("serviceContext", serviceContext);
    }
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
    PrintStream stream = out;
    synchronized (stream) {
      stream.println(line);
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
    // When the JVM stops, the log manager closes its handlers, and a StreamHandler closes its
    // stream: standard output must stay open for the lines of shutdown hooks that run after that.
    OutputStream stdout =
        new FilterOutputStream(out) {
          @Override
          public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
          }

          @Override
          public void close() throws IOException {
            flush();
          }
        };
    Handler handler =
        new StreamHandler(stdout, new JsonFormatter()) {
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
