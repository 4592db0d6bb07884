package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.catalog.Catalog;
import dev.tally.store.AccessTokens;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The catalog's pages in a real browser ({@link HeadlessChromium}), against record-event in the
 * real invoker and a real PostgreSQL: the entries in force, the inbox and its copy buttons, the
 * counters, the versions; each page loads without an error in the page's console.
 *
 * <p>The story is the issue's: version 1 of the catalog ({@code shadow} everywhere) is in force
 * while some events are recorded, then version 2 ({@code hold} unplanned events, {@code drop}
 * unplanned private keys) while a few more are. The versions are stored as an apply stores them (a
 * row of {@code event_catalog_versions}) while record-event is stopped, so that it starts with the
 * version in force; the events go through record-event's own recording API.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleCatalogBrowserIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(15);

  /** The unplanned event, and its private key that the allowlist lets leave. */
  private static final String UNPLANNED = "catalogDemo.unplanned";

  private static final String SOURCE_V1 =
      """
      # Version 1: count what a stricter policy would do, change nothing yet.
      policy:
        unplannedEvents: shadow
        unplannedMetadataKeys: shadow
        unplannedPrivateKeys: shadow
      events:
        - feature: search
          action: submitted
          status: approved
          owner: search-team
          description: A search was run
          metadata:
            resultCount: {}
      """;

  private static final String SOURCE_V2 =
      """
      # Version 2: hold what the catalog does not plan.
      policy:
        unplannedEvents: hold
        unplannedMetadataKeys: shadow
        unplannedPrivateKeys: drop
      events:
        - feature: search
          action: submitted
          status: approved
          owner: search-team
          description: A search was run
          metadata:
            resultCount: {}
          privateMetadata:
            scope:
              export: true
              justification: one of a fixed set of words
            query:
              export: false
        - feature: catalogDemo
          action: legacy*
          status: deprecated
          sunset: "2024-01-01"
          owner: platform
      """;

  /** Version 1 as its file parses. */
  private static final Map<String, Object> DOCUMENT_V1 =
      Map.of(
          "policy",
          Map.of(
              "unplannedEvents", "shadow",
              "unplannedMetadataKeys", "shadow",
              "unplannedPrivateKeys", "shadow"),
          "events",
          List.of(searchEntry(Map.of())));

  /** Version 2 as its file parses. */
  private static final Map<String, Object> DOCUMENT_V2 =
      Map.of(
          "policy",
          Map.of(
              "unplannedEvents", "hold",
              "unplannedMetadataKeys", "shadow",
              "unplannedPrivateKeys", "drop"),
          "events",
          List.of(
              searchEntry(
                  Map.of(
                      "scope",
                      Map.of("export", true, "justification", "one of a fixed set of words"),
                      "query",
                      Map.of("export", false))),
              Map.of(
                  "feature",
                  "catalogDemo",
                  "action",
                  "legacy*",
                  "status",
                  "deprecated",
                  "sunset",
                  "2024-01-01",
                  "owner",
                  "platform")));

  private static TestDatabase db;
  private static Map<String, String> environment;
  private static FunctionProcess function;
  private static String adminToken;
  private static String userToken;
  private static HeadlessChromium chromium;
  private static WebDriver browser;
  private static List<String> heldSample;
  private static String today;
  private static Instant v2AppliedAt;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    environment = new HashMap<>();
    environment.put("DATABASE_URL", db.url());
    environment.put("DATABASE_USER", db.user());
    environment.put("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "catalogDemo::unplanned::repoName");
    environment.put("TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE", "100");
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    adminToken =
        tokens
            .create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
            .token();
    userToken = tokens.create(2, Set.of(AccessTokens.USER_ALL), null, "user").token();
    db.execute("INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
    today = LocalDate.now(ZoneOffset.UTC).toString();
    seed();
    chromium = HeadlessChromium.start();
    browser = chromium.driver();
  }

  /** The two versions and the events recorded while each was in force. */
  private static void seed() throws Exception {
    Instant now = Instant.now();
    storeVersion(
        1,
        now.minus(Duration.ofHours(2)),
        "tally-admin:ci",
        SOURCE_V1,
        DOCUMENT_V1,
        diff(0, List.of()));
    function = startFunction();
    List<Map<String, Object>> shadowed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // Planned; latencyMs is not: under version 1 it would be dropped.
      shadowed.add(event("search", "submitted", Map.of("resultCount", 5, "latencyMs", 120), null));
    }
    for (int i = 0; i < 2; i++) {
      // Unplanned: it would be held, and its allowlisted private key would be dropped.
      shadowed.add(
          event("catalogDemo", "unplanned", Map.of(), Map.of("repoName", "github.com/acme/x")));
    }
    record(shadowed);
    function.close();

    heldSample = eventIds(UNPLANNED);
    v2AppliedAt = now.minus(Duration.ofHours(1));
    storeVersion(2, v2AppliedAt, "user:1", SOURCE_V2, DOCUMENT_V2, diff(1, heldSample));
    function = startFunction();
    record(
        List.of(
            event("search", "submitted", Map.of("resultCount", 2), Map.of("scope", "repo")),
            event("catalogDemo", "unplanned", Map.of(), Map.of("repoName", "github.com/acme/y"))));
  }

  private static Map<String, Object> searchEntry(Map<String, Object> privateMetadata) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("feature", "search");
    entry.put("action", "submitted");
    entry.put("status", "approved");
    entry.put("owner", "search-team");
    entry.put("description", "A search was run");
    entry.put("metadata", Map.of("resultCount", Map.of()));
    if (!privateMetadata.isEmpty()) {
      entry.put("privateMetadata", privateMetadata);
    }
    return entry;
  }

  private static FunctionProcess startFunction() throws Exception {
    return FunctionProcess.start(
        "record-event", "dev.tally.recordevent.RecordEventFunction", environment);
  }

  /** Stores a version as an apply does: the file, its canonical document, who, when, its diff. */
  private static void storeVersion(
      int version,
      Instant appliedAt,
      String appliedBy,
      String source,
      Map<String, Object> parsed,
      Map<String, Object> diff)
      throws Exception {
    String document = JSON.writeValueAsString(Catalog.fromJson(parsed).toJson());
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement insert =
            connection.prepareStatement(
                "INSERT INTO event_catalog_versions"
                    + " (version, applied_at, applied_by, document, source, diff, released)"
                    + " VALUES (?, ?, ?, ?::jsonb, ?, ?::jsonb, 0)")) {
      insert.setInt(1, version);
      insert.setTimestamp(2, Timestamp.from(appliedAt));
      insert.setString(3, appliedBy);
      insert.setString(4, document);
      insert.setString(5, source);
      insert.setString(6, JSON.writeValueAsString(diff));
      insert.executeUpdate();
    }
  }

  /**
   * A version's replay preview as {@code CatalogDiff} answers it: from version 0 nothing; from
   * version 1, version 2 holds the unplanned events that version 1 let leave.
   */
  private static Map<String, Object> diff(int fromVersion, List<String> sample) {
    Map<String, Object> diff = new LinkedHashMap<>();
    diff.put("fromVersion", fromVersion);
    diff.put("days", 30);
    diff.put("eventsReplayed", fromVersion == 0 ? 0 : 5);
    diff.put(
        "entryChanges",
        fromVersion == 0
            ? List.of()
            : List.of(
                "search.submitted: private keys scope, query added",
                "catalogDemo.legacy*: added (deprecated)"));
    diff.put(
        "policyChanges",
        fromVersion == 0
            ? List.of()
            : List.of("unplannedEvents: shadow -> hold", "unplannedPrivateKeys: shadow -> drop"));
    List<Object> events = new ArrayList<>();
    if (fromVersion > 0) {
      Map<String, Object> event = new LinkedHashMap<>();
      event.put("feature", "catalogDemo");
      event.put("action", "unplanned");
      event.put("entry", null);
      event.put("newlyExported", 0);
      event.put("newlyHeld", sample.size());
      event.put(
          "privateKeys",
          List.of(Map.of("key", "repoName", "newlyLeaving", 0, "newlyWithheld", sample.size())));
      event.put("metadataKeys", List.of());
      event.put("sample", sample);
      events.add(event);
    }
    diff.put("events", events);
    diff.put("newlyExported", 0);
    diff.put("newlyHeld", sample.size());
    return diff;
  }

  private static Map<String, Object> event(
      String feature, String action, Map<String, Object> metadata, Map<String, Object> secrets) {
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("version", 1);
    if (!metadata.isEmpty()) {
      List<Map<String, Object>> keys = new ArrayList<>();
      metadata.forEach((key, value) -> keys.add(Map.of("key", key, "value", value)));
      parameters.put("metadata", keys);
    }
    if (secrets != null) {
      parameters.put("privateMetadata", secrets);
    }
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("source", Map.of("client", "VSCode", "clientVersion", "1.90.0"));
    event.put("parameters", parameters);
    return event;
  }

  private static void record(List<Map<String, Object>> events) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(function.uri("/.api/graphql"))
            .header("Content-Type", "application/json")
            .header("Authorization", "token " + userToken)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    JSON.writeValueAsString(
                        Map.of(
                            "query",
                            "mutation($events: [TelemetryEventInput!]!) { telemetry {"
                                + " recordEvents(events: $events) { alwaysNil } } }",
                            "variables",
                            Map.of("events", events)))))
            .build();
    HttpResponse<String> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    assertEquals(200, response.statusCode(), response.body());
    assertFalse(body.has("errors"), response.body());
  }

  /** The IDs of the recorded events of {@code name}, oldest first. */
  private static List<String> eventIds(String name) throws Exception {
    List<String> ids = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT event_id::text FROM event_logs WHERE name = ? ORDER BY id")) {
      query.setString(1, name);
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    return ids;
  }

  @AfterAll
  static void stop() throws Exception {
    if (chromium != null) {
      chromium.close();
    }
    if (function != null) {
      function.close();
    }
  }

  @BeforeEach
  void signedIn() {
    browser.get(url("/console/sign-in"));
    browser.manage().deleteAllCookies();
    chromium.consoleErrors();
    WebElement field = waiting().until(ExpectedConditions.elementToBeClickable(By.id("token")));
    field.sendKeys(adminToken);
    browser.findElement(By.id("sign-in")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("events-chart")));
  }

  @AfterEach
  void noErrorInThePagesConsole() {
    assertEquals(List.of(), chromium.consoleErrors(), "what the pages wrote to their console");
  }

  private static String url(String path) {
    return function.uri(path).toString();
  }

  private static WebDriverWait waiting() {
    return new WebDriverWait(browser, WAIT);
  }

  /** The element {@code id} once the page shows it; failing with what the page shows instead. */
  private static WebElement waitFor(String id) {
    try {
      return waiting().until(ExpectedConditions.presenceOfElementLocated(By.id(id)));
    } catch (TimeoutException e) {
      throw new AssertionError(
          "no #"
              + id
              + " on "
              + browser.getCurrentUrl()
              + ", which shows: "
              + browser.findElement(By.tagName("body")).getText().replace('\n', ' '),
          e);
    }
  }

  /** The value of the fact {@code name} of a list of facts in {@code element}. */
  private static String fact(WebElement element, String name) {
    return element
        .findElement(By.xpath(".//dt[normalize-space()='" + name + "']/following-sibling::dd[1]"))
        .getText();
  }

  /** The cells of the table row whose header cell is {@code name}. */
  private static List<String> row(String tableId, String name) {
    WebElement row =
        browser.findElement(
            By.xpath(
                "//table[@id='"
                    + tableId
                    + "']//th[@scope='row'][normalize-space()='"
                    + name
                    + "']/.."));
    return row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
  }

  @Test
  void catalog_showsTheVersionInForceItsModesAndEachEntryWithItsVolume() throws Exception {
    browser.findElement(By.linkText("Catalog")).click();

    waitFor("catalog-entries");
    assertEquals("Version 2", browser.findElement(By.cssSelector("#catalog-version a")).getText());
    WebElement version = browser.findElement(By.id("catalog-version"));
    assertEquals("user:1", fact(version, "Applied by"));
    assertTrue(
        fact(version, "Applied").startsWith(LocalDate.ofInstant(v2AppliedAt, ZoneOffset.UTC) + "T"),
        fact(version, "Applied"));
    assertTrue(browser.findElement(By.id("mode-events")).getText().startsWith("hold:"));
    assertTrue(browser.findElement(By.id("mode-metadata")).getText().startsWith("shadow:"));
    assertTrue(browser.findElement(By.id("mode-private")).getText().startsWith("drop:"));
    // Status, owner, description, 7 days, 30 days, last seen, leaving, withheld, metadata keys.
    List<String> search = row("catalog-entries", "search.submitted");
    assertEquals(
        List.of("approved", "search-team", "A search was run", "4", "4", today),
        search.subList(0, 6));
    assertTrue(search.get(6).startsWith("scope: one of a fixed set of words"), search.toString());
    assertEquals("query", search.get(7));
    assertEquals("resultCount", search.get(8));
    List<String> legacy = row("catalog-entries", "catalogDemo.legacy*");
    assertEquals("deprecated, sunset 2024-01-01", legacy.get(0));
    assertEquals(List.of("0", "0", "never"), legacy.subList(3, 6));
    chromium.screenshot("catalog");

    browser.findElement(By.id("versions-link")).click();

    waitFor("version-2");
    assertTrue(browser.getCurrentUrl().endsWith("/console/catalog/versions"));
  }

  @Test
  void inbox_listsTheUnplannedEventWithItsKeysAndItsEntryCopiesToTheClipboard() throws Exception {
    chromium.allowClipboard("http://127.0.0.1:" + function.port());
    browser.get(url("/console/catalog"));
    waitFor("catalog-entries");
    browser.findElement(By.linkText("Inbox")).click();

    WebElement item = waitFor("inbox-0");
    assertEquals(UNPLANNED, item.findElement(By.tagName("h2")).getText());
    assertEquals(1, browser.findElements(By.cssSelector("article.inbox-event")).size());
    assertFalse(browser.findElement(By.id("content")).getText().contains("search.submitted"));
    assertEquals(today, fact(item, "First seen"));
    assertEquals(today, fact(item, "Last seen"));
    assertEquals("3 over 7 days, 3 over 30 days", fact(item, "Events"));
    assertEquals("VSCode (3)", fact(item, "Clients"));
    assertEquals(
        "repoName (3): withheld", fact(item, "Private-metadata keys"), "dropped under version 2");
    String draft = browser.findElement(By.id("inbox-0-draft")).getText();
    assertTrue(draft.contains("catalogDemo") && draft.contains("unplanned"), draft);
    assertTrue(draft.contains("repoName"), draft);
    chromium.screenshot("catalog-inbox");

    WebElement copy = item.findElement(By.cssSelector("button[data-copy='inbox-0-draft']"));
    assertTrue(copy.isDisplayed(), "the script shows the copy button");
    copy.click();

    waiting()
        .until(
            ExpectedConditions.textToBePresentInElement(
                item.findElement(By.cssSelector(".copied")), "Copied."));
    String pre =
        (String)
            ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript("return document.getElementById('inbox-0-draft').textContent;");
    assertEquals(pre, chromium.clipboard());
  }

  @Test
  void draft_downloadsAsAYamlFileWithTheEntriesInForceAndTheInbox() throws Exception {
    browser.get(url("/console/catalog/inbox"));
    WebElement link = waitFor("draft-download");
    assertEquals("tally-catalog-draft.yaml", link.getAttribute("download"));
    String session = browser.manage().getCookieNamed("tally_console").getValue();

    HttpResponse<String> draft =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(java.net.URI.create(link.getAttribute("href")))
                    .header("Cookie", "tally_console=" + session)
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertEquals(200, draft.statusCode(), draft.body());
    assertEquals(
        "attachment; filename=\"tally-catalog-draft.yaml\"",
        draft.headers().firstValue("Content-Disposition").orElseThrow());
    assertTrue(draft.body().contains("catalogDemo"), draft.body());
    assertTrue(draft.body().contains("unplanned"), draft.body());
    assertTrue(draft.body().contains("submitted"), "the entries in force: " + draft.body());
  }

  @Test
  void counters_sayWhatTheCatalogHeldAndWouldHoldEachDay() throws Exception {
    browser.get(url("/console/catalog"));
    waitFor("catalog-entries");
    browser.findElement(By.linkText("Counters")).click();
    waitFor("counters-per-day");
    browser.findElement(By.linkText("Last 7 days")).click();

    waiting().until(ExpectedConditions.urlContains("days=7"));
    assertEquals(7, browser.findElements(By.cssSelector("#counters-per-day tbody tr")).size());
    assertEquals(
        "Would hold 2 events; held 1 event.", browser.findElement(By.id("totals")).getText());
    WebElement day =
        browser.findElement(By.cssSelector("#counters-per-day tr[data-day='" + today + "']"));
    assertEquals("2", day.getAttribute("data-would-hold"));
    assertEquals("1", day.getAttribute("data-held"));
    List<String> cells =
        day.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
    assertEquals("would hold 2 events; held 1 event", cells.get(0));
    assertTrue(
        cells
            .get(1)
            .contains(UNPLANNED + ": would drop private-metadata key repoName from 2 events"),
        cells.get(1));
    assertTrue(
        cells.get(1).contains(UNPLANNED + ": dropped private-metadata key repoName from 1 event"),
        cells.get(1));
    assertTrue(
        cells.get(1).contains("search.submitted: would drop metadata key latencyMs from 3 events"),
        cells.get(1));
    String totals = browser.findElement(By.id("key-totals")).getText();
    assertTrue(totals.contains("from 3 events"), totals);
    chromium.screenshot("catalog-counters");
  }

  @Test
  void versions_showEachVersionWithItsDiffAndItsSampleEventsOpen() throws Exception {
    browser.get(url("/console/catalog/versions"));

    WebElement second = waitFor("version-2");
    WebElement first = browser.findElement(By.id("version-1"));
    assertTrue(
        second.getLocation().getY() < first.getLocation().getY(), "the newest version first");
    assertEquals("user:1", fact(second, "Applied by"));
    assertEquals("0 events", fact(second, "Held events released"));
    assertEquals("tally-admin:ci", fact(first, "Applied by"));
    assertTrue(
        second
            .findElement(By.cssSelector(".policy-changes"))
            .getText()
            .contains("unplannedEvents: shadow -> hold"));
    assertTrue(
        second
            .findElement(By.cssSelector(".diff-summary"))
            .getText()
            .contains("Against version 1"));
    assertTrue(
        first
            .findElement(By.cssSelector(".diff-summary"))
            .getText()
            .contains("Against no catalog"));
    second.findElement(By.tagName("summary")).click();
    assertTrue(
        second
            .findElement(By.cssSelector("pre.source"))
            .getText()
            .contains("# Version 2: hold what the catalog does not plan."));
    chromium.screenshot("catalog-versions");

    second.findElement(By.linkText(heldSample.get(0))).click();

    WebElement state = waitFor("export-state");
    assertTrue(browser.getTitle().startsWith("Event " + UNPLANNED), browser.getTitle());
    assertTrue(browser.getCurrentUrl().endsWith("/console/events/" + heldSample.get(0)));
    assertFalse(state.getText().isEmpty());
  }
}
