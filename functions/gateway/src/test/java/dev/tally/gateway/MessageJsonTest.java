package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventBillingMetadata;
import dev.tally.proto.telemetrygateway.v1.EventFeatureFlags;
import dev.tally.proto.telemetrygateway.v1.EventInteraction;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.EventSource;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link MessageJson} against protobuf's own JSON printer, on random events and metadata. */
class MessageJsonTest {
  private static final JsonFormat.Printer LIBRARY =
      JsonFormat.printer().omittingInsignificantWhitespace();

  @Test
  void randomEvents_printAsTheLibraryPrintsThem() throws InvalidProtocolBufferException {
    Random random = new Random(20261130);
    int printed = 0;
    for (int i = 0; i < 5_000; i++) {
      Event event = new Events(random).event();
      String expected;
      try {
        expected = LIBRARY.print(event);
      } catch (IllegalArgumentException | InvalidProtocolBufferException refused) {
        assertThrows(IllegalArgumentException.class, () -> print(event), event.toString());
        continue;
      }
      assertEquals(expected, print(event), event.toString());
      printed++;
    }
    // The comparison means something only if most events printed.
    assertTrue(printed > 4_000, "printed: " + printed);
  }

  @Test
  void randomMetadata_printsAsTheLibraryPrintsIt() throws InvalidProtocolBufferException {
    Random random = new Random(20261130);
    for (int i = 0; i < 2_000; i++) {
      Events events = new Events(random);
      RecordEventsRequestMetadata.Builder metadata = RecordEventsRequestMetadata.newBuilder();
      if (events.often()) {
        metadata.setRequestId(events.maybeEmpty());
      }
      switch (random.nextInt(5)) {
        case 0 ->
            metadata.setIdentifier(
                Identifier.newBuilder()
                    .setLicensedInstance(
                        Identifier.LicensedInstanceIdentifier.newBuilder()
                            .setLicenseKey(events.maybeEmpty())
                            .setInstanceId(events.maybeEmpty())
                            .setExternalUrl(events.maybeEmpty())));
        case 1 ->
            metadata.setIdentifier(
                Identifier.newBuilder()
                    .setUnlicensedInstance(
                        Identifier.UnlicensedInstanceIdentifier.newBuilder()
                            .setInstanceId(events.maybeEmpty())
                            .setExternalUrl(events.maybeEmpty())));
        case 2 -> {
          Identifier.ManagedServiceIdentifier.Builder service =
              Identifier.ManagedServiceIdentifier.newBuilder().setServiceId(events.maybeEmpty());
          if (events.often()) {
            service.setServiceEnvironment(events.maybeEmpty());
          }
          metadata.setIdentifier(Identifier.newBuilder().setManagedService(service));
        }
        case 3 -> metadata.setIdentifier(Identifier.getDefaultInstance());
        default -> {
          // no identifier
        }
      }
      RecordEventsRequestMetadata built = metadata.build();
      StringBuilder out = new StringBuilder();
      MessageJson.metadata(built, out);
      assertEquals(LIBRARY.print(built), out.toString(), built.toString());
    }
  }

  @Test
  void edgeCases_printAsTheLibraryPrintsThem() throws InvalidProtocolBufferException {
    Event[] events = {
      Event.getDefaultInstance(),
      Event.newBuilder()
          .setSource(EventSource.getDefaultInstance())
          .setParameters(EventParameters.getDefaultInstance())
          .setUser(EventUser.getDefaultInstance())
          .setFeatureFlags(EventFeatureFlags.getDefaultInstance())
          .setMarketingTracking(EventMarketingTracking.getDefaultInstance())
          .setInteraction(EventInteraction.getDefaultInstance())
          .build(),
      Event.newBuilder()
          .setId("\"\\/\b\f\n\r\t\u0000\u001f\u007f<>&='\u2028\u2029é€😀\ud800")
          .setTimestamp(Timestamp.newBuilder().setSeconds(253402300799L).setNanos(999999999))
          .setUser(EventUser.newBuilder().setUserId(Long.MIN_VALUE).setAnonymousUserId(""))
          .setParameters(
              EventParameters.newBuilder()
                  .setVersion(Integer.MIN_VALUE)
                  .putLegacyMetadata("", Long.MAX_VALUE)
                  .putMetadata("a", -0.0)
                  .putMetadata("b", Double.MIN_VALUE)
                  .putMetadata("c", Double.MAX_VALUE)
                  .putMetadata("d", Double.NaN)
                  .putMetadata("e", Double.NEGATIVE_INFINITY)
                  .putMetadata("f", 1e7)
                  .putMetadata("g", 1e-3))
          .build(),
      Event.newBuilder().setTimestamp(Timestamp.newBuilder().setSeconds(-62135596800L)).build(),
      Event.newBuilder().setTimestamp(Timestamp.newBuilder().setSeconds(0).setNanos(1)).build(),
    };
    for (Event event : events) {
      assertEquals(LIBRARY.print(event), print(event), event.toString());
    }
  }

