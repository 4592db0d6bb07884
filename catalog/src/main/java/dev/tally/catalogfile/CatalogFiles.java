package dev.tally.catalogfile;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.InvalidCatalogException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads catalog files (YAML, or JSON, which YAML reads too) and checks them: against the published
 * JSON Schema ({@link #schema}), then against the rules the schema cannot express ({@link
 * CatalogValidator}).
 */
public final class CatalogFiles {
  /**
   * YAML as a catalog reads it: a key given twice is an error, not the last one silently, and only
   * {@code true} and {@code false} are booleans ({@code off}, a policy mode, stays text, as in YAML
   * 1.2).
   */
  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .enable(
                      YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS,
                      YAMLParser.Feature.EMPTY_STRING_AS_NULL)
                  .build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private CatalogFiles() {}

  /**
   * The catalog a file holds, checked for its shape.
   *
   * @throws InvalidCatalogException listing what is wrong and where
   */
  public static Catalog read(String text) {
    return Catalog.fromJson(values(text));
  }

  /**
   * What a file holds and every problem that keeps it from being applied.
   *
   * @param catalog the catalog, or null when the file could not be read as one
   * @param problems each problem as {@code where: what to fix}; empty when it may be applied
   */
  public record Checked(Catalog catalog, List<String> problems) {
    public Checked {
      problems = List.copyOf(problems);
    }

    public boolean valid() {
      return problems.isEmpty();
    }
  }

  /**
   * Checks a file offline: its shape, and the rules an applied catalog follows, against the
   * versions applied before it (codes of a metadata enum are never reused).
   *
   * @param previous the catalogs applied before, oldest first; empty for none
   */
  public static Checked check(String text, List<Catalog> previous) {
    Object values;
    try {
      values = values(text);
    } catch (InvalidCatalogException e) {
      return new Checked(null, e.problems());
    }
    // The schema's findings, then the rules' on what was read: both name a problem they share
    // in the same words, so that it is reported once.
    Set<String> problems = new LinkedHashSet<>(CatalogSchema.get().problems(tree(values)));
    Catalog catalog;
    try {
      catalog = Catalog.fromJson(values);
    } catch (InvalidCatalogException e) {
      if (problems.isEmpty()) {
        // What the schema cannot say: a whole number written 1.0, a day that no month has.
        problems.addAll(e.problems());
      }
      return new Checked(null, List.copyOf(problems));
    }
    problems.addAll(CatalogValidator.problems(catalog, previous));
    return new Checked(catalog, List.copyOf(problems));
  }

  /** The published JSON Schema of catalog files (draft 2020-12), as its text. */
  public static String schema() {
    return CatalogSchema.get().document().toPrettyString();
  }

  /** Plain JSON values as the schema validator reads them. */
  static JsonNode tree(Object values) {
    return YAML.valueToTree(values);
  }

  /**
   * The file as plain JSON values (maps, lists, strings, numbers, booleans).
   *
   * @throws InvalidCatalogException when it is not YAML or JSON, naming the line
   */
  static Object values(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidCatalogException(List.of("the document is empty"));
    }
    JsonNode document;
    try {
      document = YAML.readTree(text);
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      throw new InvalidCatalogException(
          List.of(
              "the document is not YAML or JSON"
                  + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ")")
                  + ": "
                  + oneLine(e.getOriginalMessage())));
    } catch (IOException e) {
      throw new InvalidCatalogException(
          List.of("the document is not YAML or JSON: " + e.getMessage()));
    }
    if (document == null || document.isMissingNode() || document.isNull()) {
      // Comments only, or a lone null.
      throw new InvalidCatalogException(List.of("the document is empty"));
    }
    try {
      return YAML.treeToValue(document, Object.class);
    } catch (IOException e) {
      throw new IllegalStateException("cannot convert a parsed document to plain values", e);
    }
  }

  /**
   * A parser's message on one line: YAML's quote the lines around the mistake, indented, below what
   * it was doing and what it found.
   */
  private static String oneLine(String message) {
    List<String> lines = new ArrayList<>();
    for (String line : message.split("\\R")) {
      if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
        lines.add(line.strip());
      }
    }
    return String.join(": ", lines);
  }
}
