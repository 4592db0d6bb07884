package dev.tally.record;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.event.EventInput;
import dev.tally.event.InvalidEventException;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TelemetryRecorderTest {
  private final TestDatabase db;
  private final EventRecorder eventRecorder;

  TelemetryRecorderTest(TestDatabase db) {
    this.db = db;
    this.eventRecorder = TestRecorders.over(db);
  }

  @BeforeEach
  void reset() {
    db.execute("TRUNCATE event_logs, telemetry_events_export_queue");
  }

  @Test
  void record_storesABackendEvent() {
    TelemetryRecorder.create(eventRecorder)
        .record("myFeature", "myAction", EventInput.Parameters.of(0, Map.of("my_metadata", 12)));

    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE name = 'myFeature.myAction'"
                + " AND source = 'BACKEND' AND public_argument = '{\"my_metadata\": 12.0}'"));
  }

  @Test
  void about_recordsTheGivenUser() {
    TelemetryRecorder.create(eventRecorder)
        .about(Actor.user(99))
        .record("myFeature", "myAction", EventInput.Parameters.of(0, Map.of()));

    assertEquals(1, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = 99"));
  }

  @Test
  void record_throwsOnAnInvalidEvent() {
    TelemetryRecorder recorder = TelemetryRecorder.create(eventRecorder);
    assertThrows(
        InvalidEventException.class,
        () -> recorder.record("my_feature", "myAction", EventInput.Parameters.of(0, Map.of())));
  }

  @Test
  void bestEffort_logsInsteadOfThrowing() {
    Logger logger = Logger.getLogger(TelemetryRecorder.class.getName());
    List<LogRecord> records = new ArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            records.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(capture);
    try {
      assertDoesNotThrow(
          () ->
              TelemetryRecorder.bestEffort(eventRecorder)
                  .recordAll(
                      List.of(
                          EventInput.backend(
                              "my_feature", "myAction", EventInput.Parameters.of(0, Map.of())))));
    } finally {
      logger.removeHandler(capture);
    }

    assertEquals(1, records.size());
    assertTrue(records.get(0).getThrown() instanceof InvalidEventException);
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
  }
}
