package dev.tally.catalogstore;

import static dev.tally.catalogstore.StoredEvents.REDACTOR;
import static dev.tally.catalogstore.StoredEvents.catalog;
import static dev.tally.catalogstore.StoredEvents.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Value;
import dev.tally.event.Actor;
import dev.tally.log.JsonLog;
import dev.tally.privacy.ExportOptOut;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.Jdbc;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Held events released by an applied version: which ones are queued, how they are redacted, and
 * what stays on the instance.
 */
@ExtendWith(PostgresExtension.class)
class HeldEventsTest {
  private static final Duration HOUR = Duration.ofHours(1);

  /** Holds unplanned events; chat.sent is only proposed. */
  private static final String V1 =
      """
      {"policy": {"unplannedEvents": "hold"},
       "events": [{"feature": "chat", "action": "sent", "status": "proposed"}]}
      """;

  /** Approves chat.sent, exporting one private key and withholding another; drops extra keys. */
  private static final String V2 =
      """
      {"policy": {"unplannedEvents": "hold", "unplannedMetadataKeys": "drop"},
       "events": [{"feature": "chat", "action": "sent", "status": "approved",
                   "metadata": {"tokens": {}},
                   "privateMetadata": {
                     "model": {"export": true, "justification": "which models are used"},
                     "prompt": {"export": false}}}]}
      """;

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T12:00:00Z"));
  private final StoredEvents stored;
  private final CatalogApply apply;

  HeldEventsTest(TestDatabase db) {
    this.db = db;
    this.stored = new StoredEvents(db, clock);
    this.apply = new CatalogApply(db.dataSource(), clock, REDACTOR, () -> {});
  }

  @BeforeEach
  void reset() {
    stored.reset();
    apply.apply(V1, "user:1", 30, (text, previous) -> catalog(text), r -> {});
  }

  private List<Event> heldChat(Actor actor, int times) {
    return stored.held(
        actor,
        stored.input(
            "chat",
            "sent",
            HOUR,
            Map.of("tokens", 12, "extra", 1),
            Map.of("model", "gpt", "prompt", "my secret question")),
        times);
  }

  @Test
  void apply_queuesTheApprovedHeldEvents_redactedByTheNewVersion_andLeavesTheOthers() {
    List<Event> chat = heldChat(Actor.user(2), 3);
    List<Event> anonymous = heldChat(Actor.anonymous("visitor-7"), 1);
    List<Event> optedOut = heldChat(Actor.user(9), 1);
    List<Event> other =
        stored.held(
            Actor.user(2), stored.input("other", "event", HOUR, Map.of(), Map.of("a", "b")), 2);
    new ExportOptOut(db.dataSource()).set(9, true);
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    CatalogApply.Applied applied;
    try (JsonLog.Scope audit =
        JsonLog.writingTo(new PrintStream(log, true, StandardCharsets.UTF_8))) {
      applied = apply.apply(V2, "user:1", 30, (text, previous) -> catalog(text), r -> {});
    }

    assertEquals(4, applied.released());
    assertEquals(1, applied.keptOptOut());
    assertNull(applied.releaseProblem());
    assertEquals(3 + 1 + 1, applied.diff().newlyExported(), "the opted-out user's event too");
    Map<String, Event> queued = queued();
    List<String> released = new ArrayList<>(ids(chat));
    released.addAll(ids(anonymous));
    assertEquals(released.stream().sorted().toList(), queued.keySet().stream().sorted().toList());
    for (Event event : queued.values()) {
      Map<String, Value> privateMetadata =
          event.getParameters().getPrivateMetadata().getFieldsMap();
      assertEquals("gpt", privateMetadata.get("model").getStringValue(), "exported by v2");
      assertFalse(privateMetadata.containsKey("prompt"), "withheld by v2");
      assertTrue(event.getParameters().getMetadataMap().containsKey("tokens"));
      assertFalse(event.getParameters().getMetadataMap().containsKey("extra"), "dropped by v2");
    }
    assertEquals("u:2", userKey(chat.get(0)));
    assertEquals("a:visitor-7", userKey(anonymous.get(0)));
    assertEquals(
        4,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE catalog_version = 2"
                + " AND withheld @> ARRAY['privateMetadata.prompt', 'metadata.extra']"
                + " AND cardinality(withheld) = 2"),
        "each released event records the version that released it and what it withheld");

    for (String id : released) {
      assertNull(reason(id), "no longer kept local");
    }
    assertEquals("opt_out", reason(optedOut.get(0).getId()), "opted out since: stays local");
    assertEquals("unplanned", reason(other.get(0).getId()));
    assertEquals(
        ids(other).stream().sorted().toList(),
        held().stream().sorted().toList(),
        "only the events v2 still holds are held");
    assertEquals(4, apply.versions().inForce().orElseThrow().released());

