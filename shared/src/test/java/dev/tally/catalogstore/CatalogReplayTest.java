package dev.tally.catalogstore;

import static dev.tally.catalogstore.StoredEvents.REDACTOR;
import static dev.tally.catalogstore.StoredEvents.catalog;
import static dev.tally.catalogstore.StoredEvents.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.CatalogRules;
import dev.tally.event.Actor;
import dev.tally.json.Json;
import dev.tally.privacy.ExportOptOut;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The replay preview against stored events: which events it counts, what it says changes for each
 * event name, and its samples.
 */
@ExtendWith(PostgresExtension.class)
class CatalogReplayTest {
  private static final Duration HOUR = Duration.ofHours(1);

  private static final CatalogRules IN_FORCE =
      CatalogRules.of(
          1,
          catalog(
              """
              {"policy": {"unplannedEvents": "hold"},
               "events": [
                 {"feature": "search", "action": "submitted", "status": "approved",
                  "owner": "search-team", "metadata": {"results": {}},
                  "privateMetadata": {"query": {"export": false}}},
                 {"feature": "old", "action": "thing", "status": "approved"},
                 {"feature": "chat", "action": "sent", "status": "proposed"},
                 {"feature": "stable", "action": "event", "status": "approved"}]}
              """),
          REDACTOR);

  private static final CatalogRules CANDIDATE =
      CatalogRules.of(
          2,
          catalog(
              """
              {"policy": {"unplannedEvents": "hold", "unplannedMetadataKeys": "drop",
                          "unplannedPrivateKeys": "drop"},
               "events": [
                 {"feature": "search", "action": "submitted", "status": "approved",
                  "owner": "search-team", "metadata": {"results": {}},
                  "privateMetadata": {"query": {"export": true,
                                                "justification": "which searches fail"}}},
                 {"feature": "old", "action": "thing", "status": "deprecated",
                  "sunset": "2026-03-01"},
                 {"feature": "chat", "action": "sent", "status": "approved"},
                 {"feature": "stable", "action": "event", "status": "approved"},
                 {"feature": "abTest", "action": "variant*", "status": "approved"}]}
              """),
          REDACTOR);

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T12:00:00Z"));
  private final StoredEvents stored;
  private final CatalogReplay replay;

  CatalogReplayTest(TestDatabase db) {
    this.db = db;
    this.stored = new StoredEvents(db, clock);
    this.replay = new CatalogReplay(db.dataSource(), clock);
  }

  @BeforeEach
  void reset() {
    stored.reset();
  }

