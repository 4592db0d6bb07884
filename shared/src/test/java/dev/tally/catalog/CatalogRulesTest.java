package dev.tally.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Value;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.event.EventLimits;
import dev.tally.event.EventNames;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.testing.MutableClock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The compiled catalog on its own: which entry an event matches, what each mode does to events and
 * keys, and that without a catalog the exported copy is the redaction rules' byte for byte.
 */
class CatalogRulesTest {
  private static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");

  /** {@code search.submitted} may export {@code query} by the allowlist, nothing else may. */
  private static final Redactor REDACTOR =
      new Redactor(
          Redactor.Mode.ALLOWLISTED_ONLY,
          SensitiveMetadataAllowlist.of(
              List.of(
                  new SensitiveMetadataAllowlist.Entry("search", "submitted", Set.of("query")))));

  private final MutableClock clock = new MutableClock(NOW);
  private final EventBuilder builder = new EventBuilder(clock, "6.0.0");

  // ------------------------------------------------------------------ matching

  @Test
  void match_prefersAnExactActionToAPatternListedBeforeIt() {
    CatalogEntry pattern = entry("search", "sub*", Status.APPROVED);
    CatalogEntry exact = entry("search", "submitted", Status.APPROVED);
    CatalogRules rules = rules(Policy.OFF, pattern, exact);

    assertSame(exact, rules.match("search", "submitted"));
    assertSame(pattern, rules.match("search", "subscribed"));
  }

  @Test
  void match_triesPatternsInTheFilesOrder_andOnlyThoseOfTheEventsFeature() {
    CatalogEntry first = entry("abTest", "variant*", Status.APPROVED);
    CatalogEntry second = entry("abTest", "*", Status.APPROVED);
    CatalogEntry otherFeature = entry("search", "*", Status.APPROVED);
    CatalogRules rules = rules(Policy.OFF, first, second, otherFeature);

    assertSame(first, rules.match("abTest", "variantB"));
    assertSame(second, rules.match("abTest", "enrolled"));
    assertSame(otherFeature, rules.match("search", "anything"));
    assertNull(rules.match("billing", "variantB"));
  }

  @Test
  void match_readsAPatternLiterallyButForItsStars() {
    CatalogRules rules =
        rules(
            Policy.OFF,
            entry("nav", "menu.open*", Status.APPROVED),
            entry("x", "a*b*c", Status.APPROVED));

    assertTrue(rules.match("nav", "menu.opened") != null);
    assertNull(rules.match("nav", "menuXopened"), "a dot is a dot, not any character");
    assertTrue(rules.match("x", "abc") != null);
    assertTrue(rules.match("x", "a-b.b-c") != null);
    assertNull(rules.match("x", "abcd"), "a pattern matches the whole action");
    assertNull(rules.match("nav", "menu"), "an exact part must be there whole");
  }

  @Test
  void match_findsTheLongestNamesTheDoorAccepts() {
    String feature = "f" + "e".repeat(EventNames.MAX_LENGTH - 1);
    String action = "a" + "b".repeat(EventNames.MAX_LENGTH - 1);
    CatalogEntry exact = entry(feature, action, Status.APPROVED);
    CatalogEntry pattern =
        entry(feature, "a" + "b".repeat(EventNames.MAX_LENGTH - 3) + "*", Status.APPROVED);
    CatalogRules rules = rules(Policy.OFF, pattern, exact);

    assertSame(exact, rules.match(feature, action));
    assertSame(pattern, rules.match(feature, "a" + "b".repeat(EventNames.MAX_LENGTH - 3) + "cd"));
  }

  // ------------------------------------------------------------------ events

