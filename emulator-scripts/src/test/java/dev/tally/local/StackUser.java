package dev.tally.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.local.StackScripts.Result;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;

/**
 * What a user of a running local stack does, from the addresses and tokens of its env file: record
 * over HTTP, read console pages signed in as the development administrator, ask GraphQL as that
 * administrator, run tally-admin and the scripts, look into the stack's database.
 */
final class StackUser {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final StackScripts scripts;
  private final Map<String, String> stack;

  StackUser(StackScripts scripts, Map<String, String> stack) {
    this.scripts = scripts;
    this.stack = stack;
  }

  /** A value of the stack's env file (such as {@code ACCESS_TOKEN}). */
  String get(String name) {
    return stack.get(name);
  }

  /**
   * Records one event (a GraphQL input object literal, its quotes escaped for the JSON body) and
   * returns its ID: the newest {@code event_logs} row written by that request.
   */
  String record(String token, String event) throws Exception {
    long before = newestRow();
    HttpResponse<String> recorded =
        post(
            token,
            "{\"query\":\"mutation { telemetry { recordEvents(events: ["
                + event
                + "]) { alwaysNil } } }\"}");
    assertEquals(200, recorded.statusCode(), recorded.body());
    assertFalse(recorded.body().contains("errors"), recorded.body());
    try (Connection db = database();
        PreparedStatement query =
            db.prepareStatement(
                "SELECT event_id::text FROM event_logs WHERE id > ? ORDER BY id DESC LIMIT 1")) {
      query.setLong(1, before);
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next(), "the event is in event_logs");
        return row.getString(1);
      }
    }
  }

  /** A GraphQL request to record-event with {@code token}. */
  HttpResponse<String> post(String token, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(stack.get("RECORD_EVENT_URL")))
            .header("Content-Type", "application/json")
            .header("Authorization", "token " + token)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A GraphQL query as the development administrator; fails on any error. */
  JsonNode graphQl(String query) throws Exception {
    HttpResponse<String> answer =
        post(stack.get("ADMIN_TOKEN"), JSON.writeValueAsString(Map.of("query", query)));
    assertEquals(200, answer.statusCode(), answer.body());
    JsonNode json = JSON.readTree(answer.body());
    assertTrue(json.path("errors").isMissingNode(), answer.body());
    return json;
  }

  /**
   * A console page (a path under the console's address) as the development administrator sees it.
   */
  String console(String path) throws Exception {
    URI console = URI.create(stack.get("CONSOLE_URL"));
    HttpResponse<String> signedIn =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(stack.get("CONSOLE_URL") + "/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", console.getScheme() + "://" + console.getAuthority())
                .POST(HttpRequest.BodyPublishers.ofString("token=" + stack.get("ADMIN_TOKEN")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(303, signedIn.statusCode(), signedIn.body());
    String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    HttpResponse<String> page =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(stack.get("CONSOLE_URL") + path))
                .header("Cookie", cookie)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode(), page.body());
    return page.body();
  }

  /** watch-event.sh follows the event until the gateway published it to the topic. */
  void awaitPublished(String eventId) throws Exception {
    Result watched = scripts.script("watch-event.sh", eventId);
    assertEquals(0, watched.exitCode(), watched.output());
    assertTrue(watched.output().contains("4. published to"), watched.output());
  }

  /** {@code admin/tally-admin ARGUMENTS} in a shell that sourced the stack's env file. */
  Result admin(String arguments) throws Exception {
    return scripts.admin(arguments);
  }

  /** The stack's database, as its env file gives it. */
  Connection database() throws Exception {
    return DriverManager.getConnection(stack.get("DATABASE_URL"), stack.get("DATABASE_USER"), null);
  }

  private long newestRow() throws Exception {
    try (Connection db = database();
        PreparedStatement query =
            db.prepareStatement("SELECT coalesce(max(id), 0) FROM event_logs");
        ResultSet row = query.executeQuery()) {
      row.next();
      return row.getLong(1);
    }
  }
}
