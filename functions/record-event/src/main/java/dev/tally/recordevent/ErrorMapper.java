package dev.tally.recordevent;

import dev.tally.catalog.InvalidCatalogException;
import dev.tally.event.InvalidEventException;
import dev.tally.event.LimitExceededException;
import dev.tally.log.JsonLog;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.store.StoreException;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerParameters;
import graphql.execution.DataFetcherExceptionHandlerResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Turns resolver exceptions into GraphQL errors that say what to fix, and notes on the request how
 * severe each was.
 */
final class ErrorMapper implements DataFetcherExceptionHandler {
  @Override
  public CompletableFuture<DataFetcherExceptionHandlerResult> handleException(
      DataFetcherExceptionHandlerParameters parameters) {
    Throwable exception = parameters.getException();
    RequestState state =
        parameters.getDataFetchingEnvironment().getGraphQlContext().get(RequestState.class);
    Failure failure =
        exception instanceof StoreException store ? operationFailure(store) : failure(exception);
    state.failed(failure.status(), failure.outcome());
    if (exception instanceof RateLimitedException limited) {
      state.retryAfter(limited.retryAfterSeconds());
    }
    Map<String, Object> extensions = new LinkedHashMap<>();
    extensions.put("code", failure.code());
    if (exception instanceof InvalidCatalogException invalid) {
      // Each problem on its own, as where: what to fix, for a CI job to print.
      extensions.put("problems", invalid.problems());
    }
    GraphQLError error =
        GraphqlErrorBuilder.newError(parameters.getDataFetchingEnvironment())
            .message(failure.message())
            .extensions(extensions)
            .build();
    return CompletableFuture.completedFuture(
        DataFetcherExceptionHandlerResult.newResult().error(error).build());
  }

  /**
   * What a failure means for the caller: the error's message and code, and the HTTP status and log
   * outcome of the request.
   */
  record Failure(String message, String code, int status, String outcome) {}

  static Failure failure(Throwable exception) {
    if (exception instanceof InvalidEventException) {
      return new Failure(exception.getMessage(), "INVALID_EVENT", 200, "invalid");
    }
    if (exception instanceof InvalidCatalogException) {
      return new Failure(
          "the catalog file cannot be applied: " + exception.getMessage(),
          "INVALID_CATALOG",
          200,
          "invalid");
    }
    if (exception instanceof LimitExceededException limit) {
      return new Failure(
          limit.setting() == null
              ? limit.getMessage()
              : limit.getMessage() + " (limit set by " + limit.setting() + ")",
          "LIMIT_EXCEEDED",
          413,
          "too_large");
    }
    if (exception instanceof RateLimitedException) {
      return new Failure(exception.getMessage(), "RATE_LIMITED", 429, "rate_limited");
    }
    if (exception instanceof NotPermittedException) {
      return new Failure(exception.getMessage(), "FORBIDDEN", 200, "forbidden");
    }
    if (exception instanceof NotSignedInException) {
      return new Failure(exception.getMessage(), "UNAUTHENTICATED", 200, "unauthenticated");
    }
    if (exception instanceof IllegalArgumentException) {
      return new Failure(exception.getMessage(), "BAD_ARGUMENT", 200, "invalid");
    }
    if (exception instanceof StoreException store) {
      return storeFailure(store);
    }
    JsonLog.error("unexpected error in a resolver", exception, Map.of());
    return new Failure("internal error; nothing was recorded", "INTERNAL", 500, "error");
  }

  /**
   * A database failure of a field that reads or changes what the instance holds (the usage report,
   * an erasure, the export switch): not a recording, so the answer names what failed, never
   * "nothing was recorded". A refused value here is one the instance already holds, so it is the
   * instance's fault, not the caller's.
   */
  static Failure operationFailure(StoreException e) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("sqlState", String.valueOf(e.sqlState()));
    fields.put("operation", e.operation());
    String sqlState = " (SQLState " + e.sqlState() + ")";
    return switch (e.kind()) {
      case UNAVAILABLE -> {
        JsonLog.error("database unavailable", e, fields);
        yield new Failure(
            "the instance database is unavailable: could not " + e.operation() + "; retry later",
            "UNAVAILABLE",
            503,
            "unavailable");
      }
      case REFUSED_DATA -> {
        JsonLog.error("the database refused a stored value: " + e.getMessage(), null, fields);
        yield new Failure(
            "internal error: could not "
                + e.operation()
                + ": the database refused a value"
                + sqlState,
            "INTERNAL",
            500,
            "error");
      }
      case FAILED -> {
        JsonLog.error("database operation failed", e, fields);
        yield new Failure(
            "internal error: could not " + e.operation() + sqlState, "INTERNAL", 500, "error");
      }
    };
  }

  /**
   * A database failure of a request that records events: an outage is 503, a refused value the
   * caller's, anything else ours.
   */
  static Failure storeFailure(StoreException e) {
    Map<String, Object> fields = Map.of("sqlState", String.valueOf(e.sqlState()));
    return switch (e.kind()) {
      case UNAVAILABLE -> {
        JsonLog.error("database unavailable", e, fields);
        yield new Failure(
            "the instance database is unavailable and nothing was recorded; retry later",
            "UNAVAILABLE",
            503,
            "unavailable");
      }
      case REFUSED_DATA -> {
        JsonLog.warning("the database refused a value: " + e.getMessage(), fields);
        yield new Failure(
            "the database refused a value of these events (SQLState "
                + e.sqlState()
                + "), so nothing was recorded; sending them again will fail the same way",
            "INVALID_EVENT",
            200,
            "invalid");
      }
      case FAILED -> {
        JsonLog.error("database operation failed", e, fields);
        yield new Failure(
            "internal error: a database operation failed (SQLState "
                + e.sqlState()
                + "); nothing was recorded",
            "INTERNAL",
            500,
            "error");
      }
    };
  }
}
