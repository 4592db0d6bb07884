package dev.tally.catalogfile;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.InvalidCatalogException;
import java.io.IOException;
import java.util.List;

/** Reads catalog files: YAML, or JSON (which YAML reads too). */
public final class CatalogFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

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
    try {
      return new Checked(read(text), List.of());
    } catch (InvalidCatalogException e) {
      return new Checked(null, e.problems());
    }
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
    try {
      return YAML.readValue(text, Object.class);
    } catch (JacksonException e) {
      throw new InvalidCatalogException(
          List.of("the document is not YAML or JSON: " + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new InvalidCatalogException(
          List.of("the document is not YAML or JSON: " + e.getMessage()));
    }
  }
}
