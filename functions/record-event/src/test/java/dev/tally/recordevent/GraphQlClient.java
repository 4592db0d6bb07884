package dev.tally.recordevent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.testing.FunctionProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GraphQL over HTTP to a record-event function in the real invoker, as clients send it: a JSON
 * {@code POST} with {@code query} and {@code variables}, headers as given.
 */
final class GraphQlClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final FunctionProcess function;

  GraphQlClient(FunctionProcess function) {
    this.function = function;
  }

  /** The function's answer: its HTTP status and its JSON body. */
  record Answer(int status, JsonNode body, String text) {
    boolean hasErrors() {
      return body.has("errors");
    }

    String firstError() {
      return body.path("errors").path(0).path("message").asText();
    }

    String firstErrorCode() {
      return body.path("errors").path(0).path("extensions").path("code").asText();
    }

    /** The value at {@code path} under {@code data}. */
    JsonNode data(String... path) {
      JsonNode node = body.path("data");
      for (String name : path) {
        node = node.path(name);
      }
      return node;
    }
  }

  /** Posts a GraphQL request to {@code /.api/graphql}; {@code headers} are name, value, ... */
  Answer post(String query, Map<String, ?> variables, String... headers) throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("query", query);
    body.put("variables", variables);
    return postBody("/.api/graphql", JSON.writeValueAsString(body), headers);
  }

  /** Posts a request body exactly as given to {@code path}. */
  Answer postBody(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(function.uri(path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    return new Answer(response.statusCode(), json, response.body());
  }

  /** {@code count} valid V2 events as a client sends them, in the mutation's variables. */
  static List<Map<String, Object>> clientEvents(int count) {
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(
          Map.of(
              "feature",
              "cody.chat",
              "action",
              "submitted",
              "source",
              Map.of("client", "VSCode", "clientVersion", "1.90.0"),
              "parameters",
              Map.of("version", 1)));
    }
    return events;
  }
}
