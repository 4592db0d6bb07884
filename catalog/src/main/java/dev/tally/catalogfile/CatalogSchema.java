package dev.tally.catalogfile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The published JSON Schema of a catalog file ({@value #RESOURCE}, beside this class), and its
 * findings in the words of {@link dev.tally.catalog.Catalog#fromJson}: {@code where: what to fix},
 * where {@code where} names the value as {@code events[3].privateMetadata.query}.
 */
final class CatalogSchema {
  /** The schema's resource name, beside this class. */
  static final String RESOURCE = "catalog.schema.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a conditional requirement ({@code if/then}) of the schema asks for, by its location. */
  private static final Map<String, String> CONDITIONS =
      Map.of(
          "/$defs/entry/allOf/0/then",
          "must be provided when the status is deprecated: the first day (YYYY-MM-DD) the entry"
              + " no longer plans its events",
          "/$defs/privateKey/then",
          "must be provided when export is true: why the key may leave the instance");

  private final JsonNode document;
  private final Schema schema;

  private CatalogSchema() {
    try (InputStream in = CatalogSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      document = JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    schema =
        SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                registry ->
                    registry.schemaRegistryConfig(
                        SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()))
            .getSchema(document);
  }

  /** The schema, read once. */
  static CatalogSchema get() {
    return Holder.SCHEMA;
  }

  private static final class Holder {
    static final CatalogSchema SCHEMA = new CatalogSchema();
  }

  /** The schema itself, as published. */
  JsonNode document() {
    return document;
  }

  /** Every way a parsed file breaks the schema, each once, in the file's order. */
  List<String> problems(JsonNode file) {
    Set<String> problems = new LinkedHashSet<>();
    for (Error error : schema.validate(file)) {
      problems.add(problem(error));
    }
    return new ArrayList<>(problems);
  }

  private String problem(Error error) {
    NodePath at = error.getInstanceLocation();
    String where = where(at, null);
    String rule = error.getSchemaLocation().getFragment().toString();
    JsonNode value = error.getInstanceNode();
    for (Map.Entry<String, String> condition : CONDITIONS.entrySet()) {
      if (rule.startsWith(condition.getKey() + "/")) {
        return switch (error.getKeyword()) {
          case "required" -> where(at, error.getProperty()) + ": " + condition.getValue();
          case "minLength" ->
              where + ": " + condition.getValue().replace("be provided", "not be empty");
          default ->
              where
                  + ": "
                  + condition.getValue()
                  + (value == null || value.isNull() ? "" : ", got " + show(value));
        };
      }
    }
    return switch (error.getKeyword()) {
      case "type" -> where + ": must be " + expected(error) + ", got " + show(value);
      case "required" -> where(at, error.getProperty()) + ": must be provided";
      case "additionalProperties" ->
          (at.getNameCount() == 0 ? "the document" : where)
              + ": has an unknown field '"
              + error.getProperty()
              + "'"
              + known(rule);
      case "enum" -> where + ": must be one of " + choices(error) + ", got " + show(value);
      case "format", "pattern" -> where + ": must be a date (YYYY-MM-DD), got " + show(value);
      case "minimum", "maximum" ->
          where
              + ": must be between -9007199254740991 and 9007199254740991 (what a metadata value"
              + " holds exactly), got "
              + show(value);
      case "minLength" -> where + ": must not be empty";
      default -> where + ": " + error.getMessage();
    };
  }

  /**
   * A value's place as the catalog names it: {@code events[3].privateMetadata.query}, or {@code the
   * document}; with {@code property} appended when given.
   */
  static String where(NodePath path, String property) {
    StringBuilder where = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      if (element instanceof Integer index) {
        where.append('[').append(index).append(']');
      } else {
        if (where.length() > 0) {
          where.append('.');
        }
        where.append(element);
      }
    }
    if (property != null) {
      if (where.length() > 0) {
        where.append('.');
      }
      where.append(property);
    }
    return where.length() == 0 ? "the document" : where.toString();
  }

  /** The fields the object at a schema location knows, as {@code (known: a, b)}. */
  private String known(String additionalPropertiesRule) {
    String parent =
        additionalPropertiesRule.substring(0, additionalPropertiesRule.lastIndexOf('/'));
    JsonNode properties = document.at(parent.isEmpty() ? "/properties" : parent + "/properties");
    if (!properties.isObject()) {
      return "";
    }
    List<String> names = new ArrayList<>();
    properties.fieldNames().forEachRemaining(names::add);
    return " (known: " + String.join(", ", names) + ")";
  }

  /** The schema's choices of an {@code enum}, without {@code null} (an empty value). */
  private static String choices(Error error) {
    JsonNode choices = error.getSchemaNode();
    List<String> names = new ArrayList<>();
    for (Iterator<JsonNode> it = choices.elements(); it.hasNext(); ) {
      JsonNode choice = it.next();
      if (!choice.isNull()) {
        names.add(choice.asText());
      }
    }
    return String.join(", ", names);
  }

  /** What a {@code type} asks for, in the catalog's words; an empty value aside. */
  private static String expected(Error error) {
    JsonNode type = error.getSchemaNode();
    List<String> types = new ArrayList<>();
    if (type.isArray()) {
      type.elements().forEachRemaining(t -> types.add(t.asText()));
    } else {
      types.add(type.asText());
    }
    types.remove("null");
    List<String> words = new ArrayList<>();
    for (String t : types) {
      words.add(
          switch (t) {
            case "string" -> "text";
            case "object" -> "an object (keys and values)";
            case "array" -> "a list";
            case "boolean" -> "true or false";
            case "integer" -> "a whole number";
            case "number" -> "a number";
            default -> t;
          });
    }
    return String.join(" or ", words);
  }

  /** A value as a problem shows it, never more than 80 characters of text. */
  static String show(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return "nothing";
    }
    if (value.isTextual()) {
      String text = value.asText();
      return "'" + (text.length() > 80 ? text.substring(0, 80) + "…" : text) + "'";
    }
    if (value.isObject()) {
      return "an object";
    }
    if (value.isArray()) {
      return "a list";
    }
    return value.toString();
  }
}
