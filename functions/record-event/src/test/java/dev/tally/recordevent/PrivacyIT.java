package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Timestamp;
import dev.tally.privacy.Erasure;
import dev.tally.privacy.PrivacySettings;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventUser;
import dev.tally.store.AccessTokens;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import dev.tally.usage.UsageRollup;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Privacy controls through the real invoker and a real PostgreSQL: an administrator's erasure of
 * one person's data, the privacy signals of browsers (Global Privacy Control, Do Not Track), and a
 * signed-in user's own export opt-out.
 */
@ExtendWith(PostgresExtension.class)
class PrivacyIT {
  /** The signed-in person whose data is erased: an ID no timestamp or count in a log holds. */
  private static final long PERSON = 918_273_645L;

  private static final long OTHER_USER = 77;
  private static final long ADMIN = 1;

  /** The anonymous visitor whose data is erased. */
  private static final String VISITOR = "d1c5a7e0-visitor-to-erase";

  private static final String OTHER_VISITOR = "0b9d3f42-visitor-to-keep";

  private static final String RECORD_EVENTS =
      """
      mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {
        telemetry { recordEvents(events: $events) { alwaysNil } }
      }
      """;

  private static final String LOG_EVENT =
      """
      mutation logEvent($event: String!, $userCookieID: String!, $url: String!,
          $source: EventSource!) {
        logEvent(event: $event, userCookieID: $userCookieID, url: $url, source: $source) {
          alwaysNil
        }
      }
      """;

  private static final String ERASE =
      """
      mutation Erase($userID: ID, $anonymousUserID: String) {
        telemetry {
          erasePersonalData(userID: $userID, anonymousUserID: $anonymousUserID) {
            eventLogs unexportedEvents exportedEvents usageRows
          }
        }
      }
      """;

  private static final String READ_OPT_OUT = "{ telemetry { exportOptOut } }";

  private static final String SET_OPT_OUT =
      "mutation($optOut: Boolean!) { telemetry { setExportOptOut(optOut: $optOut) { alwaysNil } } }";

  private static TestDatabase db;

  /** The default privacy settings: Global Privacy Control honoured, Do Not Track not. */
  private static FunctionProcess function;

  /** An instance that honours Do Not Track and not Global Privacy Control. */
  private static FunctionProcess dntInstance;

  private static GraphQlClient client;
  private static GraphQlClient dntClient;
  private static String personToken;
  private static String otherToken;
  private static String adminToken;

  @BeforeAll
  static void start(TestDatabase database) throws Exception {
    db = database;
    function = RecordEventProcesses.start(db, Map.of());
    dntInstance =
        RecordEventProcesses.start(
            db, Map.of(PrivacySettings.HONOR_DNT, "true", PrivacySettings.HONOR_GPC, "false"));
    client = new GraphQlClient(function);
    dntClient = new GraphQlClient(dntInstance);
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    personToken = tokens.create(PERSON, Set.of(AccessTokens.USER_ALL), null, "person").token();
    otherToken = tokens.create(OTHER_USER, Set.of(AccessTokens.USER_ALL), null, "other").token();
    adminToken =
        tokens
            .create(ADMIN, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
            .token();
  }

  @AfterAll
  static void stop() throws Exception {
    for (FunctionProcess process : new FunctionProcess[] {function, dntInstance}) {
      if (process != null) {
        process.close();
      }
    }
  }

  @BeforeEach
  void reset() {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, feature_flags, feature_flag_overrides,"
            + " export_opt_outs, event_usage_daily, event_usage_users, event_usage_last_seen;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0;"
            + " INSERT INTO feature_flags (name, enabled) VALUES ('telemetry-export', true)");
  }

  // ---------------------------------------------------------------------------------------------
  // Erasure

