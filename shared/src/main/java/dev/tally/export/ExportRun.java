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
 * @param cleanupRan whether this run did the queue cleanup
 * @param pruned exported events deleted after the retention
 * @param prunedSetAside set-aside rows deleted after the retention
 * @param backlog events waiting for export after the run
 * @param oldestUnexportedSeconds age of the oldest of them, 0 when none waits
 * @param setAside rows set aside because they cannot be decoded
 * @param durationMs how long the run took
 * @param error the first error of the run, or {@code null}
 */
public record ExportRun(
    boolean exportEnabled,
    int exported,
    int failed,
    List<Integer> batchSizes,
    boolean cleanupRan,
    int pruned,
    int prunedSetAside,
    long backlog,
    long oldestUnexportedSeconds,
    long setAside,
    long durationMs,
    String error) {

  /** The run as the fields of its log line. */
  public Map<String, Object> fields() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("exportEnabled", exportEnabled);
    fields.put("exported", exported);
    fields.put("failed", failed);
    fields.put("batches", batchSizes.size());
    fields.put("batchSizes", batchSizes);
    fields.put("cleanupRan", cleanupRan);
    fields.put("pruned", pruned);
    fields.put("prunedSetAside", prunedSetAside);
    fields.put("backlog", backlog);
    fields.put("oldestUnexportedSeconds", oldestUnexportedSeconds);
    fields.put("setAside", setAside);
    fields.put("durationMs", durationMs);
    if (error != null) {
      fields.put("error", error);
    }
    return fields;
  }
}