  @ParameterizedTest
  @EnumSource(Policy.EventMode.class)
  void judge_anUnmatchedEvent_byEveryMode(Policy.EventMode mode) {
    CatalogRules rules =
        rules(
            policy(mode, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
            entry("search", "submitted", Status.APPROVED));

    Verdict verdict = rules.judge(event("search", "clicked", Map.of(), null));

    assertNull(verdict.entry());
    Verdict.EventOutcome expected =
        switch (mode) {
          case OFF -> Verdict.EventOutcome.UNPLANNED;
          case SHADOW -> Verdict.EventOutcome.WOULD_HOLD;
          case HOLD -> Verdict.EventOutcome.HELD;
        };
    assertEquals(expected, verdict.event());
    assertEquals(mode == Policy.EventMode.HOLD, verdict.held());
    assertEquals(mode != Policy.EventMode.OFF, verdict.reportable());
  }

  @ParameterizedTest
  @EnumSource(Policy.EventMode.class)
  void judge_aPlannedEventIsPlanned_whateverTheMode(Policy.EventMode mode) {
    CatalogRules rules =
        rules(
            policy(mode, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
            entry("search", "submitted", Status.APPROVED));

    Verdict verdict = rules.judge(event("search", "submitted", Map.of(), null));

    assertEquals(Verdict.EventOutcome.PLANNED, verdict.event());
    assertFalse(verdict.reportable());
    assertNull(verdict.toJson(7));
  }

  @Test
  void judge_aProposedEntryPlansNothing() {
    CatalogRules rules =
        rules(
            policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
            entry("search", "submitted", Status.PROPOSED));

    Verdict verdict = rules.judge(event("search", "submitted", Map.of(), null));

    assertEquals(Verdict.EventOutcome.HELD, verdict.event());
    assertEquals("search.submitted", verdict.entry().name(), "the entry still matches");
  }

  @Test
  void judge_aDeprecatedEntryPlansEventsBeforeItsSunsetOnly_byTheEventsUtcDay() {
    LocalDate sunset = LocalDate.parse("2026-03-10");
    CatalogEntry deprecated =
        new CatalogEntry(
            "search", "submitted", Status.DEPRECATED, sunset, null, null, Map.of(), Map.of(), null);
    CatalogRules rules =
        rules(policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF), deprecated);

    clock.set(Instant.parse("2026-03-09T23:59:59Z"));
    Event lastPlanned = event("search", "submitted", Map.of(), null);
    clock.set(Instant.parse("2026-03-10T00:00:00Z"));
    Event firstUnplanned = event("search", "submitted", Map.of(), null);

    assertEquals(Verdict.EventOutcome.PLANNED, rules.judge(lastPlanned).event());
    assertEquals(Verdict.EventOutcome.HELD, rules.judge(firstUnplanned).event());
  }

  @Test
  void judge_aDeprecatedEntryWithoutSunsetStillPlans() {
    CatalogEntry deprecated =
        new CatalogEntry(
            "search", "submitted", Status.DEPRECATED, null, null, null, Map.of(), Map.of(), null);
    CatalogRules rules =
        rules(policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF), deprecated);

    assertEquals(
        Verdict.EventOutcome.PLANNED,
        rules.judge(event("search", "submitted", Map.of(), null)).event());
  }

  // ------------------------------------------------------------------ metadata keys

  @ParameterizedTest
  @EnumSource(Policy.KeyMode.class)
  void judge_unplannedMetadataKeys_byEveryMode_plannedOnesNever(Policy.KeyMode mode) {
    CatalogEntry entry =
        new CatalogEntry(
            "search",
            "submitted",
            Status.APPROVED,
            null,
            null,
            null,
            Map.of("results", new CatalogEntry.MetadataKey(null, Map.of())),
            Map.of(),
            null);
    CatalogRules rules = rules(policy(Policy.EventMode.OFF, mode, Policy.KeyMode.OFF), entry);
    Event event = event("search", "submitted", Map.of("results", 3, "latencyMs", 40), null);

    Verdict verdict = rules.judge(event);
    Event exported = rules.exportedCopy(event, verdict);

    switch (mode) {
      case OFF -> assertEquals(Map.of(), verdict.metadataKeys());
      case SHADOW ->
          assertEquals(Map.of("latencyMs", Verdict.KeyOutcome.WOULD_DROP), verdict.metadataKeys());
      case DROP ->
          assertEquals(Map.of("latencyMs", Verdict.KeyOutcome.DROPPED), verdict.metadataKeys());
    }
    assertEquals(
        mode == Policy.KeyMode.DROP ? Set.of("results") : Set.of("results", "latencyMs"),
        exported.getParameters().getMetadataMap().keySet());
    assertEquals(
        event.getParameters().getMetadataMap().keySet(),
        Set.of("results", "latencyMs"),
        "the event itself is untouched");
  }