  @Test
  void erasePersonalData_ofASignedInUser_deletesTheirDataEverywhereAndNobodyElses()
      throws Exception {
    record(client, 3, token(personToken));
    logEvent("cookie-of-the-signed-in-person", token(personToken));
    record(client, 2, token(otherToken));
    record(client, 2, anonymous(OTHER_VISITOR));
    logEvent(OTHER_VISITOR, anonymous(OTHER_VISITOR));
    markExported("user_id = " + PERSON, 2);
    markExported("user_id = " + OTHER_USER, 1);
    refreshUsage();
    String person = "u:" + PERSON;
    assertEquals(3, queued(person), "the person's V2 events were queued");
    assertEquals(3, usageRowsOf(person), "two events' users and the last-seen row");
    Snapshot othersBefore = Snapshot.allBut(PERSON, null);

    int logLinesBefore = function.output().length();
    GraphQlClient.Answer answer = erase(Map.of("userID", String.valueOf(PERSON)));

    assertEquals(200, answer.status(), answer.text());
    assertFalse(answer.hasErrors(), answer.text());
    JsonNode erased = answer.data("telemetry", "erasePersonalData");
    assertEquals(4, erased.path("eventLogs").asInt(), "three V2 events and a legacy one");
    assertEquals(1, erased.path("unexportedEvents").asInt());
    assertEquals(2, erased.path("exportedEvents").asInt());
    assertEquals(3, erased.path("usageRows").asInt());

    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs WHERE user_id = " + PERSON));
    assertEquals(0, queued(person), "nothing of theirs in the queue, by payload");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM telemetry_events_export_queue WHERE user_key = '"
                + person
                + "'"));
    assertEquals(0, usageRowsOf(person));
    assertEquals(othersBefore, Snapshot.allBut(PERSON, null), "other people's rows untouched");
    JsonNode usage =
        client
            .post(
                "{ telemetry { usage(days: 1) { activeUsers { daily { signedIn anonymous } } } } }",
                Map.of(),
                token(adminToken))
            .data("telemetry", "usage", "activeUsers", "daily");
    assertEquals(
        GraphQlClient.JSON.readTree("{\"signedIn\":1,\"anonymous\":1}"),
        usage,
        "the other user and the other visitor, and no longer the person");
    assertEquals(0, usageRowsOf(person), "the usage report's refresh does not bring them back");

    JsonNode line = onlyErasureLine(logLinesBefore);
    assertEquals("user:" + ADMIN, line.path("erasedBy").asText());
    assertEquals("user", line.path("subject").asText());
    assertEquals(4, line.path("eventLogs").asInt());
    assertEquals(1, line.path("unexported").asInt());
    assertEquals(2, line.path("exported").asInt());
    assertEquals(3, line.path("usageRows").asInt());
    assertFalse(line.toString().contains(String.valueOf(PERSON)), line.toString());

    JsonNode again = erase(Map.of("userID", String.valueOf(PERSON))).body();
    assertEquals(
        GraphQlClient.JSON.readTree(
            "{\"data\":{\"telemetry\":{\"erasePersonalData\":{\"eventLogs\":0,"
                + "\"unexportedEvents\":0,\"exportedEvents\":0,\"usageRows\":0}}}}"),
        again,
        "erasing again finds nothing left");
  }

  @Test
  void erasePersonalData_ofAnAnonymousVisitor_deletesTheirDataEverywhereAndNobodyElses()
      throws Exception {
    record(client, 3, anonymous(VISITOR));
    logEvent(VISITOR, anonymous(VISITOR));
    record(client, 2, anonymous(OTHER_VISITOR));
    record(client, 2, token(otherToken));
    // A signed-in user's client sends the visitor's cookie: the row is the user's, not the
    // visitor's.
    logEvent(VISITOR, token(otherToken));
    markExported("anonymous_user_id = '" + VISITOR + "'", 1);
    // Rows queued before the queue knew whose they were (schema V6): found by their payload.
    db.execute(
        "UPDATE telemetry_events_export_queue SET user_key = NULL WHERE id IN ("
            + " (SELECT event_id FROM event_logs WHERE anonymous_user_id = '"
            + VISITOR
            + "' AND kept_local_reason IS NULL ORDER BY id DESC LIMIT 1),"
            + " (SELECT event_id FROM event_logs WHERE anonymous_user_id = '"
            + OTHER_VISITOR
            + "' ORDER BY id LIMIT 1))");
    refreshUsage();
    String visitor = "a:" + VISITOR;
    assertEquals(3, queued(visitor));
    assertEquals(3, usageRowsOf(visitor));
    Snapshot othersBefore = Snapshot.allBut(null, VISITOR);

    int logLinesBefore = function.output().length();
    GraphQlClient.Answer answer = erase(Map.of("anonymousUserID", VISITOR));

    assertEquals(200, answer.status(), answer.text());
    assertFalse(answer.hasErrors(), answer.text());
    JsonNode erased = answer.data("telemetry", "erasePersonalData");
    assertEquals(4, erased.path("eventLogs").asInt(), "three V2 events and a legacy one");
    assertEquals(2, erased.path("unexportedEvents").asInt(), "one of them queued before V6");
    assertEquals(1, erased.path("exportedEvents").asInt());
    assertEquals(3, erased.path("usageRows").asInt());

    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE anonymous_user_id = '" + VISITOR + "'"));
    assertEquals(0, queued(visitor), "nothing of theirs in the queue, by payload");
    assertEquals(0, usageRowsOf(visitor));
    assertEquals(othersBefore, Snapshot.allBut(null, VISITOR), "other people's rows untouched");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE user_id = "
                + OTHER_USER
                + " AND kept_local_reason = 'legacy'"),
        "the signed-in user's legacy event, sent with the visitor's cookie, is kept");

    JsonNode line = onlyErasureLine(logLinesBefore);
    assertEquals("user:" + ADMIN, line.path("erasedBy").asText());
    assertEquals("anonymous", line.path("subject").asText());
    assertEquals(4, line.path("eventLogs").asInt());
    assertFalse(
        function.output().substring(logLinesBefore).contains(VISITOR),
        "no log line of the erasure names the visitor");
  }

  @Test
  void erasePersonalData_ofAPersonWithMoreRowsThanOneChunk_erasesThemAll() throws Exception {
    // More rows than one chunk of the erasure, written straight to the tables.
    int many = Erasure.CHUNK + 1;
    String theirs = payloadHex(PERSON);
    db.execute(
        "INSERT INTO event_logs (event_id, name, timestamp, user_id, anonymous_user_id, source,"
            + " version) SELECT gen_random_uuid(), 'bulk.recorded', now(), "
            + PERSON
            + ", 'unknown', 'VSCode', '1.0' FROM generate_series(1, "
            + many
            + ");"
            + " INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb, user_key,"
            + " exported_at) SELECT gen_random_uuid(), now(), '\\x"
            + theirs
            + "'::bytea, 'u:"
            + PERSON
            + "', CASE WHEN i = 1 THEN now() END FROM generate_series(1, "
            + many
            + ") i;"
            // Queued before user keys: more than a chunk of another user's, three of the person's.
            + " INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb)"
            + " SELECT gen_random_uuid(), now(), '\\x"
            + payloadHex(OTHER_USER)
            + "'::bytea FROM generate_series(1, "
            + many
            + ");"
            + " INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb)"
            + " SELECT gen_random_uuid(), now(), '\\x"
            + theirs
            + "'::bytea FROM generate_series(1, 3)");

    GraphQlClient.Answer answer = erase(Map.of("userID", String.valueOf(PERSON)));

    assertFalse(answer.hasErrors(), answer.text());
    JsonNode erased = answer.data("telemetry", "erasePersonalData");
    assertEquals(many, erased.path("eventLogs").asInt());
    assertEquals(many - 1 + 3, erased.path("unexportedEvents").asInt());
    assertEquals(1, erased.path("exportedEvents").asInt());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"));
    assertEquals(0, queued("u:" + PERSON));
    assertEquals(many, queued("u:" + OTHER_USER), "the other user's rows stay");
  }

  @Test
  void erasePersonalData_keepsTheDailyEventCounts_andForgetsTheUser() throws Exception {
    record(client, 3, token(personToken));
    record(client, 2, token(otherToken));
    String query =
        "{ telemetry { usage(days: 1) { eventsByDay { days { events } }"
            + " topEvents { feature action events users } } } }";
    GraphQlClient.Answer before = client.post(query, Map.of(), token(adminToken));

    assertFalse(erase(Map.of("userID", String.valueOf(PERSON))).hasErrors());
    GraphQlClient.Answer after = client.post(query, Map.of(), token(adminToken));

    assertFalse(after.hasErrors(), after.text());
    assertEquals(
        5,
        before.data("telemetry", "usage", "eventsByDay", "days").path(0).path("events").asInt(),
        before.text());
    assertEquals(
        before.data("telemetry", "usage", "eventsByDay"),
        after.data("telemetry", "usage", "eventsByDay"),
        "how many events were recorded, by nobody in particular, stays");
    assertEquals(
        GraphQlClient.JSON.readTree(
            "[{\"feature\":\"cody.chat\",\"action\":\"submitted\",\"events\":5," + "\"users\":1}]"),
        after.data("telemetry", "usage", "topEvents"),
        "the erased person is no longer among the users");
  }

  @Test
  void erasePersonalData_keepsTheUsersOwnOptOut() throws Exception {
    assertFalse(setOptOut(personToken, true).hasErrors());
    record(client, 1, token(personToken));

    GraphQlClient.Answer answer = erase(Map.of("userID", String.valueOf(PERSON)));

    assertEquals(1, answer.data("telemetry", "erasePersonalData", "eventLogs").asInt());
    assertTrue(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean());
    record(client, 1, token(personToken));
    assertEquals(
        "opt_out",
        db.queryString("SELECT kept_local_reason FROM event_logs WHERE user_id = " + PERSON),
        "their events recorded after the erasure stay local");
    assertEquals(0, queued("u:" + PERSON));
  }

  @Test
  void erasePersonalData_isRefusedToAnyoneButASiteAdmin() throws Exception {
    record(client, 2, token(otherToken));
    record(client, 1, token(personToken));
    Snapshot before = Snapshot.allBut(null, null);
    int logLinesBefore = function.output().length();

    for (String[] caller : List.of(token(personToken), anonymous(VISITOR), new String[0])) {
      GraphQlClient.Answer answer =
          client.post(ERASE, Map.of("userID", String.valueOf(OTHER_USER)), caller);

      assertEquals(200, answer.status(), answer.text());
      assertEquals("FORBIDDEN", answer.firstErrorCode(), answer.text());
      assertEquals(
          "erasePersonalData needs an access token with the site-admin scope", answer.firstError());
      assertTrue(answer.data("telemetry").isNull(), answer.text());
    }

    assertEquals(before, Snapshot.allBut(null, null), "nothing deleted");
    assertFalse(function.output().substring(logLinesBefore).contains("personal data erased"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "both IDs     | 77   | visitor-1 | erasePersonalData needs exactly one of 'userID' and"
            + " 'anonymousUserID'",
        "neither ID   |      |           | erasePersonalData needs exactly one of 'userID' and"
            + " 'anonymousUserID'",
        "user ID text | me   |           | 'userID' must be a user's numeric ID, got 'me'",
        "unknown      |      | unknown   | the anonymous ID 'unknown' stands for events of no"
            + " known person and cannot be erased as one",
      })
  void erasePersonalData_namingNotExactlyOnePerson_isAClearErrorAndDeletesNothing(
      String name, String userId, String anonymousUserId, String error) throws Exception {
    record(client, 1, token(otherToken));
    record(client, 1, anonymous(VISITOR));
    Snapshot before = Snapshot.allBut(null, null);
    Map<String, Object> variables = new HashMap<>();
    variables.put("userID", userId);
    variables.put("anonymousUserID", anonymousUserId);

    GraphQlClient.Answer answer = erase(variables);

    assertEquals(200, answer.status(), answer.text());
    assertEquals("BAD_ARGUMENT", answer.firstErrorCode(), answer.text());
    assertEquals(error, answer.firstError());
    assertEquals(before, Snapshot.allBut(null, null), "nothing deleted");
  }

  // ---------------------------------------------------------------------------------------------
  // Privacy signals

  @Test
  void globalPrivacyControl_keepsTheRequestsEventsLocal() throws Exception {
    record(client, 2, anonymous(VISITOR), PrivacySignals.GPC_HEADER, "1");
    record(client, 1, token(personToken), PrivacySignals.GPC_HEADER, "1");

    // HTTP/2 clients send header names in lower case.
    record(client, 1, anonymous(VISITOR), "sec-gpc", "1");

    assertEquals(
        4, db.queryLong("SELECT count(*) FROM event_logs WHERE kept_local_reason = 'gpc'"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM telemetry_events_export_queue"));
    JsonNode shown =
        client
            .post(
                "query($id: ID!) { telemetry { recordedEvent(id: $id) {"
                    + " exportState stored exported } } }",
                Map.of("id", db.queryString("SELECT event_id::text FROM event_logs LIMIT 1")),
                token(adminToken))
            .data("telemetry", "recordedEvent");
    assertEquals("NOT_QUEUED", shown.path("exportState").asText(), shown.toString());
    assertEquals("gpc", shown.path("stored").path("kept_local_reason").asText(), shown.toString());

    record(client, 1, anonymous(VISITOR));
    record(client, 1, anonymous(VISITOR), PrivacySignals.GPC_HEADER, "0");

    assertEquals(
        2, queued("a:" + VISITOR), "without the header, or with another value, it is queued");
    assertEquals(
        2, db.queryLong("SELECT count(*) FROM event_logs WHERE kept_local_reason IS NULL"));
  }

  @Test
  void doNotTrack_isQueuedByDefault_andKeptLocalWhereTheInstanceHonoursIt() throws Exception {
    record(client, 1, anonymous(VISITOR), PrivacySignals.DNT_HEADER, "1");

    assertEquals(1, queued("a:" + VISITOR), "Do Not Track is not honoured by default");
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_logs WHERE kept_local_reason IS NULL"));

    record(dntClient, 2, anonymous(OTHER_VISITOR), PrivacySignals.DNT_HEADER, "1");

    assertEquals(
        2, db.queryLong("SELECT count(*) FROM event_logs WHERE kept_local_reason = 'dnt'"));
    assertEquals(0, queued("a:" + OTHER_VISITOR));
  }

  @Test
  void globalPrivacyControl_isQueuedWhereTheInstanceDoesNotHonourIt() throws Exception {
    record(dntClient, 1, anonymous(VISITOR), PrivacySignals.GPC_HEADER, "1");

    assertEquals(1, queued("a:" + VISITOR));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM event_logs WHERE kept_local_reason IS NULL"));
  }

  // ---------------------------------------------------------------------------------------------
  // A user's own export opt-out

  @Test
  void exportOptOut_roundTrip_keepsTheUsersEventsLocalUntilTheyOptBackIn() throws Exception {
    assertFalse(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean(true));

    GraphQlClient.Answer set = setOptOut(personToken, true);

    assertEquals(200, set.status(), set.text());
    assertFalse(set.hasErrors(), set.text());
    assertTrue(set.data("telemetry", "setExportOptOut").has("alwaysNil"), set.text());
    assertTrue(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean());
    assertFalse(
        readOptOut(otherToken).data("telemetry", "exportOptOut").asBoolean(true),
        "one user's choice is theirs alone");

    record(client, 2, token(personToken));
    record(client, 1, token(otherToken));

    String person = "u:" + PERSON;
    assertEquals(
        2,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE user_id = "
                + PERSON
                + " AND kept_local_reason = 'opt_out'"));
    assertEquals(0, queued(person));
    assertEquals(1, queued("u:" + OTHER_USER), "other users' events are still exported");

    assertFalse(setOptOut(personToken, false).hasErrors());
    assertFalse(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean(true));
    record(client, 1, token(personToken));

    assertEquals(1, queued(person), "queued again after opting back in");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE user_id = "
                + PERSON
                + " AND kept_local_reason IS NULL"));
  }

  @Test
  void exportOptOut_winsOverGlobalPrivacyControlAsTheReason() throws Exception {
    setOptOut(personToken, true);

    record(client, 1, token(personToken), PrivacySignals.GPC_HEADER, "1");

    assertEquals(
        "opt_out",
        db.queryString("SELECT kept_local_reason FROM event_logs WHERE user_id = " + PERSON));
  }

  @Test
  void exportOptOut_needsASignedInUser() throws Exception {
    for (String[] caller : List.of(anonymous(VISITOR), new String[0])) {
      GraphQlClient.Answer read = client.post(READ_OPT_OUT, Map.of(), caller);
      GraphQlClient.Answer set = client.post(SET_OPT_OUT, Map.of("optOut", true), caller);

      for (GraphQlClient.Answer answer : List.of(read, set)) {
        assertEquals(200, answer.status(), answer.text());
        assertEquals("UNAUTHENTICATED", answer.firstErrorCode(), answer.text());
        assertTrue(answer.firstError().contains("needs a signed-in user"), answer.firstError());
      }
    }
    assertEquals(0, db.queryLong("SELECT count(*) FROM feature_flag_overrides"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM export_opt_outs"));
  }

  @Test
  void setExportOptOut_false_leavesAnAdministratorsPerUserOffInPlace() throws Exception {
    new FeatureFlags(db.dataSource()).setOverride(FeatureFlags.TELEMETRY_EXPORT, PERSON, false);
    assertFalse(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean(true));
    assertFalse(setOptOut(personToken, true).hasErrors());
    record(client, 1, token(personToken));
    JsonNode status = exportStatus();
    assertEquals(1, status.path("usersOptedOut").asInt(), status.toString());
    assertEquals(1, status.path("usersOverridingOff").asInt(), status.toString());

    assertFalse(setOptOut(personToken, false).hasErrors());
    record(client, 1, token(personToken));

    assertFalse(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean(true));
    assertEquals(
        "false",
        db.queryString(
            "SELECT enabled::text FROM feature_flag_overrides WHERE user_id = " + PERSON),
        "the administrator's off is still there");
    assertEquals(0, queued("u:" + PERSON), "nothing of theirs queued, before or after");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM event_logs WHERE user_id = "
                + PERSON
                + " AND kept_local_reason IS NULL"),
        "after opting back in: not kept local by a privacy rule, just not exported");
    JsonNode after = exportStatus();
    assertEquals(0, after.path("usersOptedOut").asInt(), after.toString());
    assertEquals(1, after.path("usersOverridingOff").asInt(), after.toString());
  }

  @Test
  void setExportOptOut_afterRecordEventsInOneRequest_isRefusedAndNothingIsRecorded()
      throws Exception {
    GraphQlClient.Answer answer =
        client.post(
            "mutation($events: [TelemetryEventInput!]!) { telemetry {"
                + " recordEvents(events: $events) { alwaysNil }"
                + " setExportOptOut(optOut: true) { alwaysNil } } }",
            Map.of("events", GraphQlClient.clientEvents(1)),
            token(personToken));

    assertEquals(
        "setExportOptOut cannot be sent in a request that records events; send it on its own",
        answer.firstError(),
        answer.text());
    assertTrue(answer.data("telemetry", "setExportOptOut").isNull(), answer.text());
    assertTrue(answer.data("telemetry", "recordEvents").isNull(), answer.text());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "nothing recorded");
    assertFalse(
        readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean(true),
        "the opt-out was not set");
  }

  @Test
  void recordEvents_afterSetExportOptOutInOneRequest_isRefusedAndNothingIsRecorded()
      throws Exception {
    // Fields run in order: the opt-out is set, as its answer says, and the events are refused.
    GraphQlClient.Answer answer =
        client.post(
            "mutation($events: [TelemetryEventInput!]!) { telemetry {"
                + " setExportOptOut(optOut: true) { alwaysNil }"
                + " recordEvents(events: $events) { alwaysNil } } }",
            Map.of("events", GraphQlClient.clientEvents(1)),
            token(personToken));

    assertTrue(answer.firstError().contains("cannot record events"), answer.text());
    assertEquals("telemetry", answer.body().path("errors").path(0).path("path").path(0).asText());
    assertEquals(
        "recordEvents", answer.body().path("errors").path(0).path("path").path(1).asText());
    assertTrue(answer.data("telemetry", "recordEvents").isNull(), answer.text());
    assertEquals(0, db.queryLong("SELECT count(*) FROM event_logs"), "nothing recorded");
    assertTrue(answer.data("telemetry", "setExportOptOut").has("alwaysNil"), answer.text());
    assertTrue(readOptOut(personToken).data("telemetry", "exportOptOut").asBoolean());
  }

  // ---------------------------------------------------------------------------------------------

  private static String[] token(String token) {
    return new String[] {"Authorization", "token " + token};
  }

  private static String[] anonymous(String visitor) {
    return new String[] {Authenticator.ANONYMOUS_UID_HEADER, visitor};
  }

  /** Records {@code count} events in one request; {@code caller} and more headers as pairs. */
  private static void record(GraphQlClient to, int count, String[] caller, String... headers)
      throws Exception {
    String[] all = new String[caller.length + headers.length];
    System.arraycopy(caller, 0, all, 0, caller.length);
    System.arraycopy(headers, 0, all, caller.length, headers.length);
    GraphQlClient.Answer answer =
        to.post(RECORD_EVENTS, Map.of("events", GraphQlClient.clientEvents(count)), all);
    assertEquals(200, answer.status(), answer.text());
    assertFalse(answer.hasErrors(), answer.text());
  }

  /** Logs a pre-V2 event as the browser extension does, with its cookie ID. */
  private static void logEvent(String cookie, String[] caller) throws Exception {
    GraphQlClient.Answer answer =
        client.post(
            LOG_EVENT,
            Map.of(
                "event", "goToDefinition",
                "userCookieID", cookie,
                "url", "https://github.com/sourcegraph/sourcegraph/blob/main/README.md",
                "source", "CODEHOSTINTEGRATION"),
            caller);
    assertEquals(200, answer.status(), answer.text());
    assertFalse(answer.hasErrors(), answer.text());
  }

  private static GraphQlClient.Answer erase(Map<String, Object> variables) throws Exception {
    return client.post(ERASE, variables, token(adminToken));
  }

  private static JsonNode exportStatus() throws Exception {
    GraphQlClient.Answer answer =
        client.post(
            "{ telemetry { exportStatus { usersOverridingOff usersOptedOut } } }",
            Map.of(),
            token(adminToken));
    assertFalse(answer.hasErrors(), answer.text());
    return answer.data("telemetry", "exportStatus");
  }

  private static GraphQlClient.Answer readOptOut(String token) throws Exception {
    return client.post(READ_OPT_OUT, Map.of(), token(token));
  }

  private static GraphQlClient.Answer setOptOut(String token, boolean optOut) throws Exception {
    return client.post(SET_OPT_OUT, Map.of("optOut", optOut), token(token));
  }

  /** The hex of a queued event's payload of the user, as the queue holds it. */
  private static String payloadHex(long userId) {
    Event event =
        Event.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setFeature("bulk")
            .setAction("recorded")
            .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000))
            .setUser(EventUser.newBuilder().setUserId(userId))
            .build();
    return HexFormat.of().formatHex(event.toByteArray());
  }

  /** Marks the export-queue rows of the first {@code count} events matching {@code where}. */
  private static void markExported(String where, int count) {
    db.execute(
        "UPDATE telemetry_events_export_queue SET exported_at = now() WHERE id IN"
            + " (SELECT event_id FROM event_logs WHERE "
            + where
            + " AND kept_local_reason IS NULL ORDER BY id LIMIT "
            + count
            + ")");
  }

  private static void refreshUsage() {
    UsageRollup.Refresh refresh =
        new UsageRollup(db.dataSource(), Clock.systemUTC()).refresh(Duration.ofSeconds(30));
    assertEquals(0, refresh.pending());
  }

  private static long usageRowsOf(String userKey) {
    return db.queryLong(
        "SELECT (SELECT count(*) FROM event_usage_users WHERE user_key = '"
            + userKey
            + "') + (SELECT count(*) FROM event_usage_last_seen WHERE user_key = '"
            + userKey
            + "')");
  }

  /** Queued events whose payload names the user ({@code u:ID} or {@code a:ID}). */
  private static long queued(String userKey) throws Exception {
    return queuedUsers().stream().filter(userKey::equals).count();
  }

  /** Whose each queued event is, by its payload: {@code u:ID}, {@code a:ID}, or empty. */
  private static List<String> queuedUsers() throws Exception {
    List<String> users = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery("SELECT payload_pb FROM telemetry_events_export_queue")) {
      while (rows.next()) {
        EventUser user = Event.parseFrom(rows.getBytes(1)).getUser();
        users.add(
            user.hasUserId()
                ? "u:" + user.getUserId()
                : user.hasAnonymousUserId() ? "a:" + user.getAnonymousUserId() : "");
      }
    }
    return users;
  }

  /** The one "personal data erased" line the function logged after {@code from}. */
  private static JsonNode onlyErasureLine(int from) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : function.output().substring(from).split("\n")) {
      if (line.contains("\"message\":\"personal data erased\"")) {
        lines.add(GraphQlClient.JSON.readTree(line));
      }
    }
    assertEquals(1, lines.size(), "one erasure line: " + lines);
    return lines.get(0);
  }

  /**
   * The rows of everyone but one person (a user ID or an anonymous ID, or nobody), for checking
   * that an erasure, or a refused one, left them as they were.
   */
  private record Snapshot(
      List<String> eventLogs, List<String> queue, List<String> usageUsers, List<String> lastSeen) {

    static Snapshot allBut(Long userId, String anonymousUserId) {
      String key =
          userId != null ? "u:" + userId : anonymousUserId != null ? "a:" + anonymousUserId : "";
      String notThem =
          userId != null
              ? "user_id IS DISTINCT FROM " + userId
              : anonymousUserId != null ? "anonymous_user_id <> '" + anonymousUserId + "'" : "true";
      return new Snapshot(
          strings(
              "SELECT event_id || ' ' || coalesce(kept_local_reason, '') FROM event_logs WHERE "
                  + notThem
                  + " ORDER BY id"),
          strings(
              "SELECT id || ' ' || coalesce(exported_at::text, '') || ' ' ||"
                  + " coalesce(user_key, '?') FROM telemetry_events_export_queue"
                  + " WHERE id IN (SELECT event_id FROM event_logs WHERE "
                  + notThem
                  + ") ORDER BY id"),
          strings(
              "SELECT feature || '/' || action || ' ' || user_key || ' ' || last_day"
                  + " FROM event_usage_users WHERE user_key <> '"
                  + key
                  + "' ORDER BY 1"),
          strings(
              "SELECT user_key || ' ' || last_day FROM event_usage_last_seen WHERE user_key <> '"
                  + key
                  + "' ORDER BY 1"));
    }
  }

  private static List<String> strings(String sql) {
    List<String> values = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        values.add(rows.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not run: " + sql, e);
    }
    return values;
  }
}
