package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.json.Json;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvent;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvents;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /console/exported}: what left the instance, newest first, each payload exactly as it
 * was sent, a page at a time ({@code ?after=}).
 */
final class ExportedPage {
  private final ConsoleBackend backend;
  private final Responses responses;

  ExportedPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param totalCount exported events kept on the instance
   * @param next the link to earlier exports; {@code null} when there are none
   */
  record View(long totalCount, List<Event> events, Next next) {}

  /**
   * An exported event.
   *
   * @param name its {@code feature.action}
   * @param payload the payload as sent, indented JSON
   */
  record Event(String id, String exportedAt, String name, String payload) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    String after = session.request().getFirstQueryParameter("after").orElse(null);
    ExportedEvents exported = backend.exportedEvents(session, after);
    return responses.page(
        response,
        200,
        "exported",
        Layout.signedIn("What leaves", Layout.Nav.EXPORTED),
        view(exported));
  }

  static View view(ExportedEvents exported) {
    List<Event> events = new ArrayList<>();
    for (ExportedEvent event : exported.page().nodes()) {
      events.add(
          new Event(
              event.id(),
              event.exportedAt(),
              event.payload().get("feature") + "." + event.payload().get("action"),
              Json.writeIndented(event.payload())));
    }
    return new View(exported.totalCount(), events, Next.of(exported.page()));
  }
}