  @Test
  void judge_anUnmatchedEventsMetadataKeysAreAllUnplanned() {
    CatalogRules rules =
        rules(policy(Policy.EventMode.OFF, Policy.KeyMode.DROP, Policy.KeyMode.OFF));
    Event event = event("search", "submitted", Map.of("results", 3), null);

    Verdict verdict = rules.judge(event);

    assertEquals(Map.of("results", Verdict.KeyOutcome.DROPPED), verdict.metadataKeys());
    assertEquals(Map.of(), rules.exportedCopy(event, verdict).getParameters().getMetadataMap());
  }

  @Test
  void judge_aMetadataKeyOfTheLongestNameTheDoorAccepts() {
    String key = "k".repeat(EventLimits.DEFAULTS.maxKeyBytes());
    CatalogEntry entry =
        new CatalogEntry(
            "search",
            "submitted",
            Status.APPROVED,
            null,
            null,
            null,
            Map.of(key, new CatalogEntry.MetadataKey(null, Map.of())),
            Map.of(),
            null);
    CatalogRules rules =
        rules(policy(Policy.EventMode.OFF, Policy.KeyMode.DROP, Policy.KeyMode.OFF), entry);
    String other = "o".repeat(EventLimits.DEFAULTS.maxKeyBytes());
    Event event = event("search", "submitted", Map.of(key, 1, other, 2), null);

    Verdict verdict = rules.judge(event);

    assertEquals(Map.of(other, Verdict.KeyOutcome.DROPPED), verdict.metadataKeys());
    assertEquals(
        Set.of(key), rules.exportedCopy(event, verdict).getParameters().getMetadataMap().keySet());
  }

  // ------------------------------------------------------------------ private keys

  @ParameterizedTest
  @EnumSource(Policy.KeyMode.class)
  void judge_unplannedPrivateKeys_byEveryMode(Policy.KeyMode mode) {
    CatalogRules rules =
        rules(
            policy(Policy.EventMode.OFF, Policy.KeyMode.OFF, mode),
            entry("search", "submitted", Status.APPROVED));
    // query: allowlisted, so it leaves by the redaction rules; repo: never allowed to leave.
    Event event = event("search", "submitted", Map.of(), Map.of("query", "q", "repo", "r"));

    Verdict verdict = rules.judge(event);
    Event exported = rules.exportedCopy(event, verdict);

    switch (mode) {
      case OFF -> {
        assertEquals(Map.of(), verdict.privateKeys());
        assertEquals(Set.of("query"), privateKeys(exported));
      }
      case SHADOW -> {
        assertEquals(Map.of("query", Verdict.KeyOutcome.WOULD_DROP), verdict.privateKeys());
        assertEquals(Set.of("query"), privateKeys(exported));
      }
      case DROP -> {
        assertEquals(Map.of("query", Verdict.KeyOutcome.DROPPED), verdict.privateKeys());
        assertEquals(Set.of(), privateKeys(exported));
      }
    }
    assertFalse(
        verdict.privateKeys().containsKey("repo"), "a key that never leaves is never reported");
  }

  @Test
  void judge_anEntryExportingAKey_letsItLeaveAlthoughTheAllowlistDoesNot() {
    CatalogEntry entry =
        new CatalogEntry(
            "search",
            "submitted",
            Status.APPROVED,
            null,
            null,
            null,
            Map.of(),
            Map.of(
                "repo",
                new CatalogEntry.PrivateKey(true, "repository names are public here", null)),
            null);
    CatalogRules rules =
        rules(policy(Policy.EventMode.OFF, Policy.KeyMode.OFF, Policy.KeyMode.DROP), entry);
    Event event =
        event("search", "submitted", Map.of(), Map.of("repo", "github.com/a/b", "secret", "s"));

    Verdict verdict = rules.judge(event);
    Event exported = rules.exportedCopy(event, verdict);

    assertEquals(Set.of("repo"), verdict.exportedPrivateKeys());
    assertEquals(
        Map.of(), verdict.privateKeys(), "a planned key is no outcome, 'secret' never left");
    assertEquals(
        Map.of("repo", Value.newBuilder().setStringValue("github.com/a/b").build()),
        exported.getParameters().getPrivateMetadata().getFieldsMap());
  }

