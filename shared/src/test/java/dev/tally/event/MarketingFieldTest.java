package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class MarketingFieldTest {
  /** The wire contract's names of each field, written out: the one place a test spells them. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "URL               | 1 | url             | url               | url             | 8192",
        "FIRST_SOURCE_URL  | 2 | firstSourceURL  | first_source_url  | firstSourceUrl  | 8192",
        "COHORT_ID         | 3 | cohortID        | cohort_id         | cohortId        | 256",
        "REFERRER          | 4 | referrer        | referrer          | referrer        | 8192",
        "LAST_SOURCE_URL   | 5 | lastSourceURL   | last_source_url   | lastSourceUrl   | 8192",
        "DEVICE_SESSION_ID | 6 | deviceSessionID | device_session_id | deviceSessionId | 256",
        "SESSION_REFERRER  | 7 | sessionReferrer | session_referrer  | sessionReferrer | 8192",
        "SESSION_FIRST_URL | 8 | sessionFirstURL | session_first_url | sessionFirstUrl | 8192",
      })
  void eachField_hasTheNamesAndBoundOfTheWireContract(
      MarketingField field,
      int number,
      String inputName,
      String column,
      String jsonName,
      int maxBytes) {
    assertEquals(number, field.descriptor().getNumber());
    assertEquals(inputName, field.inputName());
    assertEquals(column, field.column());
    assertEquals(jsonName, field.jsonName());
    assertEquals(maxBytes, field.maxBytes());
    assertEquals(Optional.of(field), MarketingField.byInputName(inputName));
  }

  @Test
  void everyFieldOfEventMarketingTracking_isOneOfThemInTheOrderOfTheirNumbers() {
    List<FieldDescriptor> declared = EventMarketingTracking.getDescriptor().getFields();

    assertEquals(
        declared, Arrays.stream(MarketingField.values()).map(MarketingField::descriptor).toList());
  }

  @ParameterizedTest
  @EnumSource(MarketingField.class)
  void setAndValueIn_touchTheFieldOfItsNumberOnly(MarketingField field) {
    EventMarketingTracking.Builder builder = EventMarketingTracking.newBuilder();
    field.set(builder, "value of " + field);
    EventMarketingTracking tracking = builder.build();

    assertEquals(Map.of(field.descriptor(), "value of " + field), tracking.getAllFields());
    assertEquals("value of " + field, field.valueIn(tracking));
    for (MarketingField other : MarketingField.values()) {
      if (other != field) {
        assertNull(other.valueIn(tracking), other + " is not set");
      }
    }
    EventMarketingTracking.Builder empty = EventMarketingTracking.newBuilder();
    field.set(empty, "");
    assertEquals("", field.valueIn(empty.build()), "set to empty text is not unset");
  }

  @Test
  void tracking_holdsTheValuesThatAreSet() {
    Map<MarketingField, String> values = new EnumMap<>(MarketingField.class);
    values.put(MarketingField.COHORT_ID, "2024-05");
    values.put(MarketingField.REFERRER, null);

    EventMarketingTracking tracking = MarketingField.tracking(values);

    assertEquals(EventMarketingTracking.newBuilder().setCohortId("2024-05").build(), tracking);
  }

  @Test
  void byInputName_ofAnythingElse_isEmpty() {
    assertEquals(Optional.empty(), MarketingField.byInputName("originalReferrer"));
    assertEquals(Optional.empty(), MarketingField.byInputName("first_source_url"));
  }
}