  @Test
  void unprintableEvents_areRefusedAsTheLibraryRefusesThem() {
    Event invalidTimestamp =
        Event.newBuilder().setTimestamp(Timestamp.newBuilder().setNanos(-1)).build();
    Event nanInStruct =
        Event.newBuilder()
            .setParameters(
                EventParameters.newBuilder()
                    .setPrivateMetadata(
                        Struct.newBuilder()
                            .putFields("x", Value.newBuilder().setNumberValue(Double.NaN).build())))
            .build();

    assertThrows(IllegalArgumentException.class, () -> LIBRARY.print(invalidTimestamp));
    assertThrows(IllegalArgumentException.class, () -> print(invalidTimestamp));
    assertThrows(IllegalArgumentException.class, () -> LIBRARY.print(nanInStruct));
    assertThrows(IllegalArgumentException.class, () -> print(nanInStruct));
  }

  private static String print(Event event) {
    StringBuilder out = new StringBuilder();
    MessageJson.event(event, out);
    return out.toString();
  }

  /** Random events: every field present or not, set to its default or not, odd values often. */
  private static final class Events {
    private static final String CHARS =
        "abcXYZ09 .-_\"\\/<>&='\b\f\n\r\t\u0001\u001f\u007féß€\u2028\u2029";
    private static final double[] NUMBERS = {
      0.0,
      -0.0,
      1.0,
      -1.0,
      12.5,
      1e7,
      1e-3,
      123456789.125,
      1e21,
      1e-7,
      Double.MIN_VALUE,
      Double.MAX_VALUE,
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY
    };

    private final Random random;

    Events(Random random) {
      this.random = random;
    }

    Event event() {
      Event.Builder event = Event.newBuilder();
      if (often()) {
        event.setId(text());
      }
      if (often()) {
        event.setTimestamp(timestamp());
      }
      if (often()) {
        event.setFeature(text());
      }
      if (often()) {
        event.setAction(text());
      }
      if (often()) {
        EventSource.Builder source = EventSource.newBuilder();
        if (often()) {
          source.setServer(EventSource.Server.newBuilder().setVersion(maybeEmpty()));
        }
        if (often()) {
          EventSource.Client.Builder client = EventSource.Client.newBuilder().setName(maybeEmpty());
          if (often()) {
            client.setVersion(maybeEmpty());
          }
          source.setClient(client);
        }
        event.setSource(source);
      }
      if (often()) {
        event.setParameters(parameters());
      }
      if (often()) {
        EventUser.Builder user = EventUser.newBuilder();
        if (often()) {
          user.setUserId(random.nextBoolean() ? random.nextInt(1000) : random.nextLong());
        }
        if (often()) {
          user.setAnonymousUserId(maybeEmpty());
        }
        if (rarely()) {
          user.setSamsExternalId(maybeEmpty());
        }
        event.setUser(user);
      }
      if (often()) {
        EventFeatureFlags.Builder flags = EventFeatureFlags.newBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
          flags.putFlags(text(), random.nextBoolean() ? "true" : maybeEmpty());
        }
        event.setFeatureFlags(flags);
      }
      if (rarely()) {
        EventMarketingTracking.Builder tracking = EventMarketingTracking.newBuilder();
        if (often()) {
          tracking.setUrl(maybeEmpty());
        }
        if (often()) {
          tracking.setFirstSourceUrl(maybeEmpty());
        }
        if (often()) {
          tracking.setCohortId(maybeEmpty());
        }
        if (often()) {
          tracking.setReferrer(maybeEmpty());
        }
        if (often()) {
          tracking.setLastSourceUrl(maybeEmpty());
        }
        if (often()) {
          tracking.setDeviceSessionId(maybeEmpty());
        }
        if (often()) {
          tracking.setSessionReferrer(maybeEmpty());
        }
        if (often()) {
          tracking.setSessionFirstUrl(maybeEmpty());
        }
        event.setMarketingTracking(tracking);
      }
      if (often()) {
        EventInteraction.Builder interaction = EventInteraction.newBuilder();
        if (often()) {
          interaction.setTraceId(maybeEmpty());
        }
        if (often()) {
          interaction.setInteractionId(maybeEmpty());
        }
        if (rarely()) {
          interaction.setGeolocation(
              EventInteraction.Geolocation.newBuilder().setCountryCode(maybeEmpty()));
        }
        event.setInteraction(interaction);
      }
      return event.build();
    }