  @Test
  void preview_countsPerEventNameWhatTheCandidateChanges_overTheReplayableEventsOnly() {
    List<Event> search =
        stored.exported(
            Actor.user(1),
            stored.input(
                "search",
                "submitted",
                HOUR,
                Map.of("results", 1, "extra", 2),
                Map.of("query", "secret", "languageId", "go")),
            5);
    List<Event> chat =
        stored.held(Actor.user(2), stored.input("chat", "sent", HOUR, Map.of(), null), 4);
    stored.keptLocalByGpc(Actor.user(3), stored.input("chat", "sent", HOUR, Map.of(), null), 2);
    new ExportOptOut(db.dataSource()).set(9, true);
    stored.exported(Actor.user(9), stored.input("chat", "sent", HOUR, Map.of(), null), 2);
    List<Event> variantA =
        stored.held(
            Actor.anonymous("visitor-1"),
            stored.input("abTest", "variantA", HOUR, Map.of(), null),
            3);
    List<Event> variantB =
        stored.held(
            Actor.anonymous("visitor-2"),
            stored.input("abTest", "variantB", HOUR, Map.of(), null),
            2);
    List<Event> old =
        stored.exported(Actor.user(4), stored.input("old", "thing", HOUR, Map.of(), null), 3);
    stored.exported(
        Actor.user(4), stored.input("old", "thing", Duration.ofDays(40), Map.of(), null), 2);
    stored.exported(Actor.user(5), stored.input("stable", "event", HOUR, Map.of(), null), 2);
    stored.legacy("search.submitted");

    CatalogDiff diff = replay.preview(IN_FORCE, CANDIDATE, 30);

    assertEquals(1, diff.fromVersion());
    assertEquals(30, diff.days());
    assertEquals(
        5 + 4 + 3 + 2 + 3 + 2,
        diff.eventsReplayed(),
        "no GPC, opt-out, legacy or older events: " + diff);
    assertEquals(4 + 3 + 2, diff.newlyExported());
    assertEquals(3, diff.newlyHeld());
    assertEquals(
        List.of("chat.sent", "abTest.variantA", "old.thing", "abTest.variantB", "search.submitted"),
        diff.events().stream().map(CatalogDiff.EventDiff::name).toList(),
        "most affected events first; stable.event is not changed");

    CatalogDiff.EventDiff chatDiff = event(diff, "chat.sent");
    assertEquals(4, chatDiff.newlyExported());
    assertEquals(0, chatDiff.newlyHeld());
    assertEquals("chat.sent", chatDiff.entry());
    assertSample(chatDiff, chat, 3);

    CatalogDiff.EventDiff a = event(diff, "abTest.variantA");
    assertEquals(3, a.newlyExported());
    assertEquals("abTest.variant*", a.entry(), "the pattern entry matches");
    assertSample(a, variantA, 3);
    CatalogDiff.EventDiff b = event(diff, "abTest.variantB");
    assertEquals(2, b.newlyExported());
    assertSample(b, variantB, 2);

    CatalogDiff.EventDiff oldDiff = event(diff, "old.thing");
    assertEquals(3, oldDiff.newlyHeld(), "deprecated, and the events are past its sunset");
    assertSample(oldDiff, old, 3);

    CatalogDiff.EventDiff searchDiff = event(diff, "search.submitted");
    assertEquals(0, searchDiff.newlyExported());
    assertEquals(0, searchDiff.newlyHeld());
    assertEquals(
        List.of(
            new CatalogDiff.KeyDiff("languageId", 0, 5), new CatalogDiff.KeyDiff("query", 5, 0)),
        searchDiff.privateKeys(),
        "query is exported now; languageId, allowlisted but unplanned, is dropped");
    assertEquals(
        List.of(new CatalogDiff.KeyDiff("extra", 0, 5)),
        searchDiff.metadataKeys(),
        "results is planned; extra is dropped");
    assertSample(searchDiff, search, 3);

    assertEquals(
        List.of(
            "search.submitted: private key query: export false -> true",
            "search.submitted: private key query: justification changed",
            "old.thing: status approved -> deprecated",
            "old.thing: sunset none -> 2026-03-01",
            "chat.sent: status proposed -> approved",
            "abTest.variant*: added (approved)"),
        diff.entryChanges());
    assertEquals(
        List.of("unplannedMetadataKeys: off -> drop", "unplannedPrivateKeys: off -> drop"),
        diff.policyChanges());
  }

  @Test
  void preview_isStoredAsJsonAndReadBackTheSame() throws Exception {
    stored.held(Actor.user(2), stored.input("chat", "sent", HOUR, Map.of("n", 1), null), 2);
    stored.exported(
        Actor.user(1),
        stored.input("search", "submitted", HOUR, Map.of(), Map.of("languageId", "go")),
        1);

    CatalogDiff diff = replay.preview(IN_FORCE, CANDIDATE, 7);

    assertEquals(diff, CatalogDiff.fromJson(Json.read(Json.write(diff.toJson()))));
    assertTrue(
        diff.toText().contains("chat.sent  (entry chat.sent)  newly exported 2"), diff.toText());
    assertTrue(
        diff.toText().contains("private key languageId: newly withheld from 1"), diff.toText());
  }

  @Test
  void preview_replaysOnlyTheLastDays_todayIncluded() {
    stored.held(
        Actor.user(2), stored.input("chat", "sent", Duration.ofHours(11), Map.of(), null), 1);
    stored.held(
        Actor.user(2), stored.input("chat", "sent", Duration.ofHours(13), Map.of(), null), 2);
    stored.held(
        Actor.user(2), stored.input("chat", "sent", Duration.ofDays(60), Map.of(), null), 4);

    assertEquals(1, replay.preview(IN_FORCE, CANDIDATE, 1).newlyExported(), "today only");
    assertEquals(3, replay.preview(IN_FORCE, CANDIDATE, 2).newlyExported());
    assertEquals(7, replay.preview(IN_FORCE, CANDIDATE, 61).newlyExported());
    assertThrows(IllegalArgumentException.class, () -> replay.preview(IN_FORCE, CANDIDATE, 0));
    assertThrows(IllegalArgumentException.class, () -> replay.preview(IN_FORCE, CANDIDATE, 367));
  }

