package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.event.MarketingField;
import dev.tally.json.Json;
import dev.tally.recordevent.console.ConsoleBackend.RecordedEvent;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * {@code GET /console/events/ID}: one recorded event as the instance stores it beside what export
 * sends of it, and what the instance keeps that export withholds.
 */
final class EventPage {
  static final String PATH = Console.ROOT + "/events/";

  private final ConsoleBackend backend;
  private final Responses responses;

  EventPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param state where it is on its way out, in words
   * @param exportedAt when the gateway acknowledged it, or {@code null}
   * @param stored its stored row, indented JSON
   * @param exported what export sends of it, indented JSON; {@code null} when it is not queued
   * @param keptLocal why it stays on the instance for good, in words; {@code null} when nothing
   *     keeps it
   * @param held why the event catalog holds it, in words; {@code null} when it does not
   * @param withheld what export withholds of it
   * @param nothingWithheld whether it is exported whole
   */
  record View(
      String id,
      String name,
      String timestamp,
      String state,
      String exportedAt,
      String stored,
      String exported,
      String keptLocal,
      String held,
      List<String> withheld,
      boolean nothingWithheld) {}

  int show(SignedIn session, HttpResponse response, String id) throws IOException {
    Optional<RecordedEvent> event = backend.recordedEvent(session, id);
    if (event.isEmpty()) {
      return responses.error(response, 404, "No event with the ID " + id + " was recorded here.");
    }
    return responses.page(
        response,
        200,
        "event",
        Layout.signedIn("Event " + event.get().name(), Layout.Nav.RECORDED),
        view(event.get()));
  }

  static View view(RecordedEvent event) {
    Map<?, ?> exported = event.exported();
    List<String> withheld = exported == null ? List.of() : withheld(event.stored(), exported);
    Object reason = event.stored().get("kept_local_reason");
    boolean held = "unplanned".equals(reason);
    return new View(
        event.id(),
        event.name(),
        event.timestamp(),
        event.exportState().text(),
        event.exportedAt(),
        Json.writeIndented(event.stored()),
        exported == null ? null : Json.writeIndented(exported),
        held ? null : keptLocalText(reason),
        held
            ? "no approved entry of the catalog plans it; it is queued for export when an applied"
                + " version approves it (Catalog, Inbox)"
            : null,
        withheld,
        exported != null && withheld.isEmpty());
  }

  /** Why an event stayed on the instance, in words; {@code null} when nothing kept it. */
  static String keptLocalText(Object reason) {
    if (reason == null) {
      return null;
    }
    return switch (reason.toString()) {
      case "gpc" -> "the visitor's browser sent Global Privacy Control (Sec-GPC: 1)";
      case "dnt" -> "the visitor's browser sent Do Not Track (DNT: 1), which this instance honours";
      case "opt_out" -> "its user turned export of their own events off";
      case "legacy" -> "it was recorded by a pre-V2 mutation (logEvent), which is never exported";
      default -> reason.toString();
    };
  }

  /**
   * What the instance keeps of an event that its exported form lacks: private metadata keys outside
   * the allowlist and marketing tracking.
   */
  static List<String> withheld(Map<?, ?> stored, Map<?, ?> exported) {
    List<String> withheld = new ArrayList<>();
    Map<?, ?> parameters = exported.get("parameters") instanceof Map<?, ?> p ? p : Map.of();
    Map<?, ?> sentPrivate = parameters.get("privateMetadata") instanceof Map<?, ?> m ? m : Map.of();
    if (stored.get("argument") instanceof Map<?, ?> kept) {
      for (Object key : new TreeSet<>(kept.keySet())) {
        if (!sentPrivate.containsKey(key)) {
          withheld.add("private metadata \u201c" + key + "\u201d");
        }
      }
    }
    if (!exported.containsKey("marketingTracking")) {
      // Export never sends marketing tracking; the stored row has a column for each field.
      for (MarketingField field : MarketingField.values()) {
        String column = field.column();
        if (stored.get(column) != null) {
          withheld.add("marketing tracking \u201c" + column + "\u201d");
        }
      }
    }
    return withheld;
  }
}
