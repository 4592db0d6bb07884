package dev.tally.recordevent;

import graphql.ExecutionInput;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.execution.preparsed.PreparsedDocumentProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Prepared documents by their text: clients send the same few queries, which then skip parsing,
 * checks and validation. Only documents ready to run of at most {@value #MAX_QUERY_CHARS}
 * characters are kept, at most {@value #MAX_ENTRIES} of them, the least recently used leaving
 * first.
 */
final class DocumentCache implements PreparsedDocumentProvider {
  static final int MAX_ENTRIES = 128;
  static final int MAX_QUERY_CHARS = 4096;

  private final Function<ExecutionInput, PreparsedDocumentEntry> prepare;
  private final Map<String, PreparsedDocumentEntry> entries =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PreparsedDocumentEntry> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  /**
   * @param prepare parses, checks and validates a document the cache does not hold; used instead of
   *     graphql-java's own parsing, which has no place for the {@link OperationLimits}
   */
  DocumentCache(Function<ExecutionInput, PreparsedDocumentEntry> prepare) {
    this.prepare = prepare;
  }

  @Override
  public CompletableFuture<PreparsedDocumentEntry> getDocumentAsync(
      ExecutionInput input, Function<ExecutionInput, PreparsedDocumentEntry> parseAndValidate) {
    String query = input.getQuery();
    PreparsedDocumentEntry entry;
    synchronized (entries) {
      entry = entries.get(query);
    }
    if (entry == null) {
      entry = prepare.apply(input);
      if (!entry.hasErrors() && query.length() <= MAX_QUERY_CHARS) {
        synchronized (entries) {
          entries.put(query, entry);
        }
      }
    }
    return CompletableFuture.completedFuture(entry);
  }

  int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
