package dev.tally.recordevent;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tally.json.Json;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The fields of a GraphQL-over-HTTP request body.
 *
 * @param query the document
 * @param operationName the operation to run, or {@code null}
 * @param variables the variables, empty when none
 */
record GraphQlRequest(String query, String operationName, Map<String, Object> variables) {
  /**
   * The longest {@code operationName} accepted: far longer than any operation's name, short enough
   * that an error that quotes it stays small.
   */
  static final int MAX_OPERATION_NAME_LENGTH = 1024;

  /** The longest {@code operationName} written to the log as it is. */
  static final int MAX_LOGGED_OPERATION_NAME_LENGTH = 100;

  /** What the log says instead of a name longer than that. */
  static final String LONG_OPERATION_NAME = "(too long)";

  /** What the log says instead of an operation name that is not a GraphQL name. */
  static final String INVALID_OPERATION_NAME = "(invalid)";

  /** A GraphQL name (the spec's {@code Name}). */
  private static final Pattern NAME = Pattern.compile("[_A-Za-z][_0-9A-Za-z]*");

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
    if (operationName instanceof String name && !name.isEmpty() && !isName(name)) {
      // Never quoted: it may be as long as the body.
      throw new BadRequestException(
          "'operationName' must be the name of an operation of the query: a GraphQL name (a"
              + " letter or '_', then letters, digits or '_') of at most "
              + MAX_OPERATION_NAME_LENGTH
              + " characters");
    }
    Object variables = fields.get("variables");
    if (variables != null && !(variables instanceof Map)) {
      throw new BadRequestException("'variables' must be a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> vars = variables == null ? Map.of() : (Map<String, Object>) variables;
    return new GraphQlRequest(query, (String) operationName, vars);
  }

  /**
   * The operation name as the request log shows it, never longer than {@value
   * #MAX_LOGGED_OPERATION_NAME_LENGTH} characters: the name itself, {@value #LONG_OPERATION_NAME}
   * or {@value #INVALID_OPERATION_NAME}; empty when there is none.
   */
  Optional<String> loggedOperationName() {
    if (operationName == null || operationName.isEmpty()) {
      return Optional.empty();
    }
    if (!isName(operationName)) {
      return Optional.of(INVALID_OPERATION_NAME);
    }
    return Optional.of(
        operationName.length() <= MAX_LOGGED_OPERATION_NAME_LENGTH
            ? operationName
            : LONG_OPERATION_NAME);
  }

  private static boolean isName(String text) {
    return text.length() <= MAX_OPERATION_NAME_LENGTH && NAME.matcher(text).matches();
  }
}
