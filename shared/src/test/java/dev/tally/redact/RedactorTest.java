package dev.tally.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RedactorTest {
  private static final SensitiveMetadataAllowlist ALLOWLIST =
      SensitiveMetadataAllowlist.builtIn()
          .with(
              SensitiveMetadataAllowlist.parseEntries(
                  "search::submit::query::scope,cody.chat::*::model"));
  private static final Redactor REDACTOR = new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, ALLOWLIST);

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static Value number(double d) {
    return Value.newBuilder().setNumberValue(d).build();
  }

  private static Event event(String feature, String action, Map<String, Value> privateMetadata) {
    return Event.newBuilder()
        .setId("id-1")
        .setFeature(feature)
        .setAction(action)
        .setParameters(
            EventParameters.newBuilder()
                .putMetadata("count", 1)
                .setPrivateMetadata(Struct.newBuilder().putAllFields(privateMetadata)))
        .setMarketingTracking(EventMarketingTracking.newBuilder().setUrl("https://x/?email=a@b"))
        .build();
  }

  @Test
  void redact_dropsAllPrivateMetadataAndMarketingOfAnEventNotListed() {
    Event redacted = REDACTOR.redact(event("search", "view", Map.of("query", string("secret"))));

    assertFalse(redacted.getParameters().hasPrivateMetadata());
    assertFalse(redacted.hasMarketingTracking());
    assertEquals(Map.of("count", 1.0), redacted.getParameters().getMetadataMap(), "metadata stays");
  }

  @Test
  void redact_keepsOnlyAllowlistedKeysOfAListedEvent() {
    Event redacted =
        REDACTOR.redact(
            event(
                "search",
                "submit",
                Map.of("query", string("type:repo"), "email", string("a@b.c"))));

    assertEquals(
        Map.of("query", string("type:repo")),
        redacted.getParameters().getPrivateMetadata().getFieldsMap());
    assertFalse(redacted.hasMarketingTracking(), "marketing never leaves in this mode");
  }

  @Test
  void redact_replacesAllowlistedValuesThatAreNotStrings() {
    Event redacted =
        REDACTOR.redact(
            event(
                "search",
                "submit",
                Map.of(
                    "query",
                    number(42),
                    "scope",
                    Value.newBuilder()
                        .setListValue(ListValue.newBuilder().addValues(string("secret")))
                        .build())));

    Map<String, Value> kept = redacted.getParameters().getPrivateMetadata().getFieldsMap();
    assertEquals(
        string("ERROR: value of allowlisted key was not a string, got: number"), kept.get("query"));
    assertEquals(
        string("ERROR: value of allowlisted key was not a string, got: list"), kept.get("scope"));
  }

  @Test
  void redact_appliesAWildcardEntryToEveryActionOfItsFeature() {
    Event redacted =
        REDACTOR.redact(
            event("cody.chat", "anything", Map.of("model", string("m"), "prompt", string("p"))));

    assertEquals(
        Map.of("model", string("m")), redacted.getParameters().getPrivateMetadata().getFieldsMap());
  }

  @Test
  void redact_exportEverythingRemovesNothing() {
    Event event = event("search", "view", Map.of("query", string("secret")));
    assertSame(event, new Redactor(Redactor.Mode.EXPORT_EVERYTHING, ALLOWLIST).redact(event));
  }

  /**
   * Over many generated events, whatever their names and metadata, nothing outside the allowlist
   * survives: no marketing field, no private key the event's entry does not list, no non-string
   * value.
   */
  @Test
  void redact_neverLetsAnUnlistedKeyOrMarketingThrough() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    List<String> features = List.of("search", "cody.chat", "exampleFeature", "other.feature");
    List<String> actions = List.of("submit", "view", "exampleAction", "anything");
    List<String> keys = List.of("query", "scope", "model", "testField", "email", "prompt", "token");

    for (int i = 0; i < 20_000; i++) {
      String feature = features.get(random.nextInt(features.size()));
      String action = actions.get(random.nextInt(actions.size()));
      Struct.Builder privateMetadata = Struct.newBuilder();
      int size = random.nextInt(6);
      for (int k = 0; k < size; k++) {
        privateMetadata.putFields(keys.get(random.nextInt(keys.size())), randomValue(random, 2));
      }
      Event.Builder event =
          Event.newBuilder()
              .setId("e" + i)
              .setFeature(feature)
              .setAction(action)
              .setParameters(EventParameters.newBuilder().setPrivateMetadata(privateMetadata));
      if (random.nextBoolean()) {
        event.setMarketingTracking(
            EventMarketingTracking.newBuilder()
                .setReferrer("r" + i)
                .setSessionFirstUrl("https://x/" + i));
      }

      Event redacted = REDACTOR.redact(event.build());

      String context = "seed " + seed + ", event " + i + " " + feature + "/" + action;
      assertFalse(redacted.hasMarketingTracking(), context);
      Optional<Set<String>> allowed = ALLOWLIST.allowedKeys(feature, action);
      Map<String, Value> kept = redacted.getParameters().getPrivateMetadata().getFieldsMap();
      if (allowed.isEmpty()) {
        assertFalse(redacted.getParameters().hasPrivateMetadata(), context);
      }
      for (Map.Entry<String, Value> entry : kept.entrySet()) {
        assertTrue(
            allowed.orElse(Set.of()).contains(entry.getKey()),
            context + " kept unlisted key " + entry.getKey());
        assertTrue(entry.getValue().hasStringValue(), context + " kept a non-string value");
      }
    }
  }

  private static Value randomValue(Random random, int depth) {
    int kind = random.nextInt(depth > 0 ? 6 : 4);
    return switch (kind) {
      case 0 -> string("s" + random.nextInt());
      case 1 -> number(random.nextDouble());
      case 2 -> Value.newBuilder().setBoolValue(random.nextBoolean()).build();
      case 3 -> Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
      case 4 ->
          Value.newBuilder()
              .setStructValue(
                  Struct.newBuilder().putFields("inner", randomValue(random, depth - 1)))
              .build();
      default ->
          Value.newBuilder()
              .setListValue(ListValue.newBuilder().addValues(randomValue(random, depth - 1)))
              .build();
    };
  }
}
