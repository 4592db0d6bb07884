package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.ExportOverview;
import dev.tally.recordevent.console.ConsoleBackend.ExportRun;
import dev.tally.recordevent.console.ConsoleBackend.ExportStatus;
import dev.tally.recordevent.console.ConsoleBackend.SetAsideEvent;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The export page and its two forms:
 *
 * <pre>
 * GET  /console/export           the export switch, the queue, recent runs, set-aside events
 * POST /console/export/switch    turn export on or off (enabled=true|false)
 * POST /console/export/set-aside retry or discard set-aside events (action=retry|discard, id=...,
 *                                or all=true to retry every one)
 * </pre>
 */
final class ExportPage {
  static final String PATH = Console.ROOT + "/export";
  static final String SWITCH_PATH = PATH + "/switch";
  static final String SET_ASIDE_PATH = PATH + "/set-aside";

  private final ConsoleBackend backend;
  private final Responses responses;

  ExportPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param oldest how long the oldest waiting event has waited, in words
   * @param setAsideCount all set-aside events, of which {@code setAsideEvents} are the newest
   */
  record View(
      ExportStatus status,
      boolean enabled,
      String oldest,
      List<Run> runs,
      List<SetAsideEvent> setAsideEvents,
      long setAsideCount,
      boolean hasSetAside) {}

  /**
   * An export run in the table.
   *
   * @param backlog events waiting after it, or {@code unknown}
   */
  record Run(
      String startedAt,
      long durationMs,
      long exported,
      long failed,
      long setAside,
      String backlog,
      String error) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    return responses.page(
        response,
        200,
        "export",
        Layout.signedIn("Export", Layout.Nav.EXPORT),
        view(backend.export(session)));
  }

  static View view(ExportOverview overview) {
    ExportStatus status = overview.status();
    List<Run> runs = new ArrayList<>();
    for (ExportRun run : status.recentRuns()) {
      runs.add(
          new Run(
              run.startedAt(),
              run.durationMs(),
              run.exported(),
              run.failed(),
              run.setAside(),
              run.backlog() == null ? "unknown" : String.valueOf(run.backlog()),
              run.error()));
    }
    Long oldest = status.oldestUnexportedSeconds();
    return new View(
        status,
        status.enabled(),
        oldest == null ? "none waiting" : age(oldest),
        runs,
        overview.setAside(),
        overview.setAsideCount(),
        !overview.setAside().isEmpty());
  }

  /** Turns export on or off, then back to the page. */
  int switchExport(SignedIn session, HttpResponse response) throws IOException {
    Optional<String> enabled = Form.read(session.request()).flatMap(form -> form.first("enabled"));
    if (enabled.isEmpty() || !List.of("true", "false").contains(enabled.get())) {
      return responses.error(
          response, 400, "Say whether export is to be on: enabled=true or false.");
    }
    backend.setExportEnabled(session, Boolean.parseBoolean(enabled.get()));
    return Responses.redirect(response, PATH);
  }

  /** Retries or discards the chosen set-aside events, then back to their table. */
  int changeSetAside(SignedIn session, HttpResponse response) throws IOException {
    Optional<Form> read = Form.read(session.request());
    if (read.isEmpty()) {
      return responses.error(response, 413, "The form was too large.");
    }
    Form form = read.get();
    String action = form.first("action").orElse("");
    List<String> ids = form.all("id");
    boolean all = form.first("all").isPresent();
    if (action.equals("retry") && all) {
      backend.retryAllSetAsideEvents(session);
    } else if (action.equals("retry") && !ids.isEmpty()) {
      backend.retrySetAsideEvents(session, ids);
    } else if (action.equals("discard") && !ids.isEmpty()) {
      backend.discardSetAsideEvents(session, ids);
    } else {
      return responses.error(response, 400, "Choose events and retry or discard them.");
    }
    return Responses.redirect(response, PATH + "#set-aside");
  }

  /**
   * A duration for people: {@code 45 s}, {@code 3 min 20 s}, {@code 2 h 5 min}, {@code 3 d 4 h}.
   */
  static String age(long seconds) {
    if (seconds < 60) {
      return seconds + " s";
    }
    if (seconds < 3600) {
      return seconds / 60 + " min " + seconds % 60 + " s";
    }
    if (seconds < 86_400) {
      return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }
    return seconds / 86_400 + " d " + seconds % 86_400 / 3600 + " h";
  }
}
