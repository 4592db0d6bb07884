package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import graphql.ParseAndValidate;
import graphql.language.Document;
import graphql.parser.Parser;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import graphql.validation.ValidationError;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every query and mutation the console's backend sends ({@link GraphQlBackend}'s {@code *_QUERY}
 * and {@code *_MUTATION} constants) is valid against the instance's schema: a field renamed in the
 * schema, or misspelled in the console, fails here rather than as an error page.
 */
class ConsoleQueriesInSchemaTest {
  private static GraphQLSchema schema;

  @BeforeAll
  static void readSchema() throws IOException {
    try (InputStream in =
        ConsoleQueriesInSchemaTest.class.getResourceAsStream("/graphql/telemetry.graphqls")) {
      schema =
          UnExecutableSchemaGenerator.makeUnExecutableSchema(
              new SchemaParser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    }
  }

  /** The console's queries and mutations, by the name of their constant. */
  static Stream<Object[]> documents() throws IllegalAccessException {
    List<Object[]> documents = new ArrayList<>();
    for (Field field : GraphQlBackend.class.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers())
          && field.getType() == String.class
          && (field.getName().endsWith("_QUERY") || field.getName().endsWith("_MUTATION"))) {
        documents.add(new Object[] {field.getName(), field.get(null)});
      }
    }
    return documents.stream();
  }

  private static List<ValidationError> errors(String document) {
    Document parsed = Parser.parse(document);
    return ParseAndValidate.validate(schema, parsed);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documents")
  void consoleDocument_isValidAgainstTheSchema(String name, String document) {
    List<ValidationError> errors = errors(document);

    assertTrue(errors.isEmpty(), name + ": " + errors);
  }

  @Test
  void everyDocumentOfTheBackend_isChecked() throws IllegalAccessException {
    List<String> names = documents().map(document -> (String) document[0]).toList();

    assertTrue(
        names.containsAll(
            List.of(
                "SIGN_IN_QUERY",
                "USAGE_QUERY",
                "EXPORT_QUERY",
                "CATALOG_QUERY",
                "OBSERVED_QUERY",
                "DRAFT_QUERY",
                "COUNTERS_QUERY",
                "VERSIONS_QUERY",
                "SWITCH_MUTATION",
                "DISCARD_MUTATION")),
        names.toString());
  }

  @Test
  void aFieldTheSchemaDoesNotHave_isAnError() {
    List<ValidationError> errors =
        errors("query { telemetry { catalog { version entries { feature owners } } } }");

    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).getMessage().contains("owners"), errors.get(0).getMessage());
    assertFalse(errors("query { telemetry { catalog { version } } }").size() > 0);
  }
}
