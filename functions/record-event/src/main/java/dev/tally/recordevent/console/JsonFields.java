package dev.tally.recordevent.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An object of a GraphQL answer, read field by field with the type the schema gives it. A field
 * that is missing or of another type is the API's fault, not the user's: an {@link
 * IllegalStateException} that names the field.
 */
final class JsonFields {
  private final Map<?, ?> fields;
  private final String path;

  private JsonFields(Map<?, ?> fields, String path) {
    this.fields = fields;
    this.path = path;
  }

  /** The object {@code value} found at {@code path}. */
  static JsonFields of(Object value, String path) {
    if (value instanceof Map<?, ?> map) {
      return new JsonFields(map, path);
    }
    throw new IllegalStateException(path + " is not an object: " + value);
  }

  String string(String name) {
    if (value(name) instanceof String text) {
      return text;
    }
    throw wrong(name, "a string");
  }

  /** A string, or {@code null}. */
  String optionalString(String name) {
    return value(name) == null ? null : string(name);
  }

  long number(String name) {
    if (value(name) instanceof Number number) {
      return number.longValue();
    }
    throw wrong(name, "a number");
  }

  /** A number, or {@code null}. */
  Long optionalNumber(String name) {
    return value(name) == null ? null : number(name);
  }

  boolean bool(String name) {
    if (value(name) instanceof Boolean flag) {
      return flag;
    }
    throw wrong(name, "a boolean");
  }

  JsonFields object(String name) {
    return of(value(name), path + "." + name);
  }

  /** A JSON object as it is; {@code null} when the field is null. */
  Map<?, ?> json(String name) {
    Object value = value(name);
    if (value == null || value instanceof Map<?, ?>) {
      return (Map<?, ?>) value;
    }
    throw wrong(name, "a JSON object");
  }

  List<JsonFields> objects(String name) {
    List<JsonFields> objects = new ArrayList<>();
    for (Object item : list(name)) {
      objects.add(of(item, path + "." + name + "[" + objects.size() + "]"));
    }
    return objects;
  }

  List<String> strings(String name) {
    List<String> strings = new ArrayList<>();
    for (Object item : list(name)) {
      if (!(item instanceof String text)) {
        throw wrong(name, "a list of strings");
      }
      strings.add(text);
    }
    return strings;
  }

  List<Long> numbers(String name) {
    List<Long> numbers = new ArrayList<>();
    for (Object item : list(name)) {
      if (!(item instanceof Number number)) {
        throw wrong(name, "a list of numbers");
      }
      numbers.add(number.longValue());
    }
    return numbers;
  }

  private List<?> list(String name) {
    if (value(name) instanceof List<?> list) {
      return list;
    }
    throw wrong(name, "a list");
  }

  private Object value(String name) {
    return fields.get(name);
  }

  private IllegalStateException wrong(String name, String expected) {
    return new IllegalStateException(
        path + "." + name + " is not " + expected + ": " + value(name));
  }
}