  @Test
  void judge_anEntryWithholdingAKey_keepsItAlthoughTheAllowlistLetsIt() {
    CatalogEntry entry =
        new CatalogEntry(
            "search",
            "submitted",
            Status.APPROVED,
            null,
            null,
            null,
            Map.of(),
            Map.of("query", new CatalogEntry.PrivateKey(false, null, null)),
            null);
    CatalogRules rules = rules(Policy.OFF, entry);
    Event event = event("search", "submitted", Map.of(), Map.of("query", "repo:secret"));

    Verdict verdict = rules.judge(event);

    assertEquals(Set.of(), verdict.exportedPrivateKeys());
    assertEquals(Set.of(), privateKeys(rules.exportedCopy(event, verdict)));
    assertEquals(Set.of("query"), privateKeys(event), "the event itself keeps it");
  }

  // ------------------------------------------------------------------ no catalog

  @Test
  void noCatalog_exportsExactlyTheRedactionRulesBytes_andReportsNothing() {
    EventMarketingTracking tracking =
        EventMarketingTracking.newBuilder()
            .setUrl("https://example.com/?q=1")
            .setCohortId("c")
            .build();
    List<Event> events =
        List.of(
            event("search", "submitted", Map.of("results", 3), Map.of("query", "q", "repo", "r")),
            event("search", "clicked", Map.of(), Map.of("query", "q")),
            builder.build(
                new EventInput(
                    "web",
                    "viewed",
                    null,
                    new EventInput.Client("web", "1.0"),
                    new EventInput.Parameters(
                        1,
                        Map.of("n", 1.5),
                        Map.of("nested", Map.of("a", 1)),
                        new EventInput.Billing("p", "c"),
                        "i-1"),
                    tracking),
                EventContext.of(Actor.anonymous("visitor"))));
    for (Redactor redactor :
        List.of(
            REDACTOR,
            new Redactor(Redactor.Mode.EXPORT_EVERYTHING, SensitiveMetadataAllowlist.builtIn()))) {
      CatalogRules none = CatalogRules.none(redactor);
      for (Event event : events) {
        Verdict verdict = none.judge(event);

        assertEquals(Verdict.EventOutcome.UNPLANNED, verdict.event());
        assertNull(verdict.toJson(none.version()));
        assertArrayEquals(
            redactor.redact(event).toByteArray(),
            none.exportedCopy(event, verdict).toByteArray(),
            redactor.mode() + " " + event.getFeature() + "." + event.getAction());
      }
    }
  }

  // ------------------------------------------------------------------ the stored outcome

  @Test
  void toJson_namesTheVersionTheEventAndEachKey_neverAValue() {
    CatalogRules rules =
        CatalogRules.of(
            3,
            new Catalog(
                policy(Policy.EventMode.HOLD, Policy.KeyMode.SHADOW, Policy.KeyMode.DROP),
                List.of()),
            REDACTOR);

    Verdict verdict =
        rules.judge(event("search", "submitted", Map.of("results", 3), Map.of("query", "value")));

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("version", 3L);
    expected.put("event", "held");
    expected.put("metadata", Map.of("results", "would_drop"));
    expected.put("private", Map.of("query", "dropped"));
    assertEquals(expected, verdict.toJson(rules.version()));
  }

  // ------------------------------------------------------------------ helpers

  private Event event(
      String feature, String action, Map<String, ?> metadata, Object privateMetadata) {
    return builder.build(
        EventInput.backend(
            feature, action, new EventInput.Parameters(1, metadata, privateMetadata, null, null)),
        EventContext.of(Actor.user(1)));
  }

  private static Set<String> privateKeys(Event event) {
    return event.getParameters().getPrivateMetadata().getFieldsMap().keySet();
  }

  private static CatalogRules rules(Policy policy, CatalogEntry... entries) {
    return CatalogRules.of(1, new Catalog(policy, List.of(entries)), REDACTOR);
  }

  private static Policy policy(
      Policy.EventMode events, Policy.KeyMode metadata, Policy.KeyMode privateKeys) {
    return new Policy(events, metadata, privateKeys);
  }

  private static CatalogEntry entry(String feature, String action, Status status) {
    return new CatalogEntry(feature, action, status, null, null, null, Map.of(), Map.of(), null);
  }
}
