package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.store.AccessTokens;
import dev.tally.store.ExportQueue;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser ({@link HeadlessChromium}), against record-event in the real
 * invoker and a real PostgreSQL. Screenshots of each page go to {@code target/console-screenshots}.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleBrowserIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(15);

  private static TestDatabase db;
  private static FunctionProcess function;
  private static String adminToken;
  private static String userToken;
  private static HeadlessChromium chromium;
  private static WebDriver browser;
  private static String exampleEventId;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    env.put("TELEMETRY_SENSITIVE_METADATA_ALLOWLIST", "exampleFeature::exampleAction::shown");
    // Every sign-in of these tests comes from one address (ConsoleIT tests the limit).
    env.put("TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE", "100");
    function =
        FunctionProcess.start("record-event", "dev.tally.recordevent.RecordEventFunction", env);
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    adminToken =
        tokens
            .create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
            .token();
    userToken = tokens.create(2, Set.of(AccessTokens.USER_ALL), null, "user").token();
    db.execute("INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
    seedEvents();
    chromium = HeadlessChromium.start();
    browser = chromium.driver();
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
  void signedOut() {
    browser.get(url("/console/sign-in"));
    browser.manage().deleteAllCookies();
  }

  /** Events over several days through record-event itself; some of them exported. */
  private static void seedEvents() throws Exception {
    Instant now = Instant.now();
    List<Map<String, Object>> events = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      events.add(event("search", "submitted", now));
    }
    for (int i = 0; i < 2; i++) {
      events.add(event("cody.chat", "opened", now.minus(Duration.ofDays(1))));
    }
    for (int i = 0; i < 4; i++) {
      events.add(event("search", "submitted", now.minus(Duration.ofDays(4))));
    }
    Map<String, Object> private_ = event("exampleFeature", "exampleAction", now);
    private_.put(
        "parameters",
        Map.of(
            "version",
            1,
            "privateMetadata",
            Map.of("shown", "allowed-value", "secretRepo", "github.com/acme/secret-repo")));
    private_.put("marketingTracking", Map.of("url", "https://example.com/private-campaign"));
    events.add(private_);
    record(userToken, events);
    record(null, List.of(event("search", "cancelled", now.minus(Duration.ofDays(2)))));

    exampleEventId =
        db.queryString(
            "SELECT event_id::text FROM event_logs WHERE name = 'exampleFeature.exampleAction'");
    // What the export run does once the gateway acknowledged them.
    ExportQueue queue = new ExportQueue(db.dataSource(), Clock.systemUTC());
    UUID owner = UUID.randomUUID();
    queue.markExported(owner, queue.claim(owner, 100, Duration.ofMinutes(1)).events());
  }

  private static Map<String, Object> event(String feature, String action, Instant timestamp) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("feature", feature);
    event.put("action", action);
    event.put("timestamp", timestamp.toString());
    event.put("source", Map.of("client", "VSCode", "clientVersion", "1.90.0"));
    event.put("parameters", Map.of("version", 1));
    return event;
  }

  private static void record(String token, List<Map<String, Object>> events) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(function.uri("/.api/graphql"))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    JSON.writeValueAsString(
                        Map.of(
                            "query",
                            "mutation($events: [TelemetryEventInput!]!) { telemetry {"
                                + " recordEvents(events: $events) { alwaysNil } } }",
                            "variables",
                            Map.of("events", events)))));
    if (token != null) {
      request.header("Authorization", "token " + token);
    } else {
      request.header("X-Sourcegraph-Actor-Anonymous-UID", "visitor-1");
    }
    HttpResponse<String> response =
        HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    assertEquals(200, response.statusCode(), response.body());
    assertFalse(body.has("errors"), response.body());
  }

  private static String url(String path) {
    return function.uri(path).toString();
  }

  private static WebDriverWait waiting() {
    return new WebDriverWait(browser, WAIT);
  }

  private static void screenshot(String name) throws Exception {
    chromium.screenshot(name);
  }

  private static void signIn(String token) {
    browser.get(url("/console/sign-in"));
    WebElement field = waiting().until(ExpectedConditions.elementToBeClickable(By.id("token")));
    field.sendKeys(token);
    browser.findElement(By.id("sign-in")).click();
  }

  private static void signInAsAdmin() {
    signIn(adminToken);
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("events-chart")));
  }

  @Test
  void console_refusesEveryPageWithoutAnAdministratorsToken() throws Exception {
    for (String page :
        List.of(
            "/console",
            "/console/export",
            "/console/exported",
            "/console/events/" + exampleEventId)) {
      browser.get(url(page));

      waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
      assertTrue(browser.findElement(By.id("message")).getText().contains("Sign in"));
      assertTrue(browser.findElements(By.id("events-chart")).isEmpty());
      assertTrue(browser.findElements(By.id("export-state")).isEmpty());
      assertFalse(browser.getPageSource().contains("secret-repo"));
    }
    screenshot("sign-in");

    signIn(userToken);

    WebElement message =
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("message")));
    assertTrue(message.getText().contains("not an administrator's"), message.getText());
    assertTrue(browser.manage().getCookies().isEmpty(), "no cookie for a refused token");
    assertFalse(browser.getCurrentUrl().contains(userToken), "the token is never in a URL");
  }

  @Test
  void signIn_keepsOnlyASessionIdInAnHttpOnlyStrictCookie() {
    signInAsAdmin();

    Cookie cookie = browser.manage().getCookieNamed("tally_console");
    assertTrue(cookie.isHttpOnly());
    assertEquals("Strict", cookie.getSameSite());
    assertEquals("/console", cookie.getPath());
    assertTrue(cookie.getValue().matches("[A-Za-z0-9_-]{43}"), "a session ID");
    assertFalse(cookie.getValue().contains(adminToken.substring(4, 20)), "no part of the token");
    assertFalse(browser.getCurrentUrl().contains(adminToken));
    Object readable =
        ((org.openqa.selenium.JavascriptExecutor) browser)
            .executeScript(
                "return document.cookie + JSON.stringify(Object.assign({}, localStorage))"
                    + " + JSON.stringify(Object.assign({}, sessionStorage));");
    assertFalse(String.valueOf(readable).contains(adminToken), "no script can read the token");
    assertFalse(String.valueOf(readable).contains(cookie.getValue()), "nor the session");
  }

  @Test
  void signOut_endsTheSessionSoACopyOfTheCookieNoLongerWorks() throws Exception {
    signInAsAdmin();
    Cookie copy = browser.manage().getCookieNamed("tally_console");

    browser.findElement(By.cssSelector("form.sign-out button")).click();

    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
    assertTrue(browser.manage().getCookies().isEmpty(), "the browser dropped it");
    browser.manage().addCookie(copy);
    browser.get(url("/console"));
    WebElement message =
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("message")));
    assertTrue(message.getText().contains("signed out"), message.getText());
    assertTrue(browser.findElements(By.id("events-chart")).isEmpty());
    screenshot("signed-out");
  }

  @Test
  void revokingTheToken_endsTheSessionOnTheNextPage() {
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    AccessTokens.CreatedToken token =
        tokens.create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "laptop");
    signIn(token.token());
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("events-chart")));

    tokens.revoke(token.id());
    browser.findElement(By.linkText("Export")).click();

    WebElement message =
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("message")));
    assertTrue(message.getText().contains("was revoked"), message.getText());
    assertTrue(browser.findElements(By.id("export-state")).isEmpty());
    assertTrue(browser.manage().getCookies().isEmpty(), "the cookie is removed");
  }

  @Test
  void usage_chartBarsMatchTheCountsInTheDatabase() throws Exception {
    signInAsAdmin();
    browser.get(url("/console?days=7"));
    waiting()
        .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#events-chart g.bar")));

    Map<String, Long> expected = countsPerDay();
    List<WebElement> bars = browser.findElements(By.cssSelector("#events-chart g.bar"));
    assertEquals(7, bars.size());
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    double pixelsPerEvent = -1;
    long total = 0;
    for (WebElement bar : bars) {
      String day = bar.getAttribute("data-day");
      long events = Long.parseLong(bar.getAttribute("data-events"));
      assertEquals(expected.getOrDefault(day, 0L), events, "events on " + day);
      assertFalse(LocalDate.parse(day).isAfter(today));
      total += events;
      double height = 0;
      for (WebElement segment : bar.findElements(By.tagName("rect"))) {
        height += Double.parseDouble(segment.getAttribute("height"));
      }
      if (events > 0) {
        double ratio = height / events;
        if (pixelsPerEvent < 0) {
          pixelsPerEvent = ratio;
        }
        assertEquals(pixelsPerEvent, ratio, 0.05, "bar heights are proportional to the counts");
      } else {
        assertEquals(0, height, 0.0);
      }
    }
    assertEquals(11, total);
    // The same numbers in the table beside the chart.
    WebElement todayRow =
        browser.findElement(
            By.xpath("//table[@id='events-per-day']//th[text()='" + today + "']/.."));
    assertEquals(
        String.valueOf(expected.get(today.toString())),
        todayRow.findElements(By.tagName("td")).get(0).getText());
    assertTrue(browser.findElement(By.id("top-events-table")).getText().contains("submitted"));
    screenshot("usage");
  }

  @Test
  void exportSwitch_flipsTheTelemetryExportFlagInTheDatabase() throws Exception {
    signInAsAdmin();
    browser.get(url("/console/export"));
    WebElement state =
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("export-state")));
    assertTrue(state.getText().contains("Export is on"), state.getText());
    screenshot("export");

    browser.findElement(By.id("export-switch")).click();

    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("export-state"), "Export is off"));
    assertEquals("false", flag());

    browser.findElement(By.id("export-switch")).click();

    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("export-state"), "Export is on"));
    assertEquals("true", flag());
  }

  @Test
  void exportedEvent_showsNoPrivateMetadataOutsideTheAllowlist() throws Exception {
    signInAsAdmin();
    browser.get(url("/console/exported"));
    WebElement link =
        waiting()
            .until(
                ExpectedConditions.elementToBeClickable(
                    By.xpath(
                        "//article[@class='exported-event']//a[text()="
                            + "'exampleFeature.exampleAction']")));
    screenshot("exported");

    link.click();

    WebElement exported =
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("exported-form")));
    String sent = exported.getText();
    assertTrue(sent.contains("\"shown\""), sent);
    assertTrue(sent.contains("allowed-value"), sent);
    assertFalse(sent.contains("secretRepo"), sent);
    assertFalse(sent.contains("secret-repo"), sent);
    assertFalse(sent.contains("private-campaign"), sent);
    String stored = browser.findElement(By.id("stored-form")).getText();
    assertTrue(stored.contains("github.com/acme/secret-repo"), "the instance keeps it: " + stored);
    String withheld = browser.findElement(By.id("withheld")).getText();
    assertTrue(withheld.contains("secretRepo"), withheld);
    assertTrue(withheld.contains("url"), withheld);
    assertTrue(browser.findElement(By.id("export-state")).getText().startsWith("exported"));
    screenshot("event");
  }

  @Test
  void console_worksWithTheKeyboardAlone() throws Exception {
    browser.get(url("/console/sign-in"));
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
    assertEquals(
        "Administrator access token",
        browser.findElement(By.cssSelector("label[for=token]")).getText());

    new Actions(browser).sendKeys(Keys.TAB).sendKeys(Keys.TAB).perform();
    assertEquals("token", browser.switchTo().activeElement().getAttribute("id"));
    new Actions(browser).sendKeys(adminToken).sendKeys(Keys.ENTER).perform();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("events-chart")));

    // From the page's start, Tab reaches the navigation's links in order.
    browser.findElement(By.id("content")).click();
    List<String> reached = new ArrayList<>();
    browser.get(url("/console/events"));
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("recorded-events")));
    for (int i = 0; i < 6; i++) {
      new Actions(browser).sendKeys(Keys.TAB).perform();
      reached.add(browser.switchTo().activeElement().getText());
    }
    assertTrue(
        reached.containsAll(List.of("Usage", "Recorded events", "What leaves", "Export")),
        reached.toString());
    screenshot("recorded");
  }

  @Test
  void whatLeaves_reportCountsEachNamesKeysAndLinksToItsEvents() throws Exception {
    signInAsAdmin();
    chromium.consoleErrors();
    browser.get(url("/console/exported"));
    WebElement report =
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("egress-report")));
    screenshot("egress-report");

    // Each name's events as the queue holds them exported, all of them today (the default period:
    // the last 30 days) and none in the period before, so every name is new.
    Map<String, Long> exported = exportedPerName();
    Map<String, Long> shown = new HashMap<>();
    for (WebElement row : report.findElements(By.cssSelector("tbody tr"))) {
      String name = row.findElement(By.cssSelector("th a")).getText();
      shown.put(name, Long.parseLong(row.findElements(By.tagName("td")).get(0).getText()));
      assertTrue(row.findElement(By.tagName("th")).getText().endsWith("NEW"), row.getText());
    }
    assertEquals(exported, shown);

    // The example event: its allowlisted key left (for the first time), the rest was withheld.
    List<WebElement> example =
        report
            .findElement(By.xpath(".//tr[th/a[text()='exampleFeature.exampleAction']]"))
            .findElements(By.tagName("td"));
    assertEquals("privateMetadata.shown 1 NEW", example.get(3).getText());
    assertEquals(
        List.of("marketingTracking.url 1", "privateMetadata.secretRepo 1"),
        example.get(4).findElements(By.tagName("li")).stream().map(WebElement::getText).toList());
    String news = browser.findElement(By.id("egress-news")).getText();
    assertTrue(news.contains("exampleFeature.exampleAction: privateMetadata.shown left"), news);

    // The period chooser: the last 7 days, then a day before anything was exported.
    browser.findElement(By.linkText("Last 7 days")).click();
    WebElement week =
        waiting()
            .until(
                ExpectedConditions.presenceOfElementLocated(
                    By.cssSelector(".ranges a[aria-current=true]")));
    assertEquals("Last 7 days", week.getText());
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    String sixDaysAgo = LocalDate.now(ZoneOffset.UTC).minusDays(6).toString();
    assertTrue(
        browser.findElement(By.id("egress")).getText().contains(sixDaysAgo + " to " + today),
        browser.findElement(By.id("egress")).getText());
    String earlier = LocalDate.now(ZoneOffset.UTC).minusDays(40).toString();
    for (String field : List.of("from", "to")) {
      ((JavascriptExecutor) browser)
          .executeScript(
              "arguments[0].value = arguments[1]",
              browser.findElement(By.cssSelector("form.period input[name=" + field + "]")),
              earlier);
    }
    browser.findElement(By.cssSelector("form.period button")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("egress"), "What left from " + earlier + " to " + earlier));
    assertTrue(browser.getPageSource().contains("Nothing left in this period."));
    assertTrue(browser.findElements(By.id("egress-report")).isEmpty());

    // From a row of the report to that name's exported events, and only those.
    browser.get(url("/console/exported"));
    waiting()
        .until(
            ExpectedConditions.elementToBeClickable(
                By.xpath("//table[@id='egress-report']//a[text()='cody.chat.opened']")))
        .click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("exported-events"), "Exported events of cody.chat.opened"));
    List<String> listed =
        browser.findElements(By.cssSelector("article.exported-event h3 a")).stream()
            .map(WebElement::getText)
            .toList();
    assertEquals(List.of("cody.chat.opened", "cody.chat.opened"), listed);
    screenshot("egress-name");
    assertEquals(List.of(), chromium.consoleErrors(), "what the pages wrote to their console");
  }

  private static String flag() {
    return db.queryString(
        "SELECT enabled::text FROM feature_flags WHERE name = 'telemetry-export'");
  }

  private static Map<String, Long> countsPerDay() throws Exception {
    return counts(
        "SELECT (timestamp AT TIME ZONE 'UTC')::date::text, count(*) FROM event_logs GROUP BY 1");
  }

  /** Exported events per name, from the queue and event_logs (the names as recorded). */
  private static Map<String, Long> exportedPerName() throws Exception {
    return counts(
        "SELECT e.name, count(*) FROM telemetry_events_export_queue q"
            + " JOIN event_logs e ON e.event_id = q.id WHERE q.exported_at IS NOT NULL"
            + " GROUP BY e.name");
  }

  /** A query's rows of a text and a count, as a map. */
  private static Map<String, Long> counts(String sql) throws Exception {
    Map<String, Long> counts = new HashMap<>();
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    return counts;
  }
}
