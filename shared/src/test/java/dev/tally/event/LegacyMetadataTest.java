package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LegacyMetadataTest {

  @Test
  void merge_movesIntegersIntoMetadataAndClearsTheLegacyMap() {
    Event event =
        Event.newBuilder()
            .setParameters(
                EventParameters.newBuilder()
                    .putLegacyMetadata("count", 3L)
                    .putLegacyMetadata("shared", 1L)
                    .putMetadata("shared", 2.5)
                    .putMetadata("ratio", 0.5))
            .build();

    EventParameters merged = LegacyMetadata.merge(event).getParameters();

    assertEquals(0, merged.getLegacyMetadataCount());
    assertEquals(Map.of("count", 3.0, "shared", 2.5, "ratio", 0.5), merged.getMetadataMap());
  }

  @Test
  void merge_leavesAnEventWithoutLegacyMetadataUntouched() {
    Event event =
        Event.newBuilder().setParameters(EventParameters.newBuilder().putMetadata("a", 1)).build();
    assertSame(event, LegacyMetadata.merge(event));
  }
}
