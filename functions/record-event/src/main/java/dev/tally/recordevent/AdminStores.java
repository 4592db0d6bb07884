package dev.tally.recordevent;

import dev.tally.catalogstore.CatalogApply;
import dev.tally.catalogstore.LiveCatalog;
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
    CatalogApply catalog,
    LiveCatalog liveCatalog,
    Clock clock) {

  /**
   * @param redactor the instance's redaction rules, which the catalog's rules add to
   * @param liveCatalog the catalog this instance records by: a version it applies is installed
   *     there at once
   */
  static AdminStores of(
      DataSource dataSource,
      FeatureFlags flags,
      Clock clock,
      Redactor redactor,
      LiveCatalog liveCatalog) {
    return new AdminStores(
        new ExportQueue(dataSource, clock),
        new ExportRuns(dataSource),
        flags,
        new EventLogs(dataSource),
        new UsageRollup(dataSource, clock),
        new UsageQueries(dataSource),
        new Erasure(dataSource, clock),
        new ExportOptOut(dataSource),
        new CatalogApply(dataSource, clock, redactor),
        liveCatalog,
        clock);
  }
}
