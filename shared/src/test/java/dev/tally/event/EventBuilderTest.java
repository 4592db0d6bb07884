package dev.tally.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventBuilderTest {
  private static final Instant NOW = Instant.parse("2024-01-02T03:04:05Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final EventInput.Client VSCODE = new EventInput.Client("VSCode", null);

  private final EventBuilder builder = new EventBuilder(CLOCK, "1.2.3");

  private static EventInput input(EventInput.Parameters parameters) {
    return new EventInput("exampleFeature", "exampleAction", null, VSCODE, parameters, null);
  }

  private static EventInput.Parameters none() {
    return new EventInput.Parameters(0, Map.of(), null, null, null);
  }

  static Stream<Arguments> goldenCases() {
    return Stream.of(
        Arguments.of("minimal.json", input(none()), EventContext.of(Actor.unknown())),
        Arguments.of(
            "anonymous-user.json", input(none()), EventContext.of(Actor.anonymous("1234"))),
        Arguments.of("authenticated-user.json", input(none()), EventContext.of(Actor.user(1234))),
        Arguments.of(
            "metadata.json",
            input(EventInput.Parameters.of(0, Map.of("metadata", 123))),
            EventContext.of(Actor.unknown())),
        Arguments.of(
            "private-metadata-string.json",
            input(new EventInput.Parameters(0, Map.of(), "some metadata", null, null)),
            EventContext.of(Actor.unknown())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenCases")
  void build_printsTheCanonicalJsonOfTheContract(
      String golden, EventInput input, EventContext context) throws Exception {
    JsonObject actual =
        JsonParser.parseString(JsonFormat.printer().print(builder.build(input, context)))
            .getAsJsonObject();
    assertTrue(actual.has("id"), "every event has an ID");
    actual.remove("id");

    assertEquals(golden(golden), actual);
  }

  @Test
  void build_givesTimeOrderedVersion7IdsFromTheClock() {
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      ids.add(
          UUID.fromString(builder.build(input(none()), EventContext.of(Actor.unknown())).getId()));
    }

    for (UUID id : ids) {
      assertEquals(7, id.version(), "UUID version of " + id);
      assertEquals(2, id.variant(), "UUID variant of " + id);
      assertEquals(NOW.toEpochMilli(), id.getMostSignificantBits() >>> 16, "time part of " + id);
    }
    assertEquals(ids.size(), new HashSet<>(ids).size(), "IDs are unique");
    List<String> sorted = ids.stream().map(UUID::toString).sorted().toList();
    assertEquals(ids.stream().map(UUID::toString).toList(), sorted, "IDs sort in creation order");
  }

  @Test
  void build_takesTheClientTimestampOverTheServerTime() {
    Instant sent = Instant.parse("2023-06-07T08:09:10.123456789Z");
    Event event =
        builder.build(
            new EventInput("a.b", "c.d", sent, VSCODE, none(), null),
            EventContext.of(Actor.unknown()));

    assertEquals(sent.getEpochSecond(), event.getTimestamp().getSeconds());
    assertEquals(sent.getNano(), event.getTimestamp().getNanos());
  }

  @Test
  void build_rejectsATimestampProtobufCannotHold() {
    EventInput tooLate =
        new EventInput("a.b", "c.d", Instant.parse("+10000-01-01T00:00:00Z"), VSCODE, none(), null);

    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> builder.build(tooLate, EventContext.of(Actor.unknown())));
    assertTrue(e.getMessage().startsWith("'timestamp'"), e.getMessage());
  }

  @Test
  void build_fillsSourceFromServerAndClient() {
    Event client =
        builder.build(
            new EventInput(
                "a.b", "c.d", null, new EventInput.Client("VSCode.Cody", "1.4.2"), none(), null),
            EventContext.of(Actor.unknown()));
    assertEquals("1.2.3", client.getSource().getServer().getVersion());
    assertEquals("VSCode.Cody", client.getSource().getClient().getName());
    assertEquals("1.4.2", client.getSource().getClient().getVersion());

    Event backend =
        builder.build(EventInput.backend("a.b", "c.d", none()), EventContext.of(Actor.unknown()));
    assertFalse(backend.getSource().hasClient(), "backend events have no client");
    assertEquals("1.2.3", backend.getSource().getServer().getVersion());
  }

  @Test
  void build_storesMetadataAsDoubles() {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("int", 7);
    metadata.put("long", 9_007_199_254_740_993L);
    metadata.put("double", 0.25);
    Event event =
        builder.build(
            input(new EventInput.Parameters(2, metadata, null, null, null)),
            EventContext.of(Actor.unknown()));

    assertEquals(
        Map.of("int", 7.0, "long", 9.007199254740992E15, "double", 0.25),
        event.getParameters().getMetadataMap());
    assertEquals(2, event.getParameters().getVersion());
  }

  @Test
  void build_rejectsNonNumericMetadataNamingTheKey() {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("good", 1);
    metadata.put("bad", "1");

    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () ->
                builder.build(
                    input(new EventInput.Parameters(0, metadata, null, null, null)),
                    EventContext.of(Actor.unknown())));
    assertEquals("metadata value of key 'bad' must be a number, got a string", e.getMessage());
  }

  @Test
  void build_rejectsNonFiniteMetadata() {
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () ->
                builder.build(
                    input(EventInput.Parameters.of(0, Map.of("ratio", Double.NaN))),
                    EventContext.of(Actor.unknown())));
    assertTrue(e.getMessage().contains("'ratio'"), e.getMessage());
  }

  @Test
  void build_keepsAPrivateMetadataObjectAsItIs() {
    Map<String, Object> privateMetadata = new LinkedHashMap<>();
    privateMetadata.put("query", "repo:foo");
    privateMetadata.put("count", 3);
    privateMetadata.put("nested", Map.of("list", List.of(true, "x")));
    Event event =
        builder.build(
            input(new EventInput.Parameters(0, Map.of(), privateMetadata, null, null)),
            EventContext.of(Actor.unknown()));

    Struct struct = event.getParameters().getPrivateMetadata();
    assertEquals("repo:foo", struct.getFieldsOrThrow("query").getStringValue());
    assertEquals(3.0, struct.getFieldsOrThrow("count").getNumberValue());
    Value list = struct.getFieldsOrThrow("nested").getStructValue().getFieldsOrThrow("list");
    assertTrue(list.getListValue().getValues(0).getBoolValue());
    assertEquals("x", list.getListValue().getValues(1).getStringValue());
  }

  @Test
  void build_wrapsAPrivateMetadataListUnderValue() {
    Event event =
        builder.build(
            input(new EventInput.Parameters(0, Map.of(), List.of(1, 2), null, null)),
            EventContext.of(Actor.unknown()));

    assertEquals(
        Set.of("value"), event.getParameters().getPrivateMetadata().getFieldsMap().keySet());
    assertEquals(
        2,
        event
            .getParameters()
            .getPrivateMetadata()
            .getFieldsOrThrow("value")
            .getListValue()
            .getValuesCount());
  }

  @Test
  void build_attachesFeatureFlagsAsStrings() {
    Map<String, Boolean> flags = Map.of("telemetry-export", true, "new-search", false);
    Event event = builder.build(input(none()), new EventContext(Actor.user(1), flags, null, null));

    assertEquals(
        Map.of("telemetry-export", "true", "new-search", "false"),
        event.getFeatureFlags().getFlagsMap());
  }

  @Test
  void build_prefersThePayloadInteractionIdOverTheHeader() {
    EventContext context = new EventContext(Actor.unknown(), Map.of(), "from-header", "trace-9");

    Event fromPayload =
        builder.build(
            input(new EventInput.Parameters(0, Map.of(), null, null, "from-payload")), context);
    Event fromHeader = builder.build(input(none()), context);

    assertEquals("from-payload", fromPayload.getInteraction().getInteractionId());
    assertEquals("from-header", fromHeader.getInteraction().getInteractionId());
    assertEquals("trace-9", fromHeader.getInteraction().getTraceId());
    assertFalse(
        builder.build(input(none()), EventContext.of(Actor.unknown())).hasInteraction(),
        "no interaction without an ID or a trace");
  }

  @Test
  void build_keepsBillingAndMarketingForTheRedactorToJudge() {
    EventMarketingTracking marketing =
        EventMarketingTracking.newBuilder().setUrl("https://example.com/?utm=x").build();
    Event event =
        builder.build(
            new EventInput(
                "a.b",
                "c.d",
                null,
                VSCODE,
                new EventInput.Parameters(
                    0, Map.of(), null, new EventInput.Billing("cody", "core"), null),
                marketing),
            EventContext.of(Actor.unknown()));

    assertEquals("cody", event.getParameters().getBillingMetadata().getProduct());
    assertEquals("core", event.getParameters().getBillingMetadata().getCategory());
    assertEquals(marketing, event.getMarketingTracking());
  }

  @Test
  void build_rejectsInvalidNamesBeforeAnythingElse() {
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () ->
                builder.build(
                    new EventInput("Bad", "c.d", null, VSCODE, none(), null),
                    EventContext.of(Actor.unknown())));
    assertTrue(e.getMessage().startsWith("'feature'"), e.getMessage());
  }

  private static JsonElement golden(String name) throws IOException {
    try (InputStream in = EventBuilderTest.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource /golden/" + name);
      }
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
