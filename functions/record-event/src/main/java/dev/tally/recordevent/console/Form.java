package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import dev.tally.runtime.RequestBodies;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of an {@code application/x-www-form-urlencoded} body: every value of each name, in the
 * order sent. A field with a malformed escape is left out.
 */
final class Form {
  /** The largest form read; a larger one is refused unread. */
  static final int MAX_BYTES = 16 * 1024;

  private final Map<String, List<String>> fields;

  private Form(Map<String, List<String>> fields) {
    this.fields = fields;
  }

  /** The request's form; empty when it is larger than {@value #MAX_BYTES} bytes. */
  static Optional<Form> read(HttpRequest request) throws IOException {
    byte[] body =
        RequestBodies.readAtMost(request.getInputStream(), request.getContentLength(), MAX_BYTES);
    return body == null ? Optional.empty() : Optional.of(parse(body));
  }

  static Form parse(byte[] body) {
    Map<String, List<String>> fields = new HashMap<>();
    for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      try {
        fields
            .computeIfAbsent(
                URLDecoder.decode(name, StandardCharsets.UTF_8), n -> new ArrayList<>())
            .add(URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException malformed) {
        // A malformed escape: the field is left out.
      }
    }
    return new Form(fields);
  }

  /** The first value of {@code name}. */
  Optional<String> first(String name) {
    List<String> values = fields.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Every value of {@code name}, none when it was not sent. */
  List<String> all(String name) {
    return fields.getOrDefault(name, List.of());
  }
}
