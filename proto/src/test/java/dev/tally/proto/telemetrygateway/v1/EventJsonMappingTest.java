package dev.tally.proto.telemetrygateway.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The canonical JSON of an event is what the gateway publishes and what consumers parse: names in
 * lowerCamelCase, int64 as strings, timestamps in RFC 3339.
 */
class EventJsonMappingTest {

  @Test
  void fullyPopulatedEvent_printsTheContractJsonNames() throws Exception {
    JsonElement actual = JsonParser.parseString(JsonFormat.printer().print(SampleEvents.full()));

    assertEquals(golden("full-event.json"), actual);
  }

  @Test
  void contractJson_parsesBackToTheSameEvent() throws Exception {
    Event.Builder parsed = Event.newBuilder();
    JsonFormat.parser().merge(golden("full-event.json").toString(), parsed);

    assertEquals(SampleEvents.full(), parsed.build());
  }

  static JsonElement golden(String name) throws IOException {
    try (InputStream in = EventJsonMappingTest.class.getResourceAsStream("/json/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource /json/" + name);
      }
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
