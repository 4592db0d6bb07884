package dev.tally.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Reads and writes JSON as plain Java values with jackson-jr: the same parser and generator as
 * Jackson's databind, without its object mapping, which costs a function a few hundred milliseconds
 * of class loading at cold start.
 *
 * <p>Objects read as {@link java.util.LinkedHashMap} in document order (a repeated key keeps its
 * last value), arrays as {@link java.util.ArrayList}, integers as {@link Integer}, {@link Long} or
 * {@link java.math.BigInteger} by size, other numbers as {@link Double}. Written maps keep their
 * {@code null} values; a value that is not a map, collection, array, string, number or boolean is
 * written as its {@code toString()}.
 */
public final class Json {
  private static final JSON TEXT =
      JSON.std
          .with(JSON.Feature.WRITE_NULL_PROPERTIES)
          .without(
              JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS,
              JSON.Feature.USE_DEFERRED_MAPS,
              JSON.Feature.HANDLE_JAVA_BEANS);

  private static final JSON INDENTED = TEXT.with(JSON.Feature.PRETTY_PRINT_OUTPUT);

  private Json() {}

  /** The JSON value in {@code text}; its parse errors name the line and column. */
  public static Object read(byte[] text) throws IOException {
    return TEXT.anyFrom(text);
  }

  /** The JSON value in {@code text}. */
  public static Object read(String text) throws IOException {
    return TEXT.anyFrom(text);
  }

  /**
   * The one JSON value {@code text} holds, refusing anything after it but whitespace ({@link
   * #read(String)} stops after the first value): for JSON a client sent as text.
   *
   * @throws IOException saying what is wrong and where, when {@code text} is not one JSON value
   */
  public static Object readOne(String text) throws IOException {
    try (JsonParser parser = TEXT.createParser(text)) {
      Object value = TEXT.anyFrom(parser);
      if (parser.nextToken() != null) {
        throw new JsonParseException(parser, "unexpected text after the JSON value");
      }
      return value;
    }
  }

  /** The JSON text of {@code value}. */
  public static String write(Object value) {
    try {
      return TEXT.asString(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a value as JSON", e);
    }
  }

  /** The JSON text of {@code value}, indented for people to read. */
  public static String writeIndented(Object value) {
    try {
      return INDENTED.asString(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a value as JSON", e);
    }
  }

  /** Writes the JSON text of {@code value} to {@code out} and closes it. */
  public static void write(Object value, OutputStream out) throws IOException {
    TEXT.write(value, out);
  }
}
