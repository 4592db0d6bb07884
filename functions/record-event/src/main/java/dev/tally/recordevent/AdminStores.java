package dev.tally.recordevent;

import dev.tally.catalogstore.CatalogApply;
import dev.tally.catalogstore.LiveCatalog;
import dev.tally.catalogstore.ObservedCatalog;
import dev.tally.egress.EgressLedger;
import dev.tally.privacy.Erasure;
import dev.tally.privacy.ExportOptOut;
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
    LiveCatalog catalogInForce,
    CatalogApply catalog,
    EgressLedger egress,
    Clock clock) {

  /**
   * @param catalogInForce the catalog in force, as recording reads it: the observed catalog is
   *     judged by it, and a version applied through this instance is installed there at once
   */
  static AdminStores of(
      DataSource dataSource, FeatureFlags flags, Clock clock, LiveCatalog catalogInForce) {
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
        catalogInForce,
        new CatalogApply(dataSource, clock, catalogInForce.redactor()),
        new EgressLedger(dataSource),
        clock);
  }
}
