package dev.tally.catalogstore;

import static dev.tally.catalogstore.StoredEvents.REDACTOR;
import static dev.tally.catalogstore.StoredEvents.catalog;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tally.catalog.CatalogRules;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the replay preview costs over a million stored events: run with {@code -Dtally.scale=true}
 * (about a minute, most of it inserting the rows); prints the times.
 */
@ExtendWith(PostgresExtension.class)
@EnabledIfSystemProperty(named = "tally.scale", matches = "true")
class CatalogReplayScaleTest {
  private static final int EVENTS = 1_000_000;

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T12:00:00Z"));

  CatalogReplayScaleTest(TestDatabase db) {
    this.db = db;
  }

  @Test
  void preview_ofAMillionEvents_groupsThemInTheDatabase() {
    // 200 names over 30 days, 2 metadata key sets, 2 private key sets; 1 in 10 held.
    db.execute(
        """
        INSERT INTO event_logs (event_id, name, feature, action, timestamp, anonymous_user_id,
                                source, version, public_argument, argument, kept_local_reason)
        SELECT gen_random_uuid(), 'feature' || (i %% 200) || '.sent', 'feature' || (i %% 200),
               'sent', TIMESTAMPTZ '2026-03-10 11:00:00+00' - (i %% 30) * INTERVAL '1 day'
                       - (i %% 3600) * INTERVAL '1 second',
               'visitor-' || (i %% 5000), 'VSCode.Cody', '1.0.0',
               CASE WHEN i %% 3 = 0 THEN JSONB '{"tokens": 1, "latencyMs": 2}'
                    ELSE JSONB '{"tokens": 1}' END,
               CASE WHEN i %% 5 = 0 THEN JSONB '{"model": "x", "languageId": "go"}' END,
               CASE WHEN i %% 10 = 0 THEN 'unplanned' END
        FROM generate_series(1, %d) AS i;
        ANALYZE event_logs;
        """
            .formatted(EVENTS));
    StringBuilder entries = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      entries.append(i == 0 ? "" : ",").append("{\"feature\": \"feature").append(i);
      entries.append("\", \"action\": \"sent\", \"status\": \"approved\",");
      entries.append(" \"metadata\": {\"tokens\": {}}, \"privateMetadata\": {\"model\":");
      entries.append(" {\"export\": true, \"justification\": \"which models\"}}}");
    }
    CatalogRules candidate =
        CatalogRules.of(
            1,
            catalog(
                "{\"policy\": {\"unplannedEvents\": \"hold\", \"unplannedMetadataKeys\":"
                    + " \"drop\"}, \"events\": ["
                    + entries
                    + "]}"),
            REDACTOR);
    CatalogReplay replay = new CatalogReplay(db.dataSource(), clock);

    List<Long> millis = new ArrayList<>();
    CatalogDiff diff = null;
    for (int run = 0; run < 3; run++) {
      long start = System.nanoTime();
      diff = replay.preview(CatalogRules.none(REDACTOR), candidate, 30);
      millis.add((System.nanoTime() - start) / 1_000_000);
    }
    long start = System.nanoTime();
    CatalogDiff week = replay.preview(CatalogRules.none(REDACTOR), candidate, 7);
    long weekMillis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "replay preview of %,d events over 30 days: %s ms (%d event names changed);"
            + " over the last 7 days (%,d events): %d ms%n",
        diff.eventsReplayed(), millis, diff.events().size(), week.eventsReplayed(), weekMillis);

    assertEquals(EVENTS, diff.eventsReplayed());
    assertEquals(200, diff.events().size());
    // Under no catalog nothing is held; the candidate holds the 100 features it does not list.
    assertEquals(EVENTS / 2, diff.newlyHeld());
  }
}
