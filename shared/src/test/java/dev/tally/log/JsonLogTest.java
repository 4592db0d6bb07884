package dev.tally.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @AfterEach
  void reset() {
    JsonLog.configure(new ServiceContext(null, "tally", null));
  }

  private static JsonNode line(String severity, Throwable error) throws Exception {
    return JSON.readTree(JsonLog.line(severity, "something happened", Map.of("n", 1), error));
  }

  /** Standard output as the function's process has it: closed for good once closed. */
  private static final class Stdout extends ByteArrayOutputStream {
    boolean closed;

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
      if (!closed) {
        super.write(bytes, offset, length);
      }
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void theLogManagerClosingItsHandlersAtShutdown_leavesStandardOutputOpenForShutdownHooks() {
    Stdout stdout = new Stdout();
    Logger root = Logger.getLogger("");
    Handler[] before = root.getHandlers();
    try (JsonLog.Scope scope =
        JsonLog.writingTo(new PrintStream(stdout, true, StandardCharsets.UTF_8))) {
      JsonLog.installAsJulHandler();
      // What the JVM's log manager does when the JVM stops, maybe before other shutdown hooks.
      for (Handler handler : root.getHandlers()) {
        handler.close();
      }
      JsonLog.info("a shutdown hook's line", Map.of());
    } finally {
      for (Handler handler : root.getHandlers()) {
        root.removeHandler(handler);
      }
      for (Handler handler : before) {
        root.addHandler(handler);
      }
    }

    assertFalse(stdout.closed);
    assertTrue(
        stdout.toString(StandardCharsets.UTF_8).contains("a shutdown hook's line"),
        stdout.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aLineWithinARequest_carriesItsTraceAndSpanForCloudLogging() throws Exception {
    JsonLog.configure(new ServiceContext("my-project", "record-event", "record-event-00007-abc"));
    JsonNode inRequest;
    try (JsonLog.Scope scope =
        JsonLog.inRequest(
            RequestTrace.of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null))) {
      inRequest = line("INFO", null);
    }
    JsonNode after = line("INFO", null);

    assertEquals(
        "projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736",
        inRequest.path("logging.googleapis.com/trace").asText());
    assertEquals("00f067aa0ba902b7", inRequest.path("logging.googleapis.com/spanId").asText());
    assertEquals(1, inRequest.path("n").asInt());
    assertFalse(after.has("logging.googleapis.com/trace"), "the scope ended");
  }

  @Test
  void withoutAProject_linesCarryNoTrace() throws Exception {
    try (JsonLog.Scope scope =
        JsonLog.inRequest(RequestTrace.of(null, "105445aa7843bc8bf206b12000100000/1;o=1"))) {
      assertFalse(line("INFO", null).has("logging.googleapis.com/trace"));
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 | NULL"
            + " | 4bf92f3577b34da6a3ce929d0e0e4736 | 00f067aa0ba902b7",
        // Google's own header: a decimal span ID, given to Logging in hex.
        "NULL | 105445AA7843BC8BF206B12000100000/1;o=1"
            + " | 105445aa7843bc8bf206b12000100000 | 0000000000000001",
        "NULL | 105445aa7843bc8bf206b12000100000 | 105445aa7843bc8bf206b12000100000 | NULL",
        // traceparent wins; a malformed one gives way to the other header.
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            + " | 105445aa7843bc8bf206b12000100000/1 | 4bf92f3577b34da6a3ce929d0e0e4736"
            + " | 00f067aa0ba902b7",
        "garbage | 105445aa7843bc8bf206b12000100000/18446744073709551615"
            + " | 105445aa7843bc8bf206b12000100000 | ffffffffffffffff",
      })
  void requestTrace_readsTraceparentElseXCloudTraceContext(
      String traceparent, String cloudTraceContext, String traceId, String spanId) {
    RequestTrace trace = RequestTrace.of(traceparent, cloudTraceContext);

    assertEquals(traceId, trace.traceId());
    assertEquals(spanId, trace.spanId());
  }

  @Test
  void requestTrace_ofNoUsableHeaderIsNone() {
    assertNull(RequestTrace.of(null, null));
    assertNull(RequestTrace.of("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01", "nonsense"));
  }

  @Test
  void anError_hasTheShapeErrorReportingPicksUp() throws Exception {
    JsonLog.configure(new ServiceContext("my-project", "export", "export-00003-xyz"));

    JsonNode error = line("ERROR", new IllegalStateException("the database went away"));
    JsonNode warning = line("WARNING", new IllegalStateException("retrying"));

    assertEquals(JsonLog.REPORTED_ERROR_EVENT, error.path("@type").asText());
    assertEquals("export", error.path("serviceContext").path("service").asText());
    assertEquals("export-00003-xyz", error.path("serviceContext").path("version").asText());
    String message = error.path("message").asText();
    assertTrue(message.startsWith("something happened\njava.lang.IllegalStateException"), message);
    assertTrue(message.contains("\tat dev.tally.log.JsonLogTest."), "a stack trace: " + message);
    assertFalse(warning.has("@type"), "only errors are reported");
  }
}
