package dev.tally.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventInput;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.record.TelemetryRecorder;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The privacy rule where every recording goes through: events a signal or an opt-out keeps local
 * are in {@code event_logs} with the reason and never in the export queue, whichever entry point
 * recorded them (here the Java recorder).
 */
@ExtendWith(PostgresExtension.class)
class PrivacyRecordingTest {
  private static final PrivacySignals GPC = PrivacySignals.fromHeaders("1", null);
  private static final PrivacySignals DNT = PrivacySignals.fromHeaders(null, "1");

  private final TestDatabase db;
  private final FeatureFlags flags;

  PrivacyRecordingTest(TestDatabase db) {
    this.db = db;
    this.flags = new FeatureFlags(db.dataSource());
  }

  @BeforeEach
  void exportOn() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags,"
            + " feature_flag_overrides, export_opt_outs CASCADE");
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  @Test
  void globalPrivacyControl_keepsTheEventsLocalByDefault() {
    recorder(PrivacySettings.DEFAULTS).withSignals(GPC).record("myFeature", "gpc", none());
    recorder(PrivacySettings.DEFAULTS).record("myFeature", "plain", none());

    assertEquals("gpc", reason("myFeature.gpc"));
    assertFalse(queued("myFeature.gpc"));
    assertNull(reason("myFeature.plain"));
    assertTrue(queued("myFeature.plain"));
  }

  @Test
  void doNotTrack_isQueuedUnlessTheInstanceHonoursIt() {
    recorder(PrivacySettings.DEFAULTS).withSignals(DNT).record("myFeature", "dntOff", none());
    recorder(new PrivacySettings(true, true)).withSignals(DNT).record("myFeature", "dntOn", none());

    assertNull(reason("myFeature.dntOff"));
    assertTrue(queued("myFeature.dntOff"));
    assertEquals("dnt", reason("myFeature.dntOn"));
    assertFalse(queued("myFeature.dntOn"));
  }

  @Test
  void globalPrivacyControl_isQueuedWhenTheInstanceDoesNotHonourIt() {
    recorder(new PrivacySettings(false, false))
        .withSignals(GPC)
        .record("myFeature", "signalled", none());

    assertNull(reason("myFeature.signalled"));
    assertTrue(queued("myFeature.signalled"));
  }

  @Test
  void optOut_keepsOnlyThatUsersEventsLocal_untilTheyOptBackIn() {
    ExportOptOut optOut = new ExportOptOut(db.dataSource());
    optOut.set(7, true);
    assertTrue(optOut.isOptedOut(7));
    assertFalse(optOut.isOptedOut(8));

    TelemetryRecorder recorder = recorder(PrivacySettings.DEFAULTS);
    recorder.about(Actor.user(7)).record("myFeature", "optedOut", none());
    recorder.about(Actor.user(8)).record("myFeature", "other", none());
    optOut.set(7, false);
    recorder.about(Actor.user(7)).record("myFeature", "optedIn", none());

    assertEquals("opt_out", reason("myFeature.optedOut"));
    assertFalse(queued("myFeature.optedOut"));
    assertTrue(queued("myFeature.other"));
    assertTrue(queued("myFeature.optedIn"));
    assertFalse(optOut.isOptedOut(7));
  }

  @Test
  void optingBackIn_leavesAnAdministratorsPerUserOnAlone() {
    flags.set(FeatureFlags.TELEMETRY_EXPORT, false);
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 9, true);
    ExportOptOut optOut = new ExportOptOut(db.dataSource());
    optOut.set(9, true);
    TelemetryRecorder recorder = recorder(PrivacySettings.DEFAULTS).about(Actor.user(9));
    recorder.record("myFeature", "optedOut", none());

    optOut.set(9, false);
    recorder.record("myFeature", "optedIn", none());

    assertEquals("opt_out", reason("myFeature.optedOut"), "the user's refusal wins over an on");
    assertFalse(queued("myFeature.optedOut"));
    assertFalse(optOut.isOptedOut(9));
    assertEquals(Optional.of(true), flags.override(FeatureFlags.TELEMETRY_EXPORT, 9));
    assertTrue(queued("myFeature.optedIn"), "the administrator's on applies again");
  }

  @Test
  void optingBackIn_leavesAnAdministratorsPerUserOffInPlace() {
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 9, false);
    ExportOptOut optOut = new ExportOptOut(db.dataSource());
    optOut.set(9, true);

    optOut.set(9, false);
    recorder(PrivacySettings.DEFAULTS).about(Actor.user(9)).record("myFeature", "optedIn", none());

    assertFalse(optOut.isOptedOut(9));
    assertEquals(Optional.of(false), flags.override(FeatureFlags.TELEMETRY_EXPORT, 9));
    assertFalse(queued("myFeature.optedIn"), "the administrator's off still applies");
    assertNull(reason("myFeature.optedIn"), "not queued because export is off: not kept local");
  }

  @Test
  void administratorsPerUserOff_isNotTheUsersOptOut() {
    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 9, false);

    recorder(PrivacySettings.DEFAULTS).about(Actor.user(9)).record("myFeature", "off", none());

    assertFalse(new ExportOptOut(db.dataSource()).isOptedOut(9));
    assertFalse(queued("myFeature.off"));
    assertNull(reason("myFeature.off"), "treated as export off, as the instance's off is");
  }

  @Test
  void administratorsChanges_leaveTheUsersOptOutInPlace() {
    ExportOptOut optOut = new ExportOptOut(db.dataSource());
    optOut.set(9, true);

    flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, 9, true);
    flags.removeOverride(FeatureFlags.TELEMETRY_EXPORT, 9);
    recorder(PrivacySettings.DEFAULTS).about(Actor.user(9)).record("myFeature", "after", none());

    assertTrue(optOut.isOptedOut(9));
    assertEquals("opt_out", reason("myFeature.after"));
    assertFalse(queued("myFeature.after"));
  }

  @Test
  void optingOut_worksBeforeTheFlagExists() {
    db.execute("TRUNCATE feature_flags CASCADE");
    ExportOptOut optOut = new ExportOptOut(db.dataSource());

    optOut.set(5, true);
    optOut.set(5, true);
    recorder(PrivacySettings.DEFAULTS).about(Actor.user(5)).record("myFeature", "early", none());

    assertTrue(optOut.isOptedOut(5));
    assertEquals(1, optOut.count(), "opting out twice is one opt-out");
    assertEquals("opt_out", reason("myFeature.early"));
  }

  @Test
  void optOut_winsOverAPrivacySignal() {
    new ExportOptOut(db.dataSource()).set(7, true);

    recorder(PrivacySettings.DEFAULTS)
        .about(Actor.user(7))
        .withSignals(GPC)
        .record("myFeature", "both", none());

    assertEquals("opt_out", reason("myFeature.both"));
  }

  @Test
  void fromHeaders_readsOnlyTheValueOne() {
    assertEquals(PrivacySignals.NONE, PrivacySignals.fromHeaders("0", "0"));
    assertEquals(PrivacySignals.NONE, PrivacySignals.fromHeaders("yes", null));
    assertEquals(new PrivacySignals(true, true), PrivacySignals.fromHeaders(" 1 ", "1"));
  }

  @Test
  void settingsFromEnv_honourGlobalPrivacyControlAndNotDoNotTrackByDefault() {
    assertEquals(PrivacySettings.DEFAULTS, PrivacySettings.fromEnv(Map.of()));
    assertEquals(
        new PrivacySettings(false, true),
        PrivacySettings.fromEnv(
            Map.of(PrivacySettings.HONOR_GPC, "false", PrivacySettings.HONOR_DNT, "true")));
  }

  private TelemetryRecorder recorder(PrivacySettings settings) {
    return TelemetryRecorder.create(
        new EventRecorder(
            new EventBuilder(Clock.systemUTC(), "1.0.0"),
            flags,
            new TeeStore(
                db.dataSource(),
                new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())),
            RecordingLimits.DEFAULTS,
            settings));
  }

  private static EventInput.Parameters none() {
    return EventInput.Parameters.of(0, Map.of());
  }

  private String reason(String name) {
    return db.queryString("SELECT kept_local_reason FROM event_logs WHERE name = '" + name + "'");
  }

  private boolean queued(String name) {
    return db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue q JOIN event_logs e"
                + " ON e.event_id = q.id WHERE e.name = '"
                + name
                + "'")
        == 1;
  }
}
