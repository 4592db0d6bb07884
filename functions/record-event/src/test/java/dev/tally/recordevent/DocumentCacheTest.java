package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import graphql.ExecutionInput;
import graphql.GraphqlErrorBuilder;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.language.Document;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DocumentCacheTest {
  private final AtomicInteger parsed = new AtomicInteger();
  private final Function<ExecutionInput, PreparsedDocumentEntry> valid =
      input -> {
        parsed.incrementAndGet();
        return new PreparsedDocumentEntry(Document.newDocument().build());
      };

  private Function<ExecutionInput, PreparsedDocumentEntry> current = valid;
  private final DocumentCache cache = new DocumentCache(input -> current.apply(input));

  private PreparsedDocumentEntry get(
      String query, Function<ExecutionInput, PreparsedDocumentEntry> prepare) throws Exception {
    current = prepare;
    return cache
        .getDocumentAsync(
            ExecutionInput.newExecutionInput().query(query).build(),
            input -> {
              throw new AssertionError("the cache prepares documents itself");
            })
        .get();
  }

  @Test
  void aQuerySentAgainIsNotParsedAgain() throws Exception {
    PreparsedDocumentEntry first = get(RecordEventIT.MUTATION, valid);
    PreparsedDocumentEntry second = get(RecordEventIT.MUTATION, valid);

    assertSame(first, second);
    assertEquals(1, parsed.get());
  }

  @Test
  void invalidQueriesAreParsedEveryTime() throws Exception {
    Function<ExecutionInput, PreparsedDocumentEntry> invalid =
        input -> {
          parsed.incrementAndGet();
          return new PreparsedDocumentEntry(
              GraphqlErrorBuilder.newError().message("Validation error").build());
        };

    get("{ nope }", invalid);
    get("{ nope }", invalid);

    assertEquals(2, parsed.get());
    assertEquals(0, cache.size());
  }

  @Test
  void longQueriesAreNotKept() throws Exception {
    String longQuery = "{ __typename }" + " ".repeat(DocumentCache.MAX_QUERY_CHARS);

    get(longQuery, valid);
    get(longQuery, valid);

    assertEquals(2, parsed.get());
  }

  @Test
  void keepsAtMostItsBoundDroppingTheLeastRecentlyUsed() throws Exception {
    for (int i = 0; i <= DocumentCache.MAX_ENTRIES; i++) {
      get("query Q" + i + " { __typename }", valid);
      get("query Q0 { __typename }", valid); // kept in use
    }

    assertEquals(DocumentCache.MAX_ENTRIES, cache.size());
    int before = parsed.get();
    get("query Q0 { __typename }", valid);
    get("query Q1 { __typename }", valid);
    assertEquals(before + 1, parsed.get(), "Q0 stayed; Q1, the least recently used, left");
  }
}
