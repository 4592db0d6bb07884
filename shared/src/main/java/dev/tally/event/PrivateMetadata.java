package dev.tally.event;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns private metadata given as plain Java JSON values into the {@link Struct} of an event, and
 * back.
 */
public final class PrivateMetadata {
  private PrivateMetadata() {}

  /**
   * The Struct for a JSON value: a JSON object becomes the Struct as it is, any other value {@code
   * v} becomes {@code {"value": v}}.
   *
   * @param json a {@link Map} with string keys, {@link List}, {@link String}, {@link Number},
   *     {@link Boolean} or {@code null}, nested freely
   * @throws InvalidEventException when the value holds something that is not JSON
   */
  public static Struct toStruct(Object json) {
    Value value = toValue(json, "privateMetadata");
    if (value.hasStructValue()) {
      return value.getStructValue();
    }
    return Struct.newBuilder().putFields("value", value).build();
  }

  private static Value toValue(Object json, String path) {
    if (json == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (json instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
    if (json instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    if (json instanceof Number n) {
      double d = n.doubleValue();
      if (!Double.isFinite(d)) {
        throw new InvalidEventException(path + " must be a finite number, got " + n);
      }
      return Value.newBuilder().setNumberValue(d).build();
    }
    if (json instanceof Map<?, ?> map) {
      Struct.Builder struct = Struct.newBuilder();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!(entry.getKey() instanceof String key)) {
          throw new InvalidEventException(path + " must have string keys, got " + entry.getKey());
        }
        struct.putFields(key, toValue(entry.getValue(), path + "." + key));
      }
      return Value.newBuilder().setStructValue(struct).build();
    }
    if (json instanceof List<?> list) {
      ListValue.Builder values = ListValue.newBuilder();
      for (int i = 0; i < list.size(); i++) {
        values.addValues(toValue(list.get(i), path + "[" + i + "]"));
      }
      return Value.newBuilder().setListValue(values).build();
    }
    throw new InvalidEventException(
        path + " must be a JSON value, got a " + json.getClass().getSimpleName());
  }

  /**
   * The plain Java JSON value of a Struct: a {@link Map} in field order, with {@link List}, {@link
   * String}, {@link Double}, {@link Boolean} and {@code null} values.
   */
  public static Map<String, Object> toJson(Struct struct) {
    Map<String, Object> fields = new LinkedHashMap<>();
    struct.getFieldsMap().forEach((key, value) -> fields.put(key, toJson(value)));
    return fields;
  }

  private static Object toJson(Value value) {
    return switch (value.getKindCase()) {
      case STRING_VALUE -> value.getStringValue();
      case NUMBER_VALUE -> value.getNumberValue();
      case BOOL_VALUE -> value.getBoolValue();
      case STRUCT_VALUE -> toJson(value.getStructValue());
      case LIST_VALUE -> {
        List<Object> values = new ArrayList<>(value.getListValue().getValuesCount());
        for (Value element : value.getListValue().getValuesList()) {
          values.add(toJson(element));
        }
        yield values;
      }
      case NULL_VALUE, KIND_NOT_SET -> null;
    };
  }
}
