package dev.tally.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Policy;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.TeeStore;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import dev.tally.usage.UsageRollup;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Erasure against a real PostgreSQL: everything of one person goes, in chunks smaller than their
 * data, and everyone else's stays as it was.
 */
@ExtendWith(PostgresExtension.class)
class ErasureTest {
  /** Smaller than what the person holds in each table, so that every loop takes several chunks. */
  private static final int CHUNK = 3;

  private final TestDatabase db;
  private final EventBuilder builder = new EventBuilder(Clock.systemUTC(), "5.3.0");
  private final TeeStore store;
  private final Erasure erasure;

  ErasureTest(TestDatabase db) {
    this.db = db;
    this.store =
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn()));
    this.erasure = new Erasure(db.dataSource(), Clock.systemUTC(), CHUNK);
  }

  @BeforeEach
  void emptyTables() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, held_events, event_usage_daily,"
            + " event_usage_users, event_usage_last_seen RESTART IDENTITY;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0, refreshed_at = NULL");
  }

  @Test
  void erase_aSignedInUser_removesTheirRowsEverywhereAndNobodyElses() {
    record(8, Actor.user(7));
    record(4, Actor.user(8));
    record(3, Actor.anonymous("visitor-a"));
    // Two of user 7's events already left the instance; one more was queued before rows had a
    // user_key, and so is found by its payload.
    db.execute(
        "UPDATE telemetry_events_export_queue SET exported_at = now() WHERE id IN"
            + " (SELECT id FROM telemetry_events_export_queue WHERE user_key = 'u:7' LIMIT 2)");
    db.execute(
        "UPDATE telemetry_events_export_queue SET user_key = NULL WHERE id IN"
            + " (SELECT id FROM telemetry_events_export_queue WHERE user_key = 'u:7'"
            + " AND exported_at IS NULL LIMIT 1)");
    db.execute(
        "UPDATE telemetry_events_export_queue SET user_key = NULL WHERE id IN"
            + " (SELECT id FROM telemetry_events_export_queue WHERE user_key = 'u:8' LIMIT 1)");
    new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(10));
    long dailyEvents = db.queryLong("SELECT sum(events) FROM event_usage_daily");

    Erasure.Result result = erasure.erase(Actor.user(7), "TallyAdmin:test");

    assertEquals(new Erasure.Result(8, 6, 2, 2, 0), result);
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 7"));
    assertEquals(0, queuedEventsOf(7));
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_usage_users WHERE user_key = 'u:7'"));
    assertEquals(
        0, db.queryLong("SELECT count(*) FROM event_usage_last_seen WHERE user_key = 'u:7'"));

    assertEquals(4, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 8"));
    assertEquals(4, queuedEventsOf(8));
    assertEquals(
        3, db.queryLong("SELECT count(*) FROM event_logs WHERE anonymous_user_id = 'visitor-a'"));
    assertEquals(2, db.queryLong("SELECT count(*) FROM event_usage_users"));
    // The daily counts name nobody: they stay.
    assertEquals(dailyEvents, db.queryLong("SELECT sum(events) FROM event_usage_daily"));
  }

  @Test
  void erase_anAnonymousVisitor_removesTheirRowsAndNobodyElses() {
    record(7, Actor.anonymous("visitor-a"));
    record(2, Actor.anonymous("visitor-b"));
    record(2, Actor.user(7));
    new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(10));

    Erasure.Result result = erasure.erase(Actor.anonymous("visitor-a"), "user:1");

    assertEquals(new Erasure.Result(7, 7, 0, 2, 0), result);
    assertEquals(
        0, db.queryLong("SELECT count(*) FROM event_logs WHERE anonymous_user_id = 'visitor-a'"));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE user_key = 'a:visitor-a'"));
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM event_usage_last_seen WHERE user_key = 'a:visitor-a'"));
    assertEquals(4, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(4, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
  }

  @Test
  void erase_removesTheEventsTheCatalogHeldOfThePerson_andCountsThem() {
    recordHeld(5, Actor.user(7));
    recordHeld(2, Actor.anonymous("visitor-a"));
    recordHeld(1, Actor.user(8));
    record(1, Actor.user(7));

    Erasure.Result user = erasure.erase(Actor.user(7), "user:1");
    Erasure.Result visitor = erasure.erase(Actor.anonymous("visitor-a"), "user:1");

    assertEquals(new Erasure.Result(6, 1, 0, 3, 5), user, "held ones in chunks of " + CHUNK);
    assertEquals(new Erasure.Result(2, 0, 0, 2, 2), visitor);
    assertEquals("u:8", db.queryString("SELECT string_agg(user_key, ',') FROM held_events"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 8"));
  }

  @Test
  void erase_countsThePersonsEventsIntoTheDailyCountsBeforeDeletingThem() {
    record(3, Actor.user(7));
    record(2, Actor.user(8));

    erasure.erase(Actor.user(7), "user:1");

    // Nobody read usage before the erasure: the daily counts still hold all five events.
    new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(10));
    assertEquals(5, db.queryLong("SELECT sum(events) FROM event_usage_daily"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_usage_users WHERE user_key = 'u:7'"));
  }

  @Test
  void erase_goesOnWhenTheUsageRollupsCannotCount() throws Exception {
    record(3, Actor.user(7));
    record(2, Actor.user(8));
    try (AutoCloseable refused = db.refuseUsageRollups()) {
      Erasure.Result result = erasure.erase(Actor.user(7), "user:1");

      assertEquals(new Erasure.Result(3, 3, 0, 0, 0), result);
      assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 7"));
      assertEquals(0, queuedEventsOf(7));
      assertEquals(2, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 8"));
    }
  }

  @Test
  void erase_aVisitorWhoseIdIsLongerThanTheRollupsNameUsersBy() {
    // Recorded before anonymous IDs were bounded.
    String visitor = "v".repeat(1000);
    record(4, Actor.anonymous(visitor));
    record(2, Actor.user(8));
    new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(10));

    Erasure.Result result = erasure.erase(Actor.anonymous(visitor), "user:1");

    assertEquals(new Erasure.Result(4, 4, 0, 0, 0), result);
    assertEquals(2, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(6, db.queryLong("SELECT sum(events) FROM event_usage_daily"));
  }

  @Test
  void erase_someoneWithNothingStored_deletesNothing() {
    record(2, Actor.user(8));

    assertEquals(new Erasure.Result(0, 0, 0, 0, 0), erasure.erase(Actor.user(7), "user:1"));
    assertEquals(2, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  @Test
  void erase_refusesTheIdOfUnknownVisitorsAndNobody() {
    record(2, Actor.unknown());

    assertThrows(
        IllegalArgumentException.class,
        () -> erasure.erase(Actor.anonymous(TeeStore.UNKNOWN_USER), "user:1"));
    assertThrows(IllegalArgumentException.class, () -> erasure.erase(Actor.unknown(), "user:1"));
    assertEquals(2, db.queryLong("SELECT count(*) FROM event_logs"));
  }

  /** Records events of one person, queued for export. */
  private void record(int count, Actor actor) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(
          builder.build(
              EventInput.backend("myFeature", "saved", EventInput.Parameters.of(0, Map.of())),
              EventContext.of(actor)));
    }
    store.store(events, true);
  }

  /** Records events of one person that a catalog holding every unplanned event holds. */
  private void recordHeld(int count, Actor actor) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(
          builder.build(
              EventInput.backend("myFeature", "unplanned", EventInput.Parameters.of(0, Map.of())),
              EventContext.of(actor)));
    }
    store.store(
        events,
        null,
        true,
        List.of(),
        CatalogRules.of(
            1,
            new Catalog(
                new Policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
                List.of()),
            store.redactor()));
  }

  /** Queued events whose payload names the user, whatever their user_key says. */
  private long queuedEventsOf(long userId) {
    long count = 0;
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement("SELECT payload_pb FROM telemetry_events_export_queue");
        ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        Event event = Event.parseFrom(rs.getBytes(1));
        if (event.getUser().hasUserId() && event.getUser().getUserId() == userId) {
          count++;
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return count;
  }
}
