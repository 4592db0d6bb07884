package dev.tally.recordevent;

import dev.tally.log.JsonLog;
import dev.tally.store.ExportQueue;
import dev.tally.store.ExportRuns;
import dev.tally.store.FeatureFlags;
import graphql.schema.DataFetchingEnvironment;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The administrator's view of export: the {@code telemetry-export} switch, the queue and the recent
 * runs ({@code exportStatus}), and the switch itself ({@code setExportEnabled}).
 */
final class ExportStatusFields {
  /** Most runs listed at once. */
  static final int MAX_RUNS = ExportRuns.KEPT;

  private final AdminStores stores;
  private final AdminGate gate;

  ExportStatusFields(AdminStores stores, AdminGate gate) {
    this.stores = stores;
    this.gate = gate;
  }

  Object exportStatus(DataFetchingEnvironment env) {
    gate.admit(env, "exportStatus");
    return status(env);
  }

  Object setExportEnabled(DataFetchingEnvironment env) {
    RequestState state = gate.admitChange(env, "setExportEnabled");
    boolean enabled = env.getArgument("enabled");
    stores.flags().set(FeatureFlags.TELEMETRY_EXPORT, enabled);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("flag", FeatureFlags.TELEMETRY_EXPORT);
    fields.put("enabled", enabled);
    if (state.context().actor().userId() != null) {
      fields.put("userId", state.context().actor().userId());
    }
    JsonLog.info("export switched by an administrator", fields);
    return status(env);
  }

  /**
   * The status; its recentRuns field is read by {@link #recentRuns}. The exported events kept are
   * counted only when {@code env} asks for them: one index entry each, where the rest is read from
   * the queue's small partial indexes (at 50 million kept rows that count took 10 s from memory,
   * minutes from disk).
   */
  private Map<String, Object> status(DataFetchingEnvironment env) {
    ExportQueue.Waiting waiting = stores.queue().waiting();
    FeatureFlags.Overrides overrides = stores.flags().overrides(FeatureFlags.TELEMETRY_EXPORT);
    Map<String, Object> status = new LinkedHashMap<>();
    status.put(
        "enabled", stores.flags().instanceValue(FeatureFlags.TELEMETRY_EXPORT).orElse(false));
    status.put("usersOverridingOn", overrides.on());
    status.put("usersOverridingOff", overrides.off());
    status.put("usersOptedOut", stores.optOut().count());
    status.put("backlog", UsageFields.count(waiting.unexported()));
    status.put(
        "oldestUnexportedSeconds",
        waiting
            .oldestUnexportedAge()
            .map(Duration::toSeconds)
            .map(UsageFields::count)
            .orElse(null));
    if (env.getSelectionSet().contains("exportedKept")) {
      status.put("exportedKept", UsageFields.count(stores.queue().exportedKept()));
    }
    status.put("setAside", UsageFields.count(waiting.setAside()));
    return status;
  }

  Object recentRuns(DataFetchingEnvironment env) {
    Integer first = env.getArgument("first");
    if (first == null || first < 0 || first > MAX_RUNS) {
      throw new IllegalArgumentException(
          "'first' must be between 0 and " + MAX_RUNS + ", got " + first);
    }
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (ExportRuns.Run run : stores.runs().recent(first)) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("startedAt", run.startedAt().atOffset(ZoneOffset.UTC));
      node.put("durationMs", UsageFields.count(run.durationMs()));
      node.put("exported", run.exported());
      node.put("failed", run.failed());
      node.put("setAside", run.setAside());
      node.put("backlog", run.backlog() == null ? null : UsageFields.count(run.backlog()));
      node.put("error", run.error());
      nodes.add(node);
    }
    return nodes;
  }
}
