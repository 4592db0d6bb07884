package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.egress.EgressReport;
import dev.tally.json.Json;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvent;
import dev.tally.recordevent.console.ConsoleBackend.ExportedEvents;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /console/exported}: the egress report of a period ({@code ?days=7|30|90}, or {@code
 * ?from=YYYY-MM-DD&to=YYYY-MM-DD}; 30 days by default) with what is new against the period before
 * at the top, then what left the instance, newest first, each payload exactly as it was sent, a
 * page at a time ({@code ?after=}), all of them or those of one {@code feature.action} ({@code
 * ?name=}).
 */
final class ExportedPage {
  /** The periods the chooser offers, in days. */
  static final List<Integer> PERIODS = List.of(7, 30, 90);

  static final int DEFAULT_DAYS = 30;

  private final ConsoleBackend backend;
  private final Responses responses;

  ExportedPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param report the egress report; {@code null} on a page of a listing after the first
   * @param name the {@code feature.action} the listing is filtered by; {@code null}: none
   * @param totalCount exported events kept on the instance (of that name, when filtered)
   * @param nextAfter the cursor of the link to earlier exports; {@code null} when there are none
   */
  record View(Report report, String name, long totalCount, List<Event> events, String nextAfter) {}

  /**
   * The egress report as the page shows it.
   *
   * @param periods the chooser's periods, the one shown marked
   * @param from the first day shown, for the chooser's date fields
   * @param news what is new against the period before, one line each; empty when nothing is
   * @param names one row per {@code feature.action}, those with news first
   */
  record Report(
      List<Choice> periods,
      String from,
      String to,
      String previousFrom,
      String previousTo,
      long events,
      long bytes,
      List<News> news,
      List<Row> names) {
    public boolean hasNews() {
      return !news.isEmpty();
    }

    public boolean hasNames() {
      return !names.isEmpty();
    }
  }

  /** A period of the chooser (the template links it), and whether it is the one shown. */
  record Choice(int days, boolean current) {}

  /**
   * A line of what is new.
   *
   * @param field the field path that left newly; {@code null}: the name itself is new
   */
  record News(String name, String field) {}

  /**
   * One {@code feature.action} of the report (the template links it to its exported events).
   *
   * @param left its fields that left, with the events that carried each out
   * @param withheld its fields withheld, with the events each was withheld from
   */
  record Row(
      String name,
      long events,
      long bytes,
      String catalogVersions,
      boolean isNew,
      List<Count> left,
      List<Count> withheld) {}

  /** A field path and a number of events; {@code newlyLeft} marks one that left newly. */
  record Count(String field, long events, boolean newlyLeft) {}

  /**
   * An exported event.
   *
   * @param name its {@code feature.action}
   * @param payload the payload as sent, indented JSON
   */
  record Event(String id, String exportedAt, String name, String payload) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    String after = parameter(session, "after");
    String name = parameter(session, "name");
    Report report = null;
    if (after == null) {
      String from = parameter(session, "from");
      String to = parameter(session, "to");
      int days = DEFAULT_DAYS;
      String daysText = parameter(session, "days");
      if (daysText != null && from == null && to == null) {
        if (!PERIODS.contains(parseOrZero(daysText))) {
          return responses.error(
              response,
              400,
              "The period is 7, 30 or 90 days, or from a date to a date; got days="
                  + daysText
                  + ".");
        }
        days = Integer.parseInt(daysText);
      }
      boolean dated = from != null || to != null;
      report = report(backend.egressReport(session, from, to, days), dated ? 0 : days);
    }
    ExportedEvents exported = backend.exportedEvents(session, after, name);
    return responses.page(
        response,
        200,
        "exported",
        Layout.signedIn("What leaves", Layout.Nav.EXPORTED),
        view(report, name, exported));
  }

  private static String parameter(SignedIn session, String name) {
    return session
        .request()
        .getFirstQueryParameter(name)
        .filter(value -> !value.isBlank())
        .orElse(null);
  }

  private static int parseOrZero(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The report's view; {@code days} is the chooser's period shown, 0 for dates. */
  static Report report(EgressReport report, int days) {
    List<Choice> periods = new ArrayList<>();
    for (int period : PERIODS) {
      periods.add(new Choice(period, period == days));
    }
    List<News> news = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    for (EgressReport.Name name : report.names()) {
      String dotted = name.feature() + "." + name.action();
      if (name.isNew()) {
        news.add(new News(dotted, null));
      }
      List<Count> left = new ArrayList<>();
      List<Count> withheld = new ArrayList<>();
      for (EgressReport.Field field : name.fields()) {
        if (field.newlyLeft()) {
          news.add(new News(dotted, field.field()));
        }
        if (field.leftEvents() > 0) {
          left.add(new Count(field.field(), field.leftEvents(), field.newlyLeft()));
        }
        if (field.withheldEvents() > 0) {
          withheld.add(new Count(field.field(), field.withheldEvents(), false));
        }
      }
      rows.add(
          new Row(
              dotted,
              name.events(),
              name.bytes(),
              String.join(
                  ", ",
                  name.catalogVersions().stream()
                      .map(version -> Integer.toString(version))
                      .toList()),
              name.isNew(),
              left,
              withheld));
    }
    return new Report(
        periods,
        report.period().from().toString(),
        report.period().to().toString(),
        report.previous().from().toString(),
        report.previous().to().toString(),
        report.events(),
        report.bytes(),
        news,
        rows);
  }

  static View view(Report report, String name, ExportedEvents exported) {
    List<Event> events = new ArrayList<>();
    for (ExportedEvent event : exported.page().nodes()) {
      events.add(
          new Event(
              event.id(),
              event.exportedAt(),
              event.payload().get("feature") + "." + event.payload().get("action"),
              Json.writeIndented(event.payload())));
    }
    Next next = Next.of(exported.page());
    return new View(
        report, name, exported.totalCount(), events, next == null ? null : next.after());
  }
}
