package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.ActiveUsers;
import dev.tally.recordevent.console.ConsoleBackend.DayEvents;
import dev.tally.recordevent.console.ConsoleBackend.EventUsage;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import dev.tally.recordevent.console.ConsoleBackend.UsageReport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /console}: usage over the last 7, 30 or 90 days ({@code ?days=}): events per day as a
 * chart and a table, the top events, active users and clients.
 */
final class UsagePage {
  static final List<Integer> RANGES = List.of(7, 30, 90);
  static final int DEFAULT_RANGE = 30;

  private final ConsoleBackend backend;
  private final Responses responses;

  UsagePage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param days the range shown
   * @param pending recently recorded events not counted yet; {@code null} when there are none
   * @param features the features the days are split by
   * @param rows the chart's numbers, a row per day
   */
  record View(
      String from,
      String to,
      int days,
      List<Range> ranges,
      Long pending,
      UsageChart chart,
      List<String> features,
      List<Row> rows,
      List<EventUsage> topEvents,
      ActiveUsers activeUsers,
      List<Client> clients) {}

  /** A range to choose, and whether it is the one shown. */
  record Range(int days, boolean current) {}

  /**
   * A day of the table.
   *
   * @param cells its events per feature, in the order of the features
   */
  record Row(String day, long events, List<Long> cells, long other) {}

  /**
   * A client of the table.
   *
   * @param version the client's version, or {@code none}
   */
  record Client(String client, String version, long events) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    int days =
        session
            .request()
            .getFirstQueryParameter("days")
            .filter(d -> d.matches("\\d{1,3}"))
            .map(Integer::parseInt)
            .filter(RANGES::contains)
            .orElse(DEFAULT_RANGE);
    UsageReport report = backend.usage(session, days);
    return responses.page(
        response, 200, "usage", Layout.signedIn("Usage", Layout.Nav.USAGE), view(report, days));
  }

  static View view(UsageReport report, int days) {
    List<Range> ranges = new ArrayList<>();
    for (int range : RANGES) {
      ranges.add(new Range(range, range == days));
    }
    List<Row> rows = new ArrayList<>();
    for (DayEvents day : report.days()) {
      rows.add(new Row(day.day(), day.events(), day.byFeature(), day.other()));
    }
    List<Client> clients = new ArrayList<>();
    for (ConsoleBackend.ClientUsage client : report.clients()) {
      clients.add(
          new Client(
              client.client(),
              client.version() == null ? "none" : client.version(),
              client.events()));
    }
    return new View(
        report.from(),
        report.to(),
        days,
        ranges,
        report.pendingEvents() > 0 ? report.pendingEvents() : null,
        UsageChart.of(report.features(), report.days()),
        report.features(),
        rows,
        report.topEvents(),
        report.activeUsers(),
        clients);
  }
}
