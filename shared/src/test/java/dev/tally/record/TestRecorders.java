package dev.tally.record;

import dev.tally.event.EventBuilder;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.TestDatabase;
import java.time.Clock;

/** Recorders for this package's tests. */
final class TestRecorders {
  private TestRecorders() {}

  /** A recorder as a function builds one by default (the built-in allowlist), over {@code db}. */
  static EventRecorder over(TestDatabase db) {
    return new EventRecorder(
        new EventBuilder(Clock.systemUTC(), "1.0.0"),
        new FeatureFlags(db.dataSource()),
        new TeeStore(
            db.dataSource(),
            new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn())),
        RecordingLimits.DEFAULTS);
  }
}
