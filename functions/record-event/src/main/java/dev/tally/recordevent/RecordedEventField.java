package dev.tally.recordevent;

import dev.tally.store.EventLogs;
import dev.tally.store.ExportQueue;
import graphql.schema.DataFetchingEnvironment;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The administrator's {@code recordedEvent} field: one event as the instance stores it beside what
 * export sends of it, so that the redaction is there to see.
 */
final class RecordedEventField {
  private final AdminStores stores;
  private final AdminGate gate;

  RecordedEventField(AdminStores stores, AdminGate gate) {
    this.stores = stores;
    this.gate = gate;
  }

  Object recordedEvent(DataFetchingEnvironment env) {
    gate.admit(env, "recordedEvent");
    String text = env.getArgument("id");
    UUID id;
    try {
      id = UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'id' must be an event ID (a UUID), got '" + text + "'");
    }
    Optional<EventLogs.StoredEvent> stored = stores.eventLogs().find(id);
    if (stored.isEmpty()) {
      return null;
    }
    Optional<ExportQueue.QueueEntry> queued = stores.queue().find(id);
    Map<String, Object> node = new LinkedHashMap<>();
    node.put("id", id.toString());
    node.put("name", stored.get().name());
    node.put("timestamp", stored.get().timestamp().atOffset(ZoneOffset.UTC));
    node.put("stored", stored.get().columns());
    node.put("exportState", queued.map(RecordedEventField::state).orElse("NOT_QUEUED"));
    node.put(
        "exportedAt",
        queued
            .map(ExportQueue.QueueEntry::exportedAt)
            .map(at -> at.atOffset(ZoneOffset.UTC))
            .orElse(null));
    node.put(
        "exported",
        queued.flatMap(ExportQueue.QueueEntry::event).map(AdminFields::payload).orElse(null));
    return node;
  }

  /** Recorded events, newest first: where each is in the export queue. */
  Object recordedEvents(DataFetchingEnvironment env) {
    gate.admit(env, "recordedEvents");
    int first = AdminFields.first(env);
    String after = env.getArgument("after");
    Long before = null;
    if (after != null) {
      try {
        before = Long.parseLong(after);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'after' must be an endCursor returned by a previous page, got '" + after + "'");
      }
    }
    List<EventLogs.Recorded> page = stores.eventLogs().listRecent(first + 1, before);
    boolean hasNext = page.size() > first;
    List<EventLogs.Recorded> shown = hasNext ? page.subList(0, first) : page;
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (EventLogs.Recorded event : shown) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", event.id().toString());
      node.put("name", event.name());
      node.put("timestamp", event.timestamp().atOffset(ZoneOffset.UTC));
      node.put("client", event.client());
      Optional<ExportQueue.QueueEntry> queued = stores.queue().find(event.id());
      node.put("exportState", queued.map(RecordedEventField::state).orElse("NOT_QUEUED"));
      nodes.add(node);
    }
    Map<String, Object> pageInfo = new LinkedHashMap<>();
    pageInfo.put("hasNextPage", hasNext);
    pageInfo.put(
        "endCursor",
        shown.isEmpty() ? null : String.valueOf(shown.get(shown.size() - 1).position()));
    return Map.of("nodes", nodes, "pageInfo", pageInfo);
  }

  private static String state(ExportQueue.QueueEntry entry) {
    if (entry.exportedAt() != null) {
      return "EXPORTED";
    }
    return entry.setAsideAt() != null ? "SET_ASIDE" : "WAITING";
  }
}
