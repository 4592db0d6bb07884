package dev.tally.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void read_givesPlainJavaValuesInDocumentOrder() throws IOException {
    Object value =
        Json.read(
            "{\"b\":1,\"a\":[12345678901,1.5,\"s\",true,null],\"c\":{\"d\":99999999999999999999}}");

    Map<?, ?> object = assertInstanceOf(Map.class, value);
    assertEquals(List.of("b", "a", "c"), List.copyOf(object.keySet()));
    assertEquals(1, object.get("b"));
    assertEquals(Arrays.asList(12345678901L, 1.5, "s", true, null), object.get("a"));
    assertEquals(
        Map.of("d", new BigInteger("99999999999999999999")), object.get("c"), "big integers keep");
  }

  @Test
  void read_keepsTheLastOfARepeatedKey() throws IOException {
    assertEquals(Map.of("a", 2), Json.read("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void read_namesWhereTheTextIsBroken() {
    JsonProcessingException e =
        assertThrows(JsonProcessingException.class, () -> Json.read("{\"a\":\n[1,}"));
    assertEquals(2, e.getLocation().getLineNr());
  }

  @Test
  void read_ofAnEmptyTextFails() {
    assertThrows(IOException.class, () -> Json.read(""));
  }

  @Test
  void read_ofNullIsNull() throws IOException {
    assertNull(Json.read("null"));
  }

  @Test
  void write_keepsNullsAndWritesOtherTypesAsText() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("data", null);
    value.put("n", 1.0);
    value.put("took", Duration.ofSeconds(3));
    value.put("list", List.of(1, "x", Map.of("k", false)));

    assertEquals(
        "{\"data\":null,\"n\":1.0,\"took\":\"PT3S\",\"list\":[1,\"x\",{\"k\":false}]}",
        Json.write(value));
  }

  @Test
  void write_toAStreamWritesUtf8() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Json.write(Map.of("q", "naïve \"quoted\""), out);
    assertEquals("{\"q\":\"naïve \\\"quoted\\\"\"}", out.toString(StandardCharsets.UTF_8));
  }
}
