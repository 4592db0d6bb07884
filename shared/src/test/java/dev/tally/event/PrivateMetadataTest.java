package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Struct;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrivateMetadataTest {

  @Test
  void toJson_givesBackWhatToStructTook_withNumbersAsDoubles() {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("flag", true);
    nested.put("missing", null);
    nested.put("items", Arrays.asList("a", 2, null, List.of()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("query", "repo:secret");
    json.put("count", 3);
    json.put("nested", nested);

    Map<String, Object> back = PrivateMetadata.toJson(PrivateMetadata.toStruct(json));

    Map<String, Object> expectedNested = new LinkedHashMap<>();
    expectedNested.put("flag", true);
    expectedNested.put("missing", null);
    expectedNested.put("items", Arrays.asList("a", 2.0, null, List.of()));
    assertEquals(
        Map.of("query", "repo:secret", "count", 3.0, "nested", expectedNested),
        back,
        "JSON numbers are doubles in a Struct");
  }

  @Test
  void toStruct_wrapsAValueThatIsNotAnObject() {
    Struct struct = PrivateMetadata.toStruct(List.of("x"));
    assertEquals(Map.of("value", List.of("x")), PrivateMetadata.toJson(struct));
  }

  @Test
  void toStruct_refusesNonFiniteNumbersNamingWhere() {
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> PrivateMetadata.toStruct(Map.of("a", List.of(Double.NaN))));
    assertEquals("privateMetadata.a[0] must be a finite number, got NaN", e.getMessage());
  }
}
