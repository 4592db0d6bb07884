package dev.tally.recordevent;

import dev.tally.catalog.CatalogSource;
import dev.tally.catalogstore.ObservedCatalog;
import dev.tally.privacy.Erasure;
import dev.tally.privacy.ExportOptOut;
import dev.tally.redact.Redactor;
import dev.tally.store.EventLogs;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import dev.tally.store.FeatureFlags;
import dev.tally.usage.UsageQueries;
import dev.tally.usage.UsageRollup;
import java.time.Clock;
import javax.sql.DataSource;

/**
 * What the administrator's fields (and a user's own privacy fields) read and change, over the
 * instance database.
 */
record AdminStores(
    ExportQueue queue,
    ExportRuns runs,
    FeatureFlags flags,
    EventLogs eventLogs,
    UsageRollup rollup,
    UsageQueries usage,
    Erasure erasure,
    ExportOptOut optOut,
    ObservedCatalog observedCatalog,
    CatalogSource catalogInForce,
    Clock clock) {

  /**
   * @param redactor the instance's redaction rules, which the catalog's rules add to
   */
  static AdminStores of(DataSource dataSource, FeatureFlags flags, Clock clock, Redactor redactor) {
    return new AdminStores(
        new ExportQueue(dataSource, clock),
        new ExportRuns(dataSource),
        flags,
        new EventLogs(dataSource),
        new UsageRollup(dataSource, clock),
        new UsageQueries(dataSource),
        new Erasure(dataSource, clock),
        new ExportOptOut(dataSource),
        new ObservedCatalog(dataSource, new UsageRollup(dataSource, clock), clock),
        // TODO(merge): RecordEventService's LiveCatalog (issue-26-record) in place of this read.
        ObservedCatalogFields.highestVersion(dataSource, redactor),
        clock);
  }
}
