package dev.tally.recordevent;

import dev.tally.store.EventLogs;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import dev.tally.store.FeatureFlags;
import dev.tally.usage.UsageQueries;
import dev.tally.usage.UsageRollup;
import java.time.Clock;
import javax.sql.DataSource;

/** What the administrator's fields read and change, over the instance database. */
record AdminStores(
    ExportQueue queue,
    ExportRuns runs,
    FeatureFlags flags,
    EventLogs eventLogs,
    UsageRollup rollup,
    UsageQueries usage,
    Clock clock) {

  static AdminStores of(DataSource dataSource, FeatureFlags flags, Clock clock) {
    return new AdminStores(
        new ExportQueue(dataSource, clock),
        new ExportRuns(dataSource),
        flags,
        new EventLogs(dataSource),
        new UsageRollup(dataSource, clock),
        new UsageQueries(dataSource),
        clock);
  }
}