    String audit = log.toString(StandardCharsets.UTF_8);
    assertTrue(audit.contains("\"message\":\"held events released\""), audit);
    assertTrue(audit.contains("\"released\":4,\"keptOptOut\":1"), audit);
    assertFalse(audit.contains("visitor-7") || audit.contains("u:2"), "names nobody: " + audit);
  }

  @Test
  void release_again_queuesNothingNew_andLaterHeldEventsAreReleasedByTheVersionInForce() {
    heldChat(Actor.user(2), 2);
    assertEquals(2, apply.apply(V2, "user:1", 30, (t, p) -> catalog(t), r -> {}).released());
    Map<String, Event> before = queued();

    HeldEvents.Release again = apply.release();

    assertEquals(new HeldEvents.Release(2, 0, 0), again);
    assertEquals(before.keySet(), queued().keySet());

    // An instance still on version 1 for a moment held one more after the apply.
    List<Event> late = heldChat(Actor.user(3), 1);
    HeldEvents.Release caughtUp = apply.release();

    assertEquals(1, caughtUp.released());
    assertTrue(queued().containsKey(late.get(0).getId()));
    assertEquals(0, apply.held().count());
    assertEquals(3, apply.versions().inForce().orElseThrow().released());
  }

  @Test
  void apply_endingAHold_releasesAgainOnceEveryInstanceSwitched_whatOneStillOnTheOldVersionHeld() {
    heldChat(Actor.user(2), 1);
    // Another instance, still on v1 until its next read of the version in force, holds one more
    // chat.sent event after v2 was stored and released.
    List<Event> late = new ArrayList<>();
    CatalogApply settling =
        new CatalogApply(
            db.dataSource(), clock, REDACTOR, () -> late.addAll(heldChat(Actor.user(3), 1)));

    CatalogApply.Applied applied = settling.apply(V2, "user:1", 30, (t, p) -> catalog(t), r -> {});

    assertEquals(1, late.size());
    assertEquals(2, applied.released(), "the one held before, and the one held meanwhile");
    assertNull(reason(late.get(0).getId()));
    assertTrue(queued().containsKey(late.get(0).getId()));
  }

  @Test
  void apply_afterAVersionThatHeldNothing_releasesOnce() {
    apply.apply(V2, "user:1", 30, (t, p) -> catalog(t), r -> {});
    String shadow = V2.replace("\"unplannedEvents\": \"hold\"", "\"unplannedEvents\": \"shadow\"");
    apply.apply(shadow, "user:1", 30, (t, p) -> catalog(t), r -> {});
    CatalogApply settling =
        new CatalogApply(
            db.dataSource(),
            clock,
            REDACTOR,
            () -> {
              throw new AssertionError("no instance could have held anything under shadow");
            });

    assertEquals(0, settling.apply(V2, "user:1", 30, (t, p) -> catalog(t), r -> {}).released());
  }

  @Test
  void release_worksThroughManyBatches_andKeepsAnEventAlreadyQueued() {
    List<Event> chat = heldChat(Actor.user(2), 25);
    // Queued already (a release that stopped after its insert is impossible, but the queue
    // keeps what it has): not inserted twice, and its held row goes all the same.
    db.execute(
        "INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb, user_key)"
            + " VALUES ('"
            + chat.get(0).getId()
            + "', now(), '\\x00', 'u:2')");
    apply.apply(V2, "user:1", 30, (t, p) -> catalog(t), r -> {});
    HeldEvents small =
        new HeldEvents(db.dataSource(), new CatalogVersions(db.dataSource(), clock), 4);
    heldChat(Actor.user(2), 9);

    HeldEvents.Release release = small.release(apply.versions().rulesInForce(REDACTOR));

    assertEquals(9, release.released());
    assertEquals(25 + 9, queued().size());
    assertEquals(0, small.count());
  }

  @Test
  void release_leavesEventsPastTheSunsetOfADeprecatedEntryHeld() {
    List<Event> before =
        stored.held(
            Actor.user(2), stored.input("chat", "sent", Duration.ofDays(3), Map.of(), null), 2);
    List<Event> after =
        stored.held(Actor.user(2), stored.input("chat", "sent", HOUR, Map.of(), null), 2);

    CatalogApply.Applied applied =
        apply.apply(
            """
            {"policy": {"unplannedEvents": "hold"},
             "events": [{"feature": "chat", "action": "sent", "status": "deprecated",
                         "sunset": "2026-03-09"}]}
            """,
            "user:1",
            30,
            (t, p) -> catalog(t),
            r -> {});

    assertEquals(2, applied.released());
    assertEquals(
        ids(before).stream().sorted().toList(), queued().keySet().stream().sorted().toList());
    assertEquals(ids(after).stream().sorted().toList(), held().stream().sorted().toList());
  }

  private Map<String, Event> queued() {
    Map<String, Event> queued = new HashMap<>();
    for (Object[] row :
        Jdbc.query(
            db.dataSource(),
            "read the queue",
            "SELECT id, payload_pb FROM telemetry_events_export_queue",
            r -> new Object[] {r.getString(1), r.getBytes(2)})) {
      Event event;
      try {
        event = Event.parseFrom((byte[]) row[1]);
      } catch (Exception e) {
        event = Event.getDefaultInstance();
      }
      queued.put((String) row[0], event);
    }
    return queued;
  }

  private List<String> held() {
    return Jdbc.query(
        db.dataSource(),
        "read the held events",
        "SELECT event_id FROM held_events",
        r -> r.getString(1));
  }

  /** The event's kept_local_reason; its event_logs row must be there. */
  private String reason(String id) {
    String reason =
        Jdbc.queryOne(
                db.dataSource(),
                "read a reason",
                "SELECT coalesce(kept_local_reason, '-') FROM event_logs WHERE event_id = ?",
                r -> r.getString(1),
                UUID.fromString(id))
            .orElseThrow(() -> new AssertionError("no event_logs row for " + id));
    return reason.equals("-") ? null : reason;
  }

  private String userKey(Event event) {
    return Jdbc.queryOne(
            db.dataSource(),
            "read a user key",
            "SELECT user_key FROM telemetry_events_export_queue WHERE id = ?",
            r -> r.getString(1),
            UUID.fromString(event.getId()))
        .orElseThrow();
  }
}
