package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.Page;
import dev.tally.recordevent.console.ConsoleBackend.RecordedEventSummary;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /console/events}: recorded events, newest first, a page at a time ({@code ?after=}).
 */
final class RecordedEventsPage {
  private final ConsoleBackend backend;
  private final Responses responses;

  RecordedEventsPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param next the link to older events; {@code null} when there are none
   */
  record View(List<Row> events, Next next) {}

  /**
   * A recorded event in the table.
   *
   * @param state where it is on its way out, in words
   */
  record Row(String id, String name, String timestamp, String client, String state) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    String after = session.request().getFirstQueryParameter("after").orElse(null);
    Page<RecordedEventSummary> page = backend.recordedEvents(session, after);
    return responses.page(
        response,
        200,
        "recorded",
        Layout.signedIn("Recorded events", Layout.Nav.RECORDED),
        view(page));
  }

  static View view(Page<RecordedEventSummary> page) {
    List<Row> rows = new ArrayList<>();
    for (RecordedEventSummary event : page.nodes()) {
      rows.add(
          new Row(
              event.id(),
              event.name(),
              event.timestamp(),
              event.client(),
              event.exportState().text()));
    }
    return new View(rows, Next.of(page));
  }
}
