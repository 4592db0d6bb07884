package dev.tally.recordevent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tally.json.Json;
import java.io.IOException;
import java.util.Map;

/**
 * The fields of a GraphQL-over-HTTP request body.
 *
 * @param query the document
 * @param operationName the operation to run, or {@code null}
 * @param variables the variables, empty when none
 */
record GraphQlRequest(String query, String operationName, Map<String, Object> variables) {

  /**
   * Reads a request body.
   *
   * @throws BadRequestException saying what is wrong with it
   */
  static GraphQlRequest parse(byte[] body) {
    Object root;
    try {
      root = Json.read(body);
    } catch (IOException e) {
      String detail =
          e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
      throw new BadRequestException("the request body is not valid JSON: " + detail);
    }
    if (!(root instanceof Map<?, ?> fields)) {
      throw new BadRequestException(
          "the request body must be a JSON object with 'query' and optionally 'variables' and"
              + " 'operationName'");
    }
    if (!(fields.get("query") instanceof String query) || query.isBlank()) {
      throw new BadRequestException("'query' must be a GraphQL document as a string");
    }
    Object operationName = fields.get("operationName");
    if (operationName != null && !(operationName instanceof String)) {
      throw new BadRequestException("'operationName' must be a string");
    }
    Object variables = fields.get("variables");
    if (variables != null && !(variables instanceof Map)) {
      throw new BadRequestException("'variables' must be a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> vars = variables == null ? Map.of() : (Map<String, Object>) variables;
    return new GraphQlRequest(query, (String) operationName, vars);
  }

  /** A request body this function cannot run; the message says why. */
  static final class BadRequestException extends RuntimeException {
    BadRequestException(String message) {
      super(message);
    }
  }
}
