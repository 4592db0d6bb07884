package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import graphql.GraphQLError;
import graphql.introspection.IntrospectionQuery;
import graphql.parser.Parser;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OperationLimitsTest {
  private static Optional<GraphQLError> check(OperationLimits limits, String query) {
    return limits.check(Parser.parse(query));
  }

  @Test
  void theClientsMutation_isWellWithinTheDefaults() {
    assertEquals(
        new OperationLimits.Shape(3, 3),
        OperationLimits.shapeOf(Parser.parse(RecordEventIT.MUTATION)));
    assertTrue(check(new OperationLimits(15_000, 3, 3), RecordEventIT.MUTATION).isEmpty());
    assertTrue(check(new OperationLimits(15_000, 2, 3), RecordEventIT.MUTATION).isPresent());
    assertTrue(check(new OperationLimits(15_000, 3, 2), RecordEventIT.MUTATION).isPresent());
  }

  @Test
  void theStandardIntrospectionQuery_fitsTheDefaults() {
    String introspection = IntrospectionQuery.INTROSPECTION_QUERY;

    assertEquals(
        new OperationLimits.Shape(189, 13), OperationLimits.shapeOf(Parser.parse(introspection)));
    assertTrue(check(OperationLimits.DEFAULTS, introspection).isEmpty());
  }

  @Test
  void everyAliasAndEveryUseOfAFragmentCounts() {
    String twice =
        "query { ...t ...t } fragment t on Query { telemetry { __typename } a: __typename }";

    assertTrue(check(new OperationLimits(15_000, 6, 10), twice).isEmpty());
    assertEquals(
        "the query selects 6 fields, more than the 5 allowed (limit set by"
            + " TELEMETRY_GRAPHQL_MAX_FIELDS); every alias and every use of a fragment counts",
        check(new OperationLimits(15_000, 5, 10), twice).orElseThrow().getMessage());
  }

  @Test
  void aCycleOfFragments_endsTheCountAndIsLeftToValidation() {
    String cycle = "query { ...a } fragment a on Query { ...b } fragment b on Query { ...a }";

    assertTrue(check(OperationLimits.DEFAULTS, cycle).isEmpty());
  }
}
