package dev.tally.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one export run did. {@link #fields()} are the stable names of the run's log line and HTTP
 * answer, read by log-based metrics and alerts.
 *
 * @param exportEnabled whether a gateway address is configured
 * @param exported events the gateway acknowledged and that were marked exported
 * @param failed events sent but not acknowledged; released for a later retry
 * @param batchSizes events per claimed batch, in order
 * @param requests calls made to the gateway (a batch takes several when it is larger than a request
 *     may be, or when a refused request is split to find the event at fault)
 * @param cleanupRan whether this run did the queue cleanup
 * @param cleanupCutShort whether the cleanup stopped at its deadline with work left; the next run
 *     goes on with it
 * @param pruned exported events deleted after the retention
 * @param prunedEventLogs {@code event_logs} rows deleted after their retention (0 when it is off)
 * @param backlog events waiting for export after the run, -1 when it could not be measured
 * @param oldestUnexportedSeconds age of the oldest of them, 0 when none waits, -1 when unknown
 * @param setAside events set aside and waiting for an admin after the run, -1 when unknown
 * @param setAsideThisRun events this run set aside
 * @param durationMs how long the run took
 * @param error the first error of the run, or {@code null}
 * @param databaseUnavailable whether the run stopped because the database failed
 * @param cancelled whether the run was cancelled because the instance was stopping; its unsent
 *     events were released for the next run
 */
public record ExportRun(
    boolean exportEnabled,
    int exported,
    int failed,
    List<Integer> batchSizes,
    int requests,
    boolean cleanupRan,
    boolean cleanupCutShort,
    int pruned,
    long prunedEventLogs,
    long backlog,
    long oldestUnexportedSeconds,
    long setAside,
    int setAsideThisRun,
    long durationMs,
    String error,
    boolean databaseUnavailable,
    boolean cancelled) {

  /** The run as the fields of its log line; measurements the run could not take are left out. */
  public Map<String, Object> fields() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("exportEnabled", exportEnabled);
    fields.put("exported", exported);
    fields.put("failed", failed);
    fields.put("batches", batchSizes.size());
    fields.put("batchSizes", batchSizes);
    fields.put("requests", requests);
    fields.put("cleanupRan", cleanupRan);
    fields.put("cleanupCutShort", cleanupCutShort);
    fields.put("pruned", pruned);
    fields.put("prunedEventLogs", prunedEventLogs);
    if (backlog >= 0) {
      fields.put("backlog", backlog);
      fields.put("oldestUnexportedSeconds", oldestUnexportedSeconds);
      fields.put("setAside", setAside);
    }
    fields.put("setAsideThisRun", setAsideThisRun);
    fields.put("durationMs", durationMs);
    fields.put("cancelled", cancelled);
    if (error != null) {
      fields.put("error", error);
    }
    return fields;
  }
}
