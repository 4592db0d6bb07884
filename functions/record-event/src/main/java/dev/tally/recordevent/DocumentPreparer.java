package dev.tally.recordevent;

import graphql.ExecutionInput;
import graphql.ParseAndValidate;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.language.Document;
import graphql.parser.InvalidSyntaxException;
import graphql.parser.Parser;
import graphql.parser.ParserEnvironment;
import graphql.parser.ParserOptions;
import graphql.parser.exceptions.ParseCancelledException;
import graphql.schema.GraphQLSchema;
import graphql.validation.ValidationError;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Makes a request's document ready to run, or says why it cannot: parses it within the token bound,
 * refuses a shape over the {@link OperationLimits} before validating it, then validates it against
 * the schema.
 */
final class DocumentPreparer implements Function<ExecutionInput, PreparsedDocumentEntry> {
  private final GraphQLSchema schema;
  private final OperationLimits limits;
  private final ParserOptions parserOptions;

  DocumentPreparer(GraphQLSchema schema, OperationLimits limits) {
    this.schema = schema;
    this.limits = limits;
    this.parserOptions = limits.parserOptions();
  }

  @Override
  public PreparsedDocumentEntry apply(ExecutionInput input) {
    Locale locale = input.getLocale() == null ? Locale.ENGLISH : input.getLocale();
    Document document;
    try {
      document =
          new Parser()
              .parseDocument(
                  ParserEnvironment.newParserEnvironment()
                      .document(input.getQuery())
                      .parserOptions(parserOptions)
                      .locale(locale)
                      .build());
    } catch (ParseCancelledException e) {
      return new PreparsedDocumentEntry(limits.tooManyTokens());
    } catch (InvalidSyntaxException e) {
      return new PreparsedDocumentEntry(e.toInvalidSyntaxError());
    }
    var refused = limits.check(document);
    if (refused.isPresent()) {
      return new PreparsedDocumentEntry(refused.get());
    }
    List<ValidationError> errors = ParseAndValidate.validate(schema, document, locale);
    return errors.isEmpty()
        ? new PreparsedDocumentEntry(document)
        : new PreparsedDocumentEntry(errors);
  }
}
