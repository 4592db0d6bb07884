package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.json.Json;
import dev.tally.ratelimit.RateLimiter;
import dev.tally.runtime.RequestBodies;
import dev.tally.store.ConsoleSessions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The administrators' console: answers the requests under {@code /console} with server-rendered
 * pages built from the administrator's GraphQL fields.
 *
 * <pre>
 * GET  /console                  usage: events per day, top events, active users, clients
 * GET  /console/events           recorded events, newest first
 * GET  /console/events/ID        one event as stored beside what export sends of it
 * GET  /console/exported         what left the instance, newest first, each payload as sent
 * GET  /console/export           the export switch, the queue, recent runs, set-aside events
 * POST /console/export/switch    turn export on or off (enabled=true|false)
 * POST /console/export/set-aside retry or discard set-aside events (action=retry|discard, id=...)
 * GET  /console/sign-in          the sign-in form; POST signs in (token=...)
 * POST /console/sign-out         signs out
 * GET  /console/console.css      the style sheet
 * </pre>
 *
 * <p>Signing in opens a console session ({@link ConsoleBackend#signIn}); the cookie holds its ID
 * ({@link SessionCookie}). Sign-in attempts are limited per client address ({@link
 * SignInAttempts}), and every {@code POST}, sign-in and sign-out included, must come from the
 * console's own page ({@link SameOrigin}).
 */
public final class Console {
  static final String ROOT = "/console";
  private static final int MAX_FORM_BYTES = 16 * 1024;
  private static final Set<Integer> RANGES = Set.of(7, 30, 90);
  private static final int DEFAULT_RANGE = 30;

  /** What an access token may look like; other text is refused without a look at the database. */
  private static final Pattern TOKEN_FORM = Pattern.compile("[A-Za-z0-9_.~+/=-]{16,512}");

  /** What a page may load and where its forms may go: nothing but the console itself. */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
          + " frame-ancestors 'none'; base-uri 'none'";

  static final String SIGN_IN_QUERY =
      "query ConsoleSignIn { telemetry { exportStatus { enabled } } }";

  static final String USAGE_QUERY =
      """
      query ConsoleUsage($days: Int!) { telemetry { usage(days: $days) {
        from to pendingEvents
        eventsByDay(features: 5) { features days { day events other byFeature { feature events } } }
        topEvents(first: 20) { feature action events users }
        activeUsers { daily { signedIn anonymous } weekly { signedIn anonymous }
          monthly { signedIn anonymous } }
        clients(first: 20) { client version events } } } }
      """;

  static final String EXPORT_QUERY =
      """
      query ConsoleExport { telemetry {
        exportStatus { enabled usersOverridingOn usersOverridingOff usersOptedOut backlog
          oldestUnexportedSeconds exportedKept setAside
          recentRuns(first: 20) { startedAt durationMs exported failed setAside backlog error } }
        setAsideEvents(first: 50) { totalCount
          nodes { id setAsideAt reason attempts failures lastError } } } }
      """;

  static final String RECORDED_QUERY =
      """
      query ConsoleRecorded($after: String) { telemetry {
        recordedEvents(first: 50, after: $after) {
          nodes { id name timestamp client exportState } pageInfo { hasNextPage endCursor } } } }
      """;

  static final String EXPORTED_QUERY =
      """
      query ConsoleExported($after: String) { telemetry {
        exportedEvents(first: 25, after: $after) {
          totalCount nodes { id exportedAt payload } pageInfo { hasNextPage endCursor } } } }
      """;

  static final String EVENT_QUERY =
      """
      query ConsoleEvent($id: ID!) { telemetry { recordedEvent(id: $id) {
        id name timestamp exportState exportedAt stored exported } } }
      """;

  static final String SWITCH_MUTATION =
      """
      mutation ConsoleSwitch($enabled: Boolean!) { telemetry {
        setExportEnabled(enabled: $enabled) { enabled } } }
      """;

  static final String RETRY_MUTATION =
      "mutation ConsoleRetry($ids: [ID!]) { telemetry { retrySetAsideEvents(ids: $ids) { count } } }";

  static final String DISCARD_MUTATION =
      "mutation ConsoleDiscard($ids: [ID!]!) { telemetry {"
          + " discardSetAsideEvents(ids: $ids) { count } } }";

  private final ConsoleBackend backend;
  private final SignInAttempts signInAttempts;
  private final Pages pages = new Pages();
  private final byte[] css;

  public Console(ConsoleBackend backend, SignInAttempts signInAttempts) {
    this.backend = backend;
    this.signInAttempts = signInAttempts;
    try (InputStream in = Console.class.getResourceAsStream("/console/static/console.css")) {
      this.css = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console's style sheet", e);
    }
  }

  /** Answers one request whose path is under {@code /console}; returns the HTTP status. */
  public int handle(HttpRequest request, HttpResponse response) throws IOException {
    String path = request.getPath();
    String method = request.getMethod().toUpperCase(Locale.ROOT);
    if (!method.equals("GET") && !method.equals("POST")) {
      response.appendHeader("Allow", "GET, POST");
      return error(response, 405, "The console answers GET and POST only.");
    }
    if (path.equals(ROOT + "/console.css") && method.equals("GET")) {
      response.setStatusCode(200);
      response.setContentType("text/css; charset=utf-8");
      response.appendHeader("Cache-Control", "public, max-age=3600");
      response.appendHeader("X-Content-Type-Options", "nosniff");
      try (OutputStream out = response.getOutputStream()) {
        out.write(css);
      }
      return 200;
    }
    if (path.equals(ROOT + "/sign-in")) {
      return method.equals("GET") ? signInPage(response, 200, null) : signIn(request, response);
    }
    if (path.equals(ROOT + "/sign-out") && method.equals("POST")) {
      return signOut(request, response);
    }
    Optional<String> sessionId = SessionCookie.read(request);
    if (sessionId.isEmpty()) {
      return signInPage(response, 401, "Sign in with an administrator's access token to see this.");
    }
    if (method.equals("POST") && !SameOrigin.check(request)) {
      return notSameOrigin(response);
    }
    Session session = new Session(request, response, sessionId.get());
    try {
      return route(session, path, method);
    } catch (Answered answered) {
      return answered.status;
    }
  }

  private int route(Session session, String path, String method) throws IOException, Answered {
    if (method.equals("GET")) {
      if (path.equals(ROOT) || path.equals(ROOT + "/")) {
        return usage(session);
      }
      if (path.equals(ROOT + "/events")) {
        return recorded(session);
      }
      if (path.startsWith(ROOT + "/events/")) {
        return event(session, path.substring((ROOT + "/events/").length()));
      }
      if (path.equals(ROOT + "/exported")) {
        return exported(session);
      }
      if (path.equals(ROOT + "/export")) {
        return export(session);
      }
    } else {
      if (path.equals(ROOT + "/export/switch")) {
        return switchExport(session);
      }
      if (path.equals(ROOT + "/export/set-aside")) {
        return changeSetAside(session);
      }
    }
    return error(session.response(), 404, "There is no console page at " + path + ".");
  }

  /** One signed-in request: what it asks the API with. */
  private record Session(HttpRequest request, HttpResponse response, String sessionId) {}

  private int notSameOrigin(HttpResponse response) throws IOException {
    return error(
        response,
        403,
        "This change was not sent from the console's own page (its Origin header does not"
            + " match), so nothing was changed.");
  }

  // ---------------------------------------------------------------- sign-in

  private int signInPage(HttpResponse response, int status, String message) throws IOException {
    Map<String, Object> scope = layout("Sign in", null);
    scope.put("message", message);
    scope.put("sessionHours", ConsoleSessions.LIFETIME.toHours());
    scope.put("idleMinutes", ConsoleSessions.IDLE_TIMEOUT.toMinutes());
    return page(response, status, "sign-in", scope);
  }

  private int signIn(HttpRequest request, HttpResponse response) throws IOException {
    // Counted first: before the form is read and before its token is looked up.
    RateLimiter.Decision attempt = signInAttempts.count(request);
    if (!attempt.allowed()) {
      response.appendHeader("Retry-After", String.valueOf(attempt.retryAfterSeconds()));
      return signInPage(response, 429, signInAttempts.refusal(attempt));
    }
    if (!SameOrigin.check(request)) {
      return signInPage(
          response, 403, "Sign in from the console's own page: this form came from elsewhere.");
    }
    Map<String, List<String>> form = form(request);
    if (form == null) {
      return signInPage(response, 413, "The form was too large.");
    }
    String token = first(form, "token").map(String::trim).orElse("");
    if (!TOKEN_FORM.matcher(token).matches()) {
      return signInPage(response, 401, "That is not an access token of this instance.");
    }
    ConsoleBackend.SignIn signIn = backend.signIn(request, token, SIGN_IN_QUERY);
    ConsoleBackend.Answer answer = signIn.answer();
    if (answer.status() == 401) {
      return signInPage(response, 401, capitalized(answer.errorMessage()) + ".");
    }
    if ("FORBIDDEN".equals(answer.errorCode())) {
      return signInPage(
          response,
          403,
          "This token is not an administrator's: sign in with a token that has the site-admin"
              + " scope.");
    }
    if (answer.errorCode() != null || signIn.sessionId() == null) {
      return failed(response, answer);
    }
    response.appendHeader("Set-Cookie", SessionCookie.keep(signIn.sessionId(), request));
    return redirect(response, ROOT);
  }

  /**
   * Ends the session server-side and removes the cookie; refused, with the session untouched, when
   * the form came from another origin.
   */
  private int signOut(HttpRequest request, HttpResponse response) throws IOException {
    if (!SameOrigin.check(request)) {
      return notSameOrigin(response);
    }
    response.appendHeader("Set-Cookie", SessionCookie.remove(request));
    Optional<String> sessionId = SessionCookie.read(request);
    if (sessionId.isPresent()) {
      ConsoleBackend.Answer ended = backend.signOut(sessionId.get());
      if (ended.status() != 200) {
        return failed(response, ended);
      }
    }
    return redirect(response, ROOT + "/sign-in");
  }

  // ---------------------------------------------------------------- usage

  @SuppressWarnings("unchecked")
  private int usage(Session session) throws IOException, Answered {
    int days =
        session
            .request()
            .getFirstQueryParameter("days")
            .filter(d -> d.matches("\\d{1,3}"))
            .map(Integer::parseInt)
            .filter(RANGES::contains)
            .orElse(DEFAULT_RANGE);
    Map<String, Object> usage = ask(session, USAGE_QUERY, Map.of("days", days)).telemetry("usage");
    Map<String, Object> byDay = (Map<String, Object>) usage.get("eventsByDay");
    List<String> features = (List<String>) byDay.get("features");
    List<UsageChart.Day> chartDays = new ArrayList<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map<String, Object> day : (List<Map<String, Object>>) byDay.get("days")) {
      List<Long> split = new ArrayList<>();
      List<Object> cells = new ArrayList<>();
      for (Map<String, Object> feature : (List<Map<String, Object>>) day.get("byFeature")) {
        long events = ((Number) feature.get("events")).longValue();
        split.add(events);
        cells.add(events);
      }
      long events = ((Number) day.get("events")).longValue();
      long other = ((Number) day.get("other")).longValue();
      chartDays.add(new UsageChart.Day((String) day.get("day"), events, split, other));
      rows.add(Map.of("day", day.get("day"), "events", events, "cells", cells, "other", other));
    }
    Map<String, Object> scope = layout("Usage", "usage");
    scope.put("from", usage.get("from"));
    scope.put("to", usage.get("to"));
    scope.put("days", days);
    List<Map<String, Object>> ranges = new ArrayList<>();
    for (int range : List.of(7, 30, 90)) {
      ranges.add(Map.of("days", range, "current", range == days));
    }
    scope.put("ranges", ranges);
    long pending = ((Number) usage.get("pendingEvents")).longValue();
    scope.put("pending", pending > 0 ? pending : null);
    scope.put("chart", UsageChart.of(features, chartDays));
    scope.put("features", features);
    scope.put("rows", rows);
    scope.put("topEvents", usage.get("topEvents"));
    scope.put("activeUsers", usage.get("activeUsers"));
    List<Map<String, Object>> clients = new ArrayList<>();
    for (Map<String, Object> client : (List<Map<String, Object>>) usage.get("clients")) {
      Map<String, Object> row = new HashMap<>(client);
      row.put("version", client.get("version") == null ? "none" : client.get("version"));
      clients.add(row);
    }
    scope.put("clients", clients);
    return page(session.response(), 200, "usage", scope);
  }

  // ---------------------------------------------------------------- recorded events

  @SuppressWarnings("unchecked")
  private int recorded(Session session) throws IOException, Answered {
    Map<String, Object> variables = new HashMap<>();
    variables.put("after", session.request().getFirstQueryParameter("after").orElse(null));
    Map<String, Object> connection =
        ask(session, RECORDED_QUERY, variables).telemetry("recordedEvents");
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (Map<String, Object> node : (List<Map<String, Object>>) connection.get("nodes")) {
      Map<String, Object> row = new HashMap<>(node);
      row.put("state", stateText((String) node.get("exportState")));
      nodes.add(row);
    }
    Map<String, Object> scope = layout("Recorded events", "recorded");
    scope.put("events", nodes);
    scope.put("next", nextPage((Map<String, Object>) connection.get("pageInfo")));
    return page(session.response(), 200, "recorded", scope);
  }

  // ---------------------------------------------------------------- one event

  @SuppressWarnings("unchecked")
  private int event(Session session, String id) throws IOException, Answered {
    Map<String, Object> event =
        ask(session, EVENT_QUERY, Map.of("id", id)).telemetry("recordedEvent");
    if (event == null) {
      return error(session.response(), 404, "No event with the ID " + id + " was recorded here.");
    }
    Map<String, Object> stored = (Map<String, Object>) event.get("stored");
    Map<String, Object> exported = (Map<String, Object>) event.get("exported");
    Map<String, Object> scope = layout("Event " + event.get("name"), "recorded");
    scope.put("id", event.get("id"));
    scope.put("name", event.get("name"));
    scope.put("timestamp", event.get("timestamp"));
    scope.put("state", stateText((String) event.get("exportState")));
    scope.put("exportedAt", event.get("exportedAt"));
    scope.put("stored", Json.writeIndented(stored));
    scope.put("exported", exported == null ? null : Json.writeIndented(exported));
    scope.put("keptLocal", keptLocalText(stored.get("kept_local_reason")));
    List<String> withheld = exported == null ? List.of() : withheld(stored, exported);
    scope.put("withheld", withheld);
    scope.put("nothingWithheld", exported != null && withheld.isEmpty());
    return page(session.response(), 200, "event", scope);
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
  @SuppressWarnings("unchecked")
  static List<String> withheld(Map<String, Object> stored, Map<String, Object> exported) {
    List<String> withheld = new ArrayList<>();
    Map<String, Object> parameters =
        exported.get("parameters") instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of();
    Map<String, Object> sentPrivate =
        parameters.get("privateMetadata") instanceof Map<?, ?> m
            ? (Map<String, Object>) m
            : Map.of();
    if (stored.get("argument") instanceof Map<?, ?> kept) {
      for (Object key : new TreeSet<>(((Map<String, Object>) kept).keySet())) {
        if (!sentPrivate.containsKey(key)) {
          withheld.add("private metadata \u201c" + key + "\u201d");
        }
      }
    }
    if (!exported.containsKey("marketingTracking")) {
      for (String column :
          List.of(
              "url",
              "first_source_url",
              "last_source_url",
              "referrer",
              "cohort_id",
              "device_session_id",
              "session_referrer",
              "session_first_url")) {
        if (stored.get(column) != null) {
          withheld.add("marketing tracking \u201c" + column + "\u201d");
        }
      }
    }
    return withheld;
  }

  // ---------------------------------------------------------------- what left

  @SuppressWarnings("unchecked")
  private int exported(Session session) throws IOException, Answered {
    Map<String, Object> variables = new HashMap<>();
    variables.put("after", session.request().getFirstQueryParameter("after").orElse(null));
    Map<String, Object> connection =
        ask(session, EXPORTED_QUERY, variables).telemetry("exportedEvents");
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (Map<String, Object> node : (List<Map<String, Object>>) connection.get("nodes")) {
      Map<String, Object> payload = (Map<String, Object>) node.get("payload");
      Map<String, Object> row = new HashMap<>();
      row.put("id", node.get("id"));
      row.put("exportedAt", node.get("exportedAt"));
      row.put("name", payload.get("feature") + "." + payload.get("action"));
      row.put("payload", Json.writeIndented(payload));
      nodes.add(row);
    }
    Map<String, Object> scope = layout("What leaves", "exported");
    scope.put("totalCount", connection.get("totalCount"));
    scope.put("events", nodes);
    scope.put("next", nextPage((Map<String, Object>) connection.get("pageInfo")));
    return page(session.response(), 200, "exported", scope);
  }

  // ---------------------------------------------------------------- export

  @SuppressWarnings("unchecked")
  private int export(Session session) throws IOException, Answered {
    ConsoleBackend.Answer answer = ask(session, EXPORT_QUERY, Map.of());
    Map<String, Object> status = answer.telemetry("exportStatus");
    Map<String, Object> setAside = answer.telemetry("setAsideEvents");
    Map<String, Object> scope = layout("Export", "export");
    scope.put("status", status);
    scope.put("enabled", Boolean.TRUE.equals(status.get("enabled")));
    Object oldest = status.get("oldestUnexportedSeconds");
    scope.put("oldest", oldest == null ? "none waiting" : age(((Number) oldest).longValue()));
    List<Map<String, Object>> runs = new ArrayList<>();
    for (Map<String, Object> run : (List<Map<String, Object>>) status.get("recentRuns")) {
      Map<String, Object> row = new HashMap<>(run);
      row.put("backlog", run.get("backlog") == null ? "unknown" : run.get("backlog"));
      runs.add(row);
    }
    scope.put("runs", runs);
    scope.put("setAsideEvents", setAside.get("nodes"));
    scope.put("setAsideCount", setAside.get("totalCount"));
    scope.put("hasSetAside", !((List<?>) setAside.get("nodes")).isEmpty());
    return page(session.response(), 200, "export", scope);
  }

  private int switchExport(Session session) throws IOException, Answered {
    Map<String, List<String>> form = form(session.request());
    Optional<String> enabled = form == null ? Optional.empty() : first(form, "enabled");
    if (enabled.isEmpty() || !Set.of("true", "false").contains(enabled.get())) {
      return error(
          session.response(), 400, "Say whether export is to be on: enabled=true or false.");
    }
    ask(session, SWITCH_MUTATION, Map.of("enabled", Boolean.parseBoolean(enabled.get())));
    return redirect(session.response(), ROOT + "/export");
  }

  private int changeSetAside(Session session) throws IOException, Answered {
    Map<String, List<String>> form = form(session.request());
    if (form == null) {
      return error(session.response(), 413, "The form was too large.");
    }
    String action = first(form, "action").orElse("");
    List<String> ids = form.getOrDefault("id", List.of());
    if (action.equals("retry") && (first(form, "all").isPresent() || !ids.isEmpty())) {
      Map<String, Object> variables = new HashMap<>();
      variables.put("ids", first(form, "all").isPresent() ? null : ids);
      ask(session, RETRY_MUTATION, variables);
    } else if (action.equals("discard") && !ids.isEmpty()) {
      ask(session, DISCARD_MUTATION, Map.of("ids", ids));
    } else {
      return error(session.response(), 400, "Choose events and retry or discard them.");
    }
    return redirect(session.response(), ROOT + "/export#set-aside");
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Asks the API. A refusal or failure is answered with the right page (the sign-in form for a
   * refused token) and thrown as {@link Answered}.
   */
  private ConsoleBackend.Answer ask(Session session, String query, Map<String, Object> variables)
      throws IOException, Answered {
    ConsoleBackend.Answer answer =
        backend.execute(session.request(), session.sessionId(), query, variables);
    HttpResponse response = session.response();
    if (answer.status() == 401) {
      response.appendHeader("Set-Cookie", SessionCookie.remove(session.request()));
      throw new Answered(
          signInPage(response, 401, capitalized(answer.errorMessage()) + "; sign in again."));
    }
    if ("FORBIDDEN".equals(answer.errorCode())) {
      response.appendHeader("Set-Cookie", SessionCookie.remove(session.request()));
      throw new Answered(
          signInPage(
              response,
              403,
              "This token is not an administrator's: sign in with a token that has the site-admin"
                  + " scope."));
    }
    if (answer.errorCode() != null || answer.status() != 200) {
      throw new Answered(failed(response, answer));
    }
    return answer;
  }

  /** The request was answered already, with this status. */
  private static final class Answered extends Exception {
    private final int status;

    Answered(int status) {
      super(null, null, false, false);
      this.status = status;
    }
  }

  private int failed(HttpResponse response, ConsoleBackend.Answer answer) throws IOException {
    int status = answer.status() == 200 ? 400 : answer.status();
    if (status == 429) {
      response.appendHeader("Retry-After", String.valueOf(answer.retryAfterSeconds()));
    }
    String message = answer.errorMessage() == null ? "The request failed." : answer.errorMessage();
    return error(response, status, capitalized(message) + ".");
  }

  private int error(HttpResponse response, int status, String message) throws IOException {
    Map<String, Object> scope = layout("Error " + status, null);
    scope.put("status", status);
    scope.put("message", message);
    return page(response, status, "error", scope);
  }

  private static Map<String, Object> layout(String title, String current) {
    Map<String, Object> scope = new LinkedHashMap<>();
    scope.put("title", title);
    scope.put("signedIn", current != null);
    scope.put("navUsage", "usage".equals(current));
    scope.put("navRecorded", "recorded".equals(current));
    scope.put("navExported", "exported".equals(current));
    scope.put("navExport", "export".equals(current));
    return scope;
  }

  private int page(HttpResponse response, int status, String template, Map<String, Object> scope)
      throws IOException {
    byte[] html = pages.render(template, scope).getBytes(StandardCharsets.UTF_8);
    response.setStatusCode(status);
    response.setContentType("text/html; charset=utf-8");
    response.appendHeader("Cache-Control", "no-store");
    response.appendHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    response.appendHeader("X-Content-Type-Options", "nosniff");
    response.appendHeader("X-Frame-Options", "DENY");
    // Not no-referrer: a page with it sends its forms with "Origin: null".
    response.appendHeader("Referrer-Policy", "same-origin");
    try (OutputStream out = response.getOutputStream()) {
      out.write(html);
    }
    return status;
  }

  private static int redirect(HttpResponse response, String location) {
    response.setStatusCode(303);
    response.appendHeader("Location", location);
    response.appendHeader("Cache-Control", "no-store");
    return 303;
  }

  private static Map<String, Object> nextPage(Map<String, Object> pageInfo) {
    return Boolean.TRUE.equals(pageInfo.get("hasNextPage"))
        ? Map.of("after", pageInfo.get("endCursor"))
        : null;
  }

  private static String stateText(String state) {
    return switch (state) {
      case "WAITING" -> "waiting for export";
      case "EXPORTED" -> "exported";
      case "SET_ASIDE" -> "set aside";
      default -> "not queued for export";
    };
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

  private static String capitalized(String text) {
    if (text == null || text.isEmpty()) {
      return "The request failed";
    }
    String trimmed = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    return Character.toUpperCase(trimmed.charAt(0)) + trimmed.substring(1);
  }

  /** The fields of an {@code application/x-www-form-urlencoded} body; null when too large. */
  private static Map<String, List<String>> form(HttpRequest request) throws IOException {
    byte[] body =
        RequestBodies.readAtMost(
            request.getInputStream(), request.getContentLength(), MAX_FORM_BYTES);
    if (body == null) {
      return null;
    }
    Map<String, List<String>> fields = new HashMap<>();
    for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      try {
        fields
            .computeIfAbsent(
                URLDecoder.decode(name, StandardCharsets.UTF_8), n -> new ArrayList<>())
            .add(URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException malformed) {
        // A malformed escape: the field is left out.
      }
    }
    return fields;
  }

  private static Optional<String> first(Map<String, List<String>> form, String name) {
    List<String> values = form.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }
}
