package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventLimitsTest {
  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private final EventBuilder builder = new EventBuilder(new MutableClock(NOW), "1.0.0");
  private final EventLimits limits = EventLimits.DEFAULTS;

  private Event event(Instant timestamp, Map<String, ?> metadata, Object privateMetadata) {
    return builder.build(
        new EventInput(
            "limits.test",
            "checked",
            timestamp,
            new EventInput.Client("web", "1.0"),
            new EventInput.Parameters(1, metadata, privateMetadata, null, null),
            null),
        EventContext.of(Actor.anonymous("visitor")));
  }

  private Event withClient(String client) {
    return builder.build(
        new EventInput(
            "limits.test",
            "checked",
            null,
            new EventInput.Client(client, null),
            EventInput.Parameters.of(1, Map.of()),
            null),
        EventContext.of(Actor.unknown()));
  }

  /** Private metadata nested {@code depth} objects deep, the outermost one included. */
  private static Map<String, Object> nested(int depth) {
    Map<String, Object> inner = new LinkedHashMap<>(Map.of("leaf", "value"));
    for (int level = depth; level > 1; level--) {
      inner = new LinkedHashMap<>(Map.of("level" + level, inner));
    }
    return inner;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "a NUL | a\u0000b | 'source.client' must not contain NUL characters (U+0000)",
        "a lone high surrogate | a\ud800b | 'source.client' must be valid Unicode text, but"
            + " character 1 is an unpaired surrogate (U+D800)",
        "a lone low surrogate | \udc00 | 'source.client' must be valid Unicode text, but"
            + " character 0 is an unpaired surrogate (U+DC00)",
      })
  void textThatCannotBeStored_isRefusedNamingTheField(String what, String client, String message) {
    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> limits.check(withClient(client), NOW));

    assertEquals(message, e.getMessage());
  }

  @Test
  void surrogatePairs_areText() {
    assertDoesNotThrow(() -> limits.check(withClient("emoji \ud83d\ude00 client"), NOW));
  }

  @Test
  void nulInPrivateMetadata_isRefusedInKeysAndValuesAtAnyDepth() {
    InvalidEventException inValue =
        assertThrows(
            InvalidEventException.class,
            () ->
                limits.check(
                    event(null, Map.of(), Map.of("outer", List.of("ok", "x\u0000"))), NOW));
    InvalidEventException inKey =
        assertThrows(
            InvalidEventException.class,
            () -> limits.check(event(null, Map.of(), Map.of("outer", Map.of("k\u0000", 1))), NOW));
    InvalidEventException inMetadataKey =
        assertThrows(
            InvalidEventException.class,
            () -> limits.check(event(null, Map.of("k\u0000", 1), null), NOW));

    assertEquals(
        "'privateMetadata.outer[1]' must not contain NUL characters (U+0000)",
        inValue.getMessage());
    assertEquals(
        "a key of 'privateMetadata.outer' must not contain NUL characters (U+0000)",
        inKey.getMessage());
    assertEquals(
        "metadata key 'k\\u0000' must not contain NUL characters (U+0000)",
        inMetadataKey.getMessage());
  }

  @Test
  void nulInMarketingTracking_isRefusedNamingTheField() {
    Event event =
        event(null, Map.of(), null).toBuilder()
            .setMarketingTracking(EventMarketingTracking.newBuilder().setReferrer("x\u0000"))
            .build();

    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> limits.check(event, NOW));

    assertEquals(
        "'marketingTracking.referrer' must not contain NUL characters (U+0000)", e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "year 1, 0001-01-01T00:00:00Z, false",
    "year 9999, 9999-12-31T23:59:59Z, false",
    "91 days ago, 2026-08-31T11:59:59Z, false",
    "89 days ago (an IDE offline for weeks), 2026-09-02T12:00:00Z, true",
    "23 hours ahead (a fast clock), 2026-12-01T11:00:00Z, true",
    "25 hours ahead, 2026-12-01T13:00:00Z, false",
  })
  void clientTimestamps_mustLieInTheWindow(String what, Instant timestamp, boolean accepted) {
    Event event = event(timestamp, Map.of(), null);

    if (accepted) {
      assertDoesNotThrow(() -> limits.check(event, NOW));
    } else {
      InvalidEventException e =
          assertThrows(InvalidEventException.class, () -> limits.check(event, NOW));
      assertEquals(
          "'timestamp' must lie between 90 days before and 1 day after the server's time"
              + " (2026-11-30T12:00:00Z), got "
              + timestamp
              + " (window set by TELEMETRY_TIMESTAMP_MAX_PAST and TELEMETRY_TIMESTAMP_MAX_FUTURE)",
          e.getMessage());
    }
  }

  @Test
  void privateMetadataDepth_isBoundedAndTheBoundIsNamed() {
    assertDoesNotThrow(() -> limits.check(event(null, Map.of(), nested(10)), NOW));

    LimitExceededException e =
        assertThrows(
            LimitExceededException.class,
            () -> limits.check(event(null, Map.of(), nested(11)), NOW));

    assertEquals(EventLimits.MAX_PRIVATE_METADATA_DEPTH, e.setting());
    assertTrue(
        e.getMessage().startsWith("private metadata may nest objects and lists at most 10 levels"),
        e.getMessage());
  }

  @Test
  void listsCountAsLevelsToo() {
    Object deepList = "leaf";
    for (int i = 0; i < 10; i++) {
      deepList = List.of(deepList);
    }
    Object tooDeep = deepList;

    assertThrows(
        LimitExceededException.class,
        () -> limits.check(event(null, Map.of(), Map.of("list", tooDeep)), NOW));
  }

  @Test
  void theDeepestPrivateMetadataAnySettingAllows_stillParsesInAGatewayRequest() throws Exception {
    EventLimits deepest =
        new EventLimits(
            EventLimits.EVENT_BYTES_CEILING,
            EventLimits.EVENT_BYTES_CEILING,
            100,
            EventLimits.KEY_BYTES_CEILING,
            EventLimits.DEPTH_CEILING,
            1000,
            Duration.ofDays(1),
            Duration.ofDays(1));
    Event event = event(null, Map.of(), nested(EventLimits.DEPTH_CEILING));
    deepest.check(event, NOW);
    byte[] request =
        RecordEventsRequest.newBuilder()
            .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addEvents(event))
            .build()
            .toByteArray();

    // protobuf's default recursion limit is what the gateway's gRPC parser applies.
    assertEquals(event, RecordEventsRequest.parseFrom(request).getEvents().getEvents(0));
  }

  @Test
  void metadataKeys_areBoundedInNumberAndLength() {
    Map<String, Object> many = new LinkedHashMap<>();
    for (int i = 0; i < 101; i++) {
      many.put("key" + i, i);
    }
    LimitExceededException tooMany =
        assertThrows(
            LimitExceededException.class, () -> limits.check(event(null, many, null), NOW));
    LimitExceededException tooLong =
        assertThrows(
            LimitExceededException.class,
            () -> limits.check(event(null, Map.of("k".repeat(129), 1), null), NOW));
    LimitExceededException tooLongPrivate =
        assertThrows(
            LimitExceededException.class,
            () -> limits.check(event(null, Map.of(), Map.of("é".repeat(65), 1)), NOW));

    assertEquals(EventLimits.MAX_METADATA_KEYS, tooMany.setting());
    assertEquals("metadata may have at most 100 keys, got 101", tooMany.getMessage());
    assertEquals(EventLimits.MAX_KEY_BYTES, tooLong.setting());
    assertTrue(tooLong.getMessage().endsWith("may be at most 128 bytes long (UTF-8), got 129"));
    assertTrue(
        tooLongPrivate.getMessage().endsWith("may be at most 128 bytes long (UTF-8), got 130"),
        tooLongPrivate.getMessage());
    assertDoesNotThrow(() -> limits.check(event(null, Map.of("k".repeat(128), 1), null), NOW));
  }

  @Test
  void privateMetadataKeys_areCountedAtAllLevels() {
    List<Object> objects = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      objects.add(Map.of("a", 1, "b", 2));
    }

    LimitExceededException e =
        assertThrows(
            LimitExceededException.class,
            () -> limits.check(event(null, Map.of(), Map.of("objects", objects)), NOW));

    assertEquals(EventLimits.MAX_PRIVATE_METADATA_KEYS, e.setting());
  }

  @Test
  void sizes_areCheckedOnTheBuiltEvent() {
    EventLimits small = limits.withSizes(2048, 100);

    LimitExceededException privateTooLarge =
        assertThrows(
            LimitExceededException.class,
            () -> small.check(event(null, Map.of(), Map.of("t", "x".repeat(200))), NOW));
    LimitExceededException eventTooLarge =
        assertThrows(
            LimitExceededException.class,
            () ->
                limits
                    .withSizes(2048, 4096)
                    .check(event(null, Map.of(), Map.of("t", "x".repeat(3000))), NOW));

    assertEquals(EventLimits.MAX_PRIVATE_METADATA_BYTES, privateTooLarge.setting());
    assertEquals(EventLimits.MAX_EVENT_BYTES, eventTooLarge.setting());
  }

  /** An event with every bounded text set: {@code field} to {@code value}, the others short. */
  private Event withText(String field, String value) {
    Map<String, String> text = new LinkedHashMap<>();
    for (String name :
        List.of(
            "client",
            "clientVersion",
            "anonymousUserId",
            "interactionId",
            "product",
            "category",
            "url",
            "referrer",
            "cohortId",
            "deviceSessionId")) {
      text.put(name, name.equals(field) ? value : "ok");
    }
    return builder.build(
        new EventInput(
            "limits.test",
            "checked",
            null,
            new EventInput.Client(text.get("client"), text.get("clientVersion")),
            new EventInput.Parameters(
                1,
                Map.of(),
                null,
                new EventInput.Billing(text.get("product"), text.get("category")),
                text.get("interactionId")),
            EventMarketingTracking.newBuilder()
                .setUrl(text.get("url"))
                .setReferrer(text.get("referrer"))
                .setCohortId(text.get("cohortId"))
                .setDeviceSessionId(text.get("deviceSessionId"))
                .build()),
        EventContext.of(Actor.anonymous(text.get("anonymousUserId"))));
  }

  @ParameterizedTest(name = "{0} of {1} bytes")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "client | 128 | 'source.client'",
        "clientVersion | 128 | 'source.clientVersion'",
        "anonymousUserId | 256 | the anonymous user ID (X-Sourcegraph-Actor-Anonymous-UID)",
        "interactionId | 256 | the interaction ID",
        "product | 128 | 'parameters.billingMetadata.product'",
        "category | 128 | 'parameters.billingMetadata.category'",
        "url | 8192 | 'marketingTracking.url'",
        "referrer | 8192 | 'marketingTracking.referrer'",
        "cohortId | 256 | 'marketingTracking.cohortID'",
        "deviceSessionId | 256 | 'marketingTracking.deviceSessionID'",
      })
  void everyTextOfAnEvent_isBoundedInBytes_andRefusedOverItNamingTheField(
      String field, int bound, String named) {
    // Multi-byte text: the bound counts UTF-8 bytes, not characters.
    String atBound = "\u00e9".repeat(bound / 2);
    String overBound = atBound + "x";

    assertDoesNotThrow(() -> limits.check(withText(field, atBound), NOW));
    LimitExceededException e =
        assertThrows(
            LimitExceededException.class, () -> limits.check(withText(field, overBound), NOW));
    assertEquals(
        named + " may be at most " + bound + " bytes long (UTF-8), got " + (bound + 1),
        e.getMessage());
    assertEquals(null, e.setting());
  }
}
