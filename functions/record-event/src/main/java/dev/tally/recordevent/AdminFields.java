package dev.tally.recordevent;

import com.google.protobuf.util.JsonFormat;
import dev.tally.json.Json;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.ExportQueue;
import graphql.schema.DataFetchingEnvironment;
import java.io.IOException;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The administrator's fields: what left the instance, and the events the export set aside, with the
 * mutations that retry or discard them. Each needs a site-admin token, and a request with any of
 * them counts once against the administrator rate limit.
 */
final class AdminFields {
  /** Largest page of a listing. */
  static final int MAX_PAGE = 1000;

  private final ExportQueue queue;
  private final AdminGate gate;

  AdminFields(ExportQueue queue, AdminGate gate) {
    this.queue = queue;
    this.gate = gate;
  }

  Object exportedEvents(DataFetchingEnvironment env) {
    gate.admit(env, "exportedEvents");
    ExportQueue.ExportedPage page =
        queue.listExported(first(env), env.getArgument("after"), env.getArgument("name"));
    List<Map<String, Object>> nodes = new ArrayList<>(page.nodes().size());
    for (ExportQueue.ExportedEvent event : page.nodes()) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", event.id().toString());
      node.put("exportedAt", event.exportedAt().atOffset(ZoneOffset.UTC));
      node.put("payload", payload(event.event()));
      nodes.add(node);
    }
    return connection(nodes, page.totalCount(), page.hasNextPage(), page.endCursor());
  }

  Object setAsideEvents(DataFetchingEnvironment env) {
    gate.admit(env, "setAsideEvents");
    ExportQueue.SetAsidePage page = queue.listSetAside(first(env), env.getArgument("after"));
    List<Map<String, Object>> nodes = new ArrayList<>(page.nodes().size());
    for (ExportQueue.SetAsideEvent event : page.nodes()) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", event.id().toString());
      node.put("setAsideAt", event.setAsideAt().atOffset(ZoneOffset.UTC));
      node.put("reason", event.reason());
      node.put("attempts", event.attempts());
      node.put("failures", event.failures());
      node.put("lastError", event.lastError());
      node.put("payload", event.event().map(AdminFields::payload).orElse(null));
      nodes.add(node);
    }
    return connection(nodes, page.totalCount(), page.hasNextPage(), page.endCursor());
  }

  Object retrySetAsideEvents(DataFetchingEnvironment env) {
    gate.admitChange(env, "retrySetAsideEvents");
    List<String> ids = env.getArgument("ids");
    int count = ids == null ? queue.retryAllSetAside() : queue.retrySetAside(uuids(ids));
    return Map.of("count", count);
  }

  Object discardSetAsideEvents(DataFetchingEnvironment env) {
    gate.admitChange(env, "discardSetAsideEvents");
    List<String> ids = env.getArgument("ids");
    return Map.of("count", queue.discardSetAside(uuids(ids)));
  }

  static int first(DataFetchingEnvironment env) {
    Integer first = env.getArgument("first");
    if (first == null || first < 0 || first > MAX_PAGE) {
      throw new IllegalArgumentException(
          "'first' must be between 0 and " + MAX_PAGE + ", got " + first);
    }
    return first;
  }

  static List<UUID> uuids(List<String> ids) {
    List<UUID> uuids = new ArrayList<>(ids.size());
    for (String id : ids) {
      try {
        uuids.add(UUID.fromString(id));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'ids' must hold event IDs (UUIDs), got '" + id + "'");
      }
    }
    return uuids;
  }

  private static Map<String, Object> connection(
      List<Map<String, Object>> nodes, long totalCount, boolean hasNextPage, String endCursor) {
    Map<String, Object> pageInfo = new LinkedHashMap<>();
    pageInfo.put("hasNextPage", hasNextPage);
    pageInfo.put("endCursor", endCursor);
    Map<String, Object> connection = new LinkedHashMap<>();
    connection.put("nodes", nodes);
    connection.put("totalCount", (int) Math.min(Integer.MAX_VALUE, totalCount));
    connection.put("pageInfo", pageInfo);
    return connection;
  }

  /** An event in the canonical JSON of {@code telemetrygateway.v1.Event}, as plain values. */
  static Object payload(Event event) {
    try {
      return Json.read(EventJson.PRINTER.print(event));
    } catch (IOException e) {
      throw new IllegalStateException("cannot print event " + event.getId(), e);
    }
  }

  /** The protobuf JSON printer, loaded with the first administrator's query, not before. */
  private static final class EventJson {
    static final JsonFormat.Printer PRINTER = JsonFormat.printer();
  }
}