    private EventParameters parameters() {
      EventParameters.Builder parameters = EventParameters.newBuilder();
      if (often()) {
        parameters.setVersion(random.nextBoolean() ? random.nextInt(3) : random.nextInt());
      }
      for (int i = random.nextInt(3); i > 0; i--) {
        parameters.putLegacyMetadata(text(), random.nextBoolean() ? 1 : random.nextLong());
      }
      for (int i = random.nextInt(5); i > 0; i--) {
        parameters.putMetadata(
            text(),
            random.nextBoolean()
                ? NUMBERS[random.nextInt(NUMBERS.length)]
                : random.nextDouble() * Math.pow(10, random.nextInt(30) - 15));
      }
      if (rarely()) {
        parameters.setPrivateMetadata(struct(2));
      }
      if (often()) {
        parameters.setBillingMetadata(
            EventBillingMetadata.newBuilder().setProduct(maybeEmpty()).setCategory(maybeEmpty()));
      }
      return parameters.build();
    }

    private Struct struct(int depth) {
      Struct.Builder struct = Struct.newBuilder();
      for (int i = random.nextInt(4); i > 0; i--) {
        struct.putFields(text(), value(depth));
      }
      return struct.build();
    }

    private Value value(int depth) {
      return switch (random.nextInt(depth > 0 ? 6 : 4)) {
        case 0 -> Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
        case 1 -> Value.newBuilder().setNumberValue(random.nextInt(1000) / 8.0).build();
        case 2 -> Value.newBuilder().setStringValue(text()).build();
        case 3 -> Value.newBuilder().setBoolValue(random.nextBoolean()).build();
        case 4 -> Value.newBuilder().setStructValue(struct(depth - 1)).build();
        default ->
            Value.newBuilder()
                .setListValue(ListValue.newBuilder().addValues(value(depth - 1)))
                .build();
      };
    }

    /** Mostly now, sometimes anywhere in or just outside the valid range, with any precision. */
    private Timestamp timestamp() {
      long seconds =
          switch (random.nextInt(5)) {
            case 0 -> -62135596800L + random.nextInt(1000);
            case 1 -> 253402300799L - random.nextInt(1000);
            case 2 -> random.nextLong() % 253402300799L;
            default -> 1764500000L + random.nextInt(100_000_000);
          };
      int nanos =
          switch (random.nextInt(5)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            case 3 -> random.nextInt(1_000_000_000);
            default -> rarely() ? -1 : random.nextInt(1_000_000_000);
          };
      return Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build();
    }

    private String text() {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(12); i > 0; i--) {
        text.append(CHARS.charAt(random.nextInt(CHARS.length())));
      }
      if (rarely()) {
        text.appendCodePoint(0x1F600);
      }
      return text.toString();
    }

    String maybeEmpty() {
      return random.nextInt(5) == 0 ? "" : text();
    }

    boolean often() {
      return random.nextInt(4) != 0;
    }

    private boolean rarely() {
      return random.nextInt(8) == 0;
    }
  }
}
