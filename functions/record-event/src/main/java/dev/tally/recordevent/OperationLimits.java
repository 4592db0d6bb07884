package dev.tally.recordevent;

import dev.tally.config.Env;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.parser.ParserOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Bounds on the shape of a GraphQL document, checked before it is validated or executed, so that an
 * expensive query is refused at the cost of reading it once: parser tokens (the parser stops at the
 * bound), and the fields it selects and how deep, with every alias and every use of a fragment
 * counted.
 *
 * <p>The shape is measured once per distinct document, before validation, and the verdict is cached
 * with it ({@link DocumentCache}). graphql-java's {@code MaxQueryDepthInstrumentation} and {@code
 * MaxQueryComplexityInstrumentation} measure after validation, on every execution: with both,
 * executing the clients' mutation with 10 events took 34 µs instead of 16 µs (measured on this
 * project's machine), a cost on the hot path that this check does not have. Counting every use of a
 * fragment is conservative: graphql-java merges repeated fields of the same name, so a few such
 * queries do less work than they are counted for; no client sends them.
 *
 * @param maxTokens grammar tokens of a document ({@value #MAX_TOKENS})
 * @param maxFields fields a document selects ({@value #MAX_FIELDS})
 * @param maxDepth fields nested in one another ({@value #MAX_DEPTH})
 */
record OperationLimits(int maxTokens, int maxFields, int maxDepth) {
  static final String MAX_TOKENS = "TELEMETRY_GRAPHQL_MAX_TOKENS";
  static final String MAX_FIELDS = "TELEMETRY_GRAPHQL_MAX_FIELDS";
  static final String MAX_DEPTH = "TELEMETRY_GRAPHQL_MAX_DEPTH";

  /**
   * 15,000 tokens (graphql-java's own bound, enough for 300 events written inline in the query),
   * 250 fields and 15 levels (the standard introspection query takes 189 fields 13 levels deep; the
   * clients' mutation, 3 and 3).
   */
  static final OperationLimits DEFAULTS = new OperationLimits(15_000, 250, 15);

  static OperationLimits fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    return new OperationLimits(
        env.integer(MAX_TOKENS, DEFAULTS.maxTokens(), 100, 1_000_000),
        env.integer(MAX_FIELDS, DEFAULTS.maxFields(), 3, 100_000),
        env.integer(MAX_DEPTH, DEFAULTS.maxDepth(), 3, 100));
  }

  /** The parser's options: graphql-java's, with this token bound. */
  ParserOptions parserOptions() {
    return ParserOptions.getDefaultOperationParserOptions()
        .transform(options -> options.maxTokens(maxTokens));
  }

  /** The error for a document the parser stopped reading at the token bound. */
  GraphQLError tooManyTokens() {
    return error(
        "the query has more than "
            + maxTokens
            + " tokens (limit set by "
            + MAX_TOKENS
            + "); pass events as variables instead of writing them into the query");
  }

  /** Why the document is refused, if it is. */
  Optional<GraphQLError> check(Document document) {
    Shape shape = shapeOf(document);
    if (shape.fields() > maxFields) {
      return Optional.of(
          error(
              "the query selects "
                  + (shape.fields() >= Walk.CAP ? "too many" : String.valueOf(shape.fields()))
                  + " fields, more than the "
                  + maxFields
                  + " allowed (limit set by "
                  + MAX_FIELDS
                  + "); every alias and every use of a fragment counts"));
    }
    if (shape.depth() > maxDepth) {
      return Optional.of(
          error(
              "the query nests fields "
                  + shape.depth()
                  + " levels deep, more than the "
                  + maxDepth
                  + " allowed (limit set by "
                  + MAX_DEPTH
                  + ")"));
    }
    return Optional.empty();
  }

  private static GraphQLError error(String message) {
    return GraphqlErrorBuilder.newError()
        .message(message)
        .extensions(Map.of("code", "QUERY_TOO_COMPLEX"))
        .build();
  }

  /** How many fields a document selects, and how deep. */
  record Shape(long fields, int depth) {}

  static Shape shapeOf(Document document) {
    return new Walk(document).shape();
  }

  /**
   * Counts every operation of a document, expanding fragments where they are used; a fragment is
   * measured once. A cycle of fragments (which validation refuses afterwards) counts no further.
   */
  private static final class Walk {
    /** Counts saturate here: fragments that spread each other can multiply without end. */
    static final long CAP = 1L << 40;

    private final Map<String, FragmentDefinition> fragments = new HashMap<>();
    private final Map<String, Shape> measured = new HashMap<>();
    private final Set<String> measuring = new HashSet<>();
    private final Document document;

    Walk(Document document) {
      this.document = document;
      for (FragmentDefinition fragment : document.getDefinitionsOfType(FragmentDefinition.class)) {
        fragments.putIfAbsent(fragment.getName(), fragment);
      }
    }

    Shape shape() {
      long fields = 0;
      int depth = 0;
      for (OperationDefinition operation :
          document.getDefinitionsOfType(OperationDefinition.class)) {
        Shape shape = of(operation.getSelectionSet());
        fields = add(fields, shape.fields());
        depth = Math.max(depth, shape.depth());
      }
      return new Shape(fields, depth);
    }

    private Shape of(SelectionSet set) {
      if (set == null) {
        return new Shape(0, 0);
      }
      long fields = 0;
      int depth = 0;
      for (Selection<?> selection : set.getSelections()) {
        if (selection instanceof Field field) {
          Shape below = of(field.getSelectionSet());
          fields = add(fields, add(1, below.fields()));
          depth = Math.max(depth, 1 + below.depth());
        } else if (selection instanceof InlineFragment inline) {
          Shape inside = of(inline.getSelectionSet());
          fields = add(fields, inside.fields());
          depth = Math.max(depth, inside.depth());
        } else if (selection instanceof FragmentSpread spread) {
          Shape inside = fragment(spread.getName());
          fields = add(fields, inside.fields());
          depth = Math.max(depth, inside.depth());
        }
      }
      return new Shape(fields, depth);
    }

    private Shape fragment(String name) {
      Shape known = measured.get(name);
      if (known != null) {
        return known;
      }
      FragmentDefinition fragment = fragments.get(name);
      if (fragment == null || !measuring.add(name)) {
        return new Shape(0, 0);
      }
      Shape shape = of(fragment.getSelectionSet());
      measuring.remove(name);
      measured.put(name, shape);
      return shape;
    }

    private static long add(long a, long b) {
      return Math.min(CAP, a + b);
    }
  }
}
