package dev.tally.recordevent;

import dev.tally.store.EventLogs;
import dev.tally.store.ExportQueue;
import graphql.schema.DataFetchingEnvironment;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
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

  private static String state(ExportQueue.QueueEntry entry) {
    if (entry.exportedAt() != null) {
      return "EXPORTED";
    }
    return entry.setAsideAt() != null ? "SET_ASIDE" : "WAITING";
  }
}