  @Test
  void preview_ofTheSameCatalog_changesNothing() {
    stored.exported(
        Actor.user(1),
        stored.input("search", "submitted", HOUR, Map.of("x", 1), Map.of("query", "q")),
        2);
    stored.held(Actor.user(2), stored.input("chat", "sent", HOUR, Map.of(), null), 2);

    CatalogDiff diff = replay.preview(CANDIDATE, CANDIDATE, 30);

    assertTrue(diff.isEmpty(), diff.toString());
    assertEquals(4, diff.eventsReplayed());
    assertTrue(diff.toText().contains("no change"), diff.toText());
  }

  @Test
  void preview_handlesLongNamesAndManyKeys() {
    String feature = "f" + "eatureWithALongName".repeat(4).substring(0, 63);
    String action = "a" + "ctionWithALongName-".repeat(4).substring(0, 63);
    assertEquals(64, feature.length());
    assertEquals(64, action.length());
    Map<String, Integer> metadata = new LinkedHashMap<>();
    for (int i = 0; i < 100; i++) {
      metadata.put(String.format("metadataKey%03d", i) + "x".repeat(100), i);
    }
    Map<String, String> privateMetadata = new LinkedHashMap<>();
    for (int i = 0; i < 200; i++) {
      privateMetadata.put(String.format("privateKey%03d", i) + "y".repeat(100), "value " + i);
    }
    List<Event> events =
        stored.exported(
            Actor.user(1), stored.input(feature, action, HOUR, metadata, privateMetadata), 3);
    StringBuilder entry = new StringBuilder();
    entry.append("{\"feature\": \"").append(feature).append("\", \"action\": \"");
    entry.append(action).append("\", \"status\": \"approved\", \"metadata\": {");
    List<String> metadataKeys = List.copyOf(metadata.keySet());
    for (int i = 0; i < 40; i++) {
      entry.append(i == 0 ? "" : ", ").append('"').append(metadataKeys.get(i)).append("\": {}");
    }
    entry.append("}, \"privateMetadata\": {");
    List<String> privateKeys = List.copyOf(privateMetadata.keySet());
    for (int i = 0; i < 50; i++) {
      entry.append(i == 0 ? "" : ", ").append('"').append(privateKeys.get(i));
      entry.append("\": {\"export\": true, \"justification\": \"categorical\"}");
    }
    entry.append("}}");
    CatalogRules candidate =
        CatalogRules.of(
            1,
            catalog(
                "{\"policy\": {\"unplannedMetadataKeys\": \"drop\"}, \"events\": [" + entry + "]}"),
            REDACTOR);

    CatalogDiff diff = replay.preview(CatalogRules.none(REDACTOR), candidate, 30);

    assertEquals(3, diff.eventsReplayed());
    CatalogDiff.EventDiff changed = event(diff, feature + "." + action);
    assertEquals(feature + "." + action, changed.entry());
    assertEquals(50, changed.privateKeys().size(), "the 50 exported keys newly leave");
    for (CatalogDiff.KeyDiff key : changed.privateKeys()) {
      assertEquals(new CatalogDiff.KeyDiff(key.key(), 3, 0), key);
      assertTrue(privateKeys.subList(0, 50).contains(key.key()), key.key());
    }
    assertEquals(60, changed.metadataKeys().size(), "the 60 unplanned metadata keys are dropped");
    for (CatalogDiff.KeyDiff key : changed.metadataKeys()) {
      assertEquals(new CatalogDiff.KeyDiff(key.key(), 0, 3), key);
      assertTrue(metadataKeys.subList(40, 100).contains(key.key()), key.key());
    }
    assertSample(changed, events, 3);
    assertEquals(List.of(feature + "." + action + ": added (approved)"), diff.entryChanges());
  }

  private static CatalogDiff.EventDiff event(CatalogDiff diff, String name) {
    return diff.events().stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in " + diff));
  }

  private static void assertSample(CatalogDiff.EventDiff diff, List<Event> of, int size) {
    assertEquals(size, diff.sample().size(), diff.sample().toString());
    assertTrue(ids(of).containsAll(diff.sample()), diff.sample() + " not among " + ids(of));
  }
}
