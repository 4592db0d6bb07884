package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

/**
 * The administrators' console: answers the requests under {@code /console} with server-rendered
 * pages built from what a {@link ConsoleBackend} reads.
 *
 * <pre>
 * GET  /console                    usage: events per day, top events, active users, clients
 * GET  /console/events             recorded events, newest first
 * GET  /console/events/ID          one event as stored beside what export sends of it
 * GET  /console/exported           what left the instance, newest first, each payload as sent
 * GET  /console/export             the export switch, the queue, recent runs, set-aside events
 * POST /console/export/switch      turn export on or off (enabled=true|false)
 * POST /console/export/set-aside   retry or discard set-aside events (action=retry|discard, id=...)
 * GET  /console/catalog            the event catalog in force: version, policy, entries
 * GET  /console/catalog/inbox      observed events the catalog does not plan, with their entries
 * GET  /console/catalog/draft.yaml the observed catalog as a draft file (a download)
 * GET  /console/catalog/counters   what the catalog held and dropped, and would, per day
 * GET  /console/catalog/versions   the applied versions with their diffs and files
 * GET  /console/sign-in            the sign-in form; POST signs in (token=...)
 * POST /console/sign-out           signs out
 * GET  /console/console.css        the style sheet
 * GET  /console/console.js         the script of the copy buttons
 * </pre>
 *
 * <p>This class routes; each page is a class of its own ({@link UsagePage}, {@link
 * RecordedEventsPage}, {@link EventPage}, {@link ExportedPage}, {@link ExportPage}, {@link
 * CatalogPage}, {@link CatalogInboxPage}, {@link CatalogCountersPage}, {@link
 * CatalogVersionsPage}), signing in and out is {@link SignIn}, and {@link Responses} writes what
 * they answer. Every page but the sign-in form needs the session cookie ({@link SessionCookie}),
 * and every {@code POST}, sign-in and sign-out included, must come from the console's own page
 * ({@link SameOrigin}).
 */
public final class Console {
  static final String ROOT = "/console";

  private final Responses responses = new Responses();
  private final SignIn signIn;
  private final UsagePage usage;
  private final RecordedEventsPage recorded;
  private final EventPage event;
  private final ExportedPage exported;
  private final ExportPage export;
  private final CatalogPage catalog;
  private final CatalogInboxPage catalogInbox;
  private final CatalogCountersPage catalogCounters;
  private final CatalogVersionsPage catalogVersions;

  Console(ConsoleBackend backend, SignInAttempts signInAttempts) {
    this.signIn = new SignIn(backend, signInAttempts, responses);
    this.usage = new UsagePage(backend, responses);
    this.recorded = new RecordedEventsPage(backend, responses);
    this.event = new EventPage(backend, responses);
    this.exported = new ExportedPage(backend, responses);
    this.export = new ExportPage(backend, responses);
    this.catalog = new CatalogPage(backend, responses);
    this.catalogInbox = new CatalogInboxPage(backend, responses);
    this.catalogCounters = new CatalogCountersPage(backend, responses);
    this.catalogVersions = new CatalogVersionsPage(backend, responses);
  }

  /** The console over the instance's GraphQL API. */
  public static Console overGraphQl(GraphQlApi api, SignInAttempts signInAttempts) {
    return new Console(new GraphQlBackend(api), signInAttempts);
  }

  /** Answers one request whose path is under {@code /console}; returns the HTTP status. */
  public int handle(HttpRequest request, HttpResponse response) throws IOException {
    String path = request.getPath();
    String method = request.getMethod().toUpperCase(Locale.ROOT);
    if (!method.equals("GET")) {
      // A refusal answers before it reads the form, and the server then closes a connection whose
      // request it did not read. Saying so keeps a client from sending its next request on that
      // connection (it would get no answer at all). Forms are a person's clicks: a new connection
      // for the page after one costs nothing they notice.
      response.appendHeader("Connection", "close");
    }
    if (!method.equals("GET") && !method.equals("POST")) {
      response.appendHeader("Allow", "GET, POST");
      return responses.error(response, 405, "The console answers GET and POST only.");
    }
    if (path.equals(ROOT + "/console.css") && method.equals("GET")) {
      return responses.stylesheet(response);
    }
    if (path.equals(ROOT + "/console.js") && method.equals("GET")) {
      return responses.script(response);
    }
    if (path.equals(SignIn.PATH)) {
      return method.equals("GET")
          ? signIn.form(response, 200, null)
          : signIn.signIn(request, response);
    }
    if (path.equals(SignIn.SIGN_OUT_PATH) && method.equals("POST")) {
      return signIn.signOut(request, response);
    }
    Optional<String> sessionId = SessionCookie.read(request);
    if (sessionId.isEmpty()) {
      return signIn.form(
          response, 401, "Sign in with an administrator's access token to see this.");
    }
    if (method.equals("POST") && !SameOrigin.check(request)) {
      return notSameOrigin(responses, response);
    }
    SignedIn session = new SignedIn(request, sessionId.get());
    try {
      return route(session, response, path, method);
    } catch (BackendException refused) {
      return signIn.refused(request, response, refused);
    }
  }

  private int route(SignedIn session, HttpResponse response, String path, String method)
      throws IOException {
    if (method.equals("GET")) {
      if (path.equals(ROOT) || path.equals(ROOT + "/")) {
        return usage.show(session, response);
      }
      if (path.equals(ROOT + "/events")) {
        return recorded.show(session, response);
      }
      if (path.startsWith(EventPage.PATH)) {
        return event.show(session, response, path.substring(EventPage.PATH.length()));
      }
      if (path.equals(ROOT + "/exported")) {
        return exported.show(session, response);
      }
      if (path.equals(ExportPage.PATH)) {
        return export.show(session, response);
      }
      if (path.equals(CatalogTabs.ENTRIES_PATH)) {
        return catalog.show(session, response);
      }
      if (path.equals(CatalogTabs.INBOX_PATH)) {
        return catalogInbox.show(session, response);
      }
      if (path.equals(CatalogTabs.DRAFT_PATH)) {
        return catalogInbox.draft(session, response);
      }
      if (path.equals(CatalogTabs.COUNTERS_PATH)) {
        return catalogCounters.show(session, response);
      }
      if (path.equals(CatalogTabs.VERSIONS_PATH)) {
        return catalogVersions.show(session, response);
      }
    } else {
      if (path.equals(ExportPage.SWITCH_PATH)) {
        return export.switchExport(session, response);
      }
      if (path.equals(ExportPage.SET_ASIDE_PATH)) {
        return export.changeSetAside(session, response);
      }
    }
    return responses.error(response, 404, "There is no console page at " + path + ".");
  }

  /** A change sent from another origin, refused with nothing changed. */
  static int notSameOrigin(Responses responses, HttpResponse response) throws IOException {
    return responses.error(
        response,
        403,
        "This change was not sent from the console's own page (its Origin header does not"
            + " match), so nothing was changed.");
  }
}
