package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A request for the console's rules, pages and backend: {@code POST /console} with no body unless
 * told otherwise.
 */
public final class FakeRequest implements HttpRequest {
  private final Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private final Map<String, List<String>> query = new LinkedHashMap<>();
  private String method = "POST";
  private String path = "/console";
  private byte[] body = new byte[0];

  public FakeRequest header(String name, String value) {
    headers.put(name, List.of(value));
    return this;
  }

  /** A {@code GET} of {@code path}. */
  public static FakeRequest get(String path) {
    return new FakeRequest().method("GET").path(path);
  }

  /** A form {@code POST} to {@code path}. */
  public static FakeRequest post(String path, String form) {
    return new FakeRequest()
        .path(path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form);
  }

  public FakeRequest method(String method) {
    this.method = method;
    return this;
  }

  public FakeRequest path(String path) {
    this.path = path;
    return this;
  }

  public FakeRequest query(String name, String value) {
    query.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    return this;
  }

  public FakeRequest body(String text) {
    this.body = text.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  @Override
  public String getMethod() {
    return method;
  }

  @Override
  public String getUri() {
    return "http://localhost" + path;
  }

  @Override
  public String getPath() {
    return path;
  }

  @Override
  public Optional<String> getQuery() {
    return Optional.empty();
  }

  @Override
  public Map<String, List<String>> getQueryParameters() {
    return query;
  }

  @Override
  public Map<String, HttpPart> getParts() {
    return Map.of();
  }

  @Override
  public Optional<String> getContentType() {
    return getFirstHeader("Content-Type");
  }

  @Override
  public long getContentLength() {
    return body.length;
  }

  @Override
  public Optional<String> getCharacterEncoding() {
    return Optional.empty();
  }

  @Override
  public InputStream getInputStream() {
    return new ByteArrayInputStream(body);
  }

  @Override
  public BufferedReader getReader() {
    return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
  }

  @Override
  public Map<String, List<String>> getHeaders() {
    return headers;
  }
}
