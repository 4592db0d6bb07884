package dev.tally.exportfn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.export.Exporter;
import dev.tally.export.GatewayClient;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.store.ExportQueue;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The function's timeout counts from when the request arrived, before the exporter is ready: the
 * run's deadline counts from there too, so a slow cold start leaves the run less time, not more.
 */
@ExtendWith(PostgresExtension.class)
class ExportFunctionDeadlineTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));

  @Test
  void aRunWaitingForAColdStart_hasOnlyWhatIsLeftOfItsDeadline(TestDatabase db) throws Exception {
    db.execute(
        "TRUNCATE telemetry_events_export_queue;"
            + " UPDATE telemetry_export_state SET last_cleanup_at = NULL");
    // Calls never happen: the gateway is only there so that the run tries to export.
    GatewayClient gateway = (metadata, frames) -> Set.of();
    Exporter exporter =
        Exporter.builder(new ExportQueue(db.dataSource(), clock), clock)
            .gateway(
                gateway,
                Identifier.newBuilder()
                    .setUnlicensedInstance(
                        Identifier.UnlicensedInstanceIdentifier.newBuilder()
                            .setInstanceId("instance-1"))
                    .build())
            .timeBudget(Duration.ofMinutes(4))
            .build();
    ExportFunction function =
        new ExportFunction(
            () -> {
              clock.advance(Duration.ofMinutes(3)); // the cold start: pool, migrations
              return exporter;
            },
            clock);

    Response response = new Response();
    function.service(new PostRequest(), response);

    JsonNode run = new ObjectMapper().readTree(response.body.toString(StandardCharsets.UTF_8));
    assertEquals(200, response.status);
    // Half the four minutes was gone when the exporter was ready: the cleanup stays due.
    assertEquals(false, run.path("cleanupRan").asBoolean(), run.toString());
    exporter.close();
  }

  /** A {@code POST /} without a body. */
  private static final class PostRequest implements HttpRequest {
    @Override
    public String getMethod() {
      return "POST";
    }

    @Override
    public String getUri() {
      return "http://localhost/";
    }

    @Override
    public String getPath() {
      return "/";
    }

    @Override
    public Optional<String> getQuery() {
      return Optional.empty();
    }

    @Override
    public Map<String, List<String>> getQueryParameters() {
      return Map.of();
    }

    @Override
    public Map<String, HttpPart> getParts() {
      return Map.of();
    }

    @Override
    public Optional<String> getContentType() {
      return Optional.empty();
    }

    @Override
    public long getContentLength() {
      return 0;
    }

    @Override
    public Optional<String> getCharacterEncoding() {
      return Optional.empty();
    }

    @Override
    public InputStream getInputStream() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new StringReader(""));
    }

    @Override
    public Map<String, List<String>> getHeaders() {
      return Map.of();
    }
  }

  /** What the function answered. */
  private static final class Response implements HttpResponse {
    int status = 200;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final Map<String, List<String>> headers = new TreeMap<>();
    private String contentType;

    @Override
    public void setStatusCode(int code) {
      status = code;
    }

    @Override
    public void setStatusCode(int code, String message) {
      status = code;
    }

    @Override
    public void setContentType(String contentType) {
      this.contentType = contentType;
    }

    @Override
    public Optional<String> getContentType() {
      return Optional.ofNullable(contentType);
    }

    @Override
    public void appendHeader(String header, String value) {
      headers.computeIfAbsent(header, h -> new java.util.ArrayList<>()).add(value);
    }

    @Override
    public Map<String, List<String>> getHeaders() {
      return headers;
    }

    @Override
    public OutputStream getOutputStream() {
      return body;
    }

    @Override
    public BufferedWriter getWriter() {
      return new BufferedWriter(new OutputStreamWriter(body, StandardCharsets.UTF_8));
    }
  }
}
