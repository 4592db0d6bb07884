package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.MarketingField;
import graphql.language.FieldDefinition;
import graphql.language.InputObjectTypeDefinition;
import graphql.language.InputValueDefinition;
import graphql.language.ObjectTypeDefinition;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.TypeDefinitionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The schema spells the marketing fields itself: they must be those of {@link MarketingField},
 * which the resolvers read them by.
 */
class MarketingFieldsInSchemaTest {
  private static final List<String> INPUT_NAMES =
      Arrays.stream(MarketingField.values()).map(MarketingField::inputName).toList();

  private static TypeDefinitionRegistry schema() throws IOException {
    try (InputStream in =
        MarketingFieldsInSchemaTest.class.getResourceAsStream("/graphql/telemetry.graphqls")) {
      return new SchemaParser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static List<String> names(List<InputValueDefinition> values) {
    return values.stream().map(InputValueDefinition::getName).toList();
  }

  @Test
  void marketingTrackingInput_hasExactlyTheMarketingFieldsInTheirOrder() throws IOException {
    InputObjectTypeDefinition input =
        schema()
            .getType("TelemetryEventMarketingTrackingInput", InputObjectTypeDefinition.class)
            .orElseThrow();

    assertEquals(INPUT_NAMES, names(input.getInputValueDefinitions()));
  }

  @Test
  void legacyLogEventAndItsEventInput_takeEveryMarketingField() throws IOException {
    TypeDefinitionRegistry schema = schema();
    FieldDefinition logEvent =
        schema
            .getType("Mutation", ObjectTypeDefinition.class)
            .orElseThrow()
            .getFieldDefinitions()
            .stream()
            .filter(field -> field.getName().equals("logEvent"))
            .findFirst()
            .orElseThrow();
    List<String> arguments = names(logEvent.getInputValueDefinitions());
    List<String> eventFields =
        names(
            schema
                .getType("Event", InputObjectTypeDefinition.class)
                .orElseThrow()
                .getInputValueDefinitions());

    assertTrue(arguments.containsAll(INPUT_NAMES), arguments::toString);
    assertTrue(eventFields.containsAll(INPUT_NAMES), eventFields::toString);
  }
}
