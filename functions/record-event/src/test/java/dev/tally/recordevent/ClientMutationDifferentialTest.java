package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalogstore.LiveCatalog;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.json.Json;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitConfig;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingLimits;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.store.AccessTokens;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The clients' mutation answered without the engine ({@link ClientMutation}, falling back to it)
 * against the engine alone, on random requests, valid and not: the same answer, and the same rows
 * stored, every time.
 */
@ExtendWith(PostgresExtension.class)
class ClientMutationDifferentialTest {
  private static final int REQUESTS = 300;
  private static final int MAX_EVENTS = 6;
  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  private final TestDatabase db;
  private final ClientMutation clientMutation;
  private final TelemetryGraphQl engine;
  private final RequestContext signedIn;

  ClientMutationDifferentialTest(TestDatabase db) {
    this.db = db;
    MutableClock clock = new MutableClock(NOW);
    FeatureFlags flags = new FeatureFlags(db.dataSource());
    flags.set(FeatureFlags.TELEMETRY_EXPORT, true);
    flags.set("new-search", false);
    flags.setOverride("new-search", 7, true);
    // As the Authenticator reads a signed-in request: the user's flags with the token's check.
    AccessTokens tokens = new AccessTokens(db.dataSource(), clock);
    AccessTokens.Check.Valid check =
        (AccessTokens.Check.Valid)
            tokens.authenticateWithFlags(
                tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "differential").token());
    this.signedIn =
        new RequestContext(
            Actor.user(check.userId()),
            false,
            "interaction-1",
            null,
            Caller.user(check.userId()),
            PrivacySignals.NONE,
            check.flags());
    Redactor redactor =
        new Redactor(
            Redactor.Mode.ALLOWLISTED_ONLY,
            SensitiveMetadataAllowlist.builtIn()
                .with(SensitiveMetadataAllowlist.parseEntries("myFeature::saved::path")));
    EventRecorder recorder =
        new EventRecorder(
            new EventBuilder(clock, "5.3.0"),
            flags,
            new TeeStore(db.dataSource(), redactor),
            new RecordingLimits(MAX_EVENTS, 2048, 512));
    CallerLimits limits = new CallerLimits(RateLimitConfig.OFF, clock);
    this.clientMutation = new ClientMutation(recorder, limits);
    this.engine =
        new TelemetryGraphQl(
            recorder,
            AdminStores.of(
                db.dataSource(), flags, clock, new LiveCatalog(db.dataSource(), redactor, clock)),
            limits,
            OperationLimits.DEFAULTS);
  }

  @Test
  void randomRequests_getTheEnginesAnswerAndRows() {
    Random random = new Random(20261130);
    int takenWithoutEngine = 0;
    for (int i = 0; i < REQUESTS; i++) {
      GraphQlRequest request = new Requests(random).request();
      RequestContext context = context(random.nextBoolean());
      String described = request.variables() + " " + request.query();

      db.execute("DELETE FROM event_logs; DELETE FROM telemetry_events_export_queue");
      boolean taken = ClientMutation.events(request) != null;
      GraphQlAnswer fast =
          clientMutation.record(request, context).orElseGet(() -> engine.execute(request, context));
      Stored fastRows = stored();

      db.execute("DELETE FROM event_logs; DELETE FROM telemetry_events_export_queue");
      GraphQlAnswer slow = engine.execute(request, context);
      Stored slowRows = stored();

      assertEquals(slow.status(), fast.status(), described);
      assertEquals(slow.outcome(), fast.outcome(), described);
      assertEquals(Json.write(slow.body()), Json.write(fast.body()), described);
      assertEquals(slow.eventsRecorded(), fast.eventsRecorded(), described);
      assertEquals(slowRows, fastRows, described);
      if (taken && fast.status() == 200) {
        takenWithoutEngine++;
      }
    }
    // The comparison means something only if both kinds of request came up often.
    assertTrue(
        takenWithoutEngine > REQUESTS / 5, "taken without the engine: " + takenWithoutEngine);
    assertTrue(
        takenWithoutEngine < REQUESTS * 4 / 5, "taken without the engine: " + takenWithoutEngine);
  }

  @Test
  void tokens_ignoreHowTheDocumentIsSpaced() {
    String spaced = RecordEventIT.MUTATION;
    String commas =
        "mutation ExportTelemetryEvents ( $events : [ TelemetryEventInput ! ] ! ) ,{telemetry"
            + "{recordEvents(events:$events){alwaysNil}}}";

    assertEquals(ClientMutation.tokens(ClientMutation.DOCUMENT), ClientMutation.tokens(spaced));
    assertEquals(ClientMutation.tokens(ClientMutation.DOCUMENT), ClientMutation.tokens(commas));
    assertEquals(
        "", ClientMutation.tokens(ClientMutation.DOCUMENT.replace("{ alwaysNil", "{ # x\n")));
    assertTrue(
        !ClientMutation.tokens("mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!)")
            .equals(ClientMutation.tokens(ClientMutation.DOCUMENT)));
  }

  private RequestContext context(boolean signedIn) {
    return signedIn
        ? this.signedIn
        : new RequestContext(
            Actor.anonymous("visitor-1"),
            false,
            null,
            null,
            Caller.UNKNOWN_ADDRESS,
            PrivacySignals.NONE);
  }

  /** What a request stored: event_logs rows and queued events, without their random IDs. */
  private record Stored(List<String> eventLogs, List<String> queued) {}

  private Stored stored() {
    List<String> eventLogs = new ArrayList<>();
    List<String> queued = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection()) {
      try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT (to_jsonb(e) - 'id' - 'event_id')::text FROM event_logs e ORDER BY id");
          ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          eventLogs.add(rows.getString(1));
        }
      }
      try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT payload_pb FROM telemetry_events_export_queue ORDER BY id");
          ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          queued.add(Event.parseFrom(rows.getBytes(1)).toBuilder().clearId().build().toString());
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return new Stored(eventLogs, queued);
  }

  /**
   * Random requests near the clients' mutation: mostly what clients send, each part sometimes
   * replaced by something the schema or the event rules refuse, or that only the engine takes.
   */
  private static final class Requests {
    private final Random random;

    /** Half the requests are what clients send; the others get a fault now and then. */
    private final boolean clean;

    Requests(Random random) {
      this.random = random;
      this.clean = random.nextBoolean();
    }

    GraphQlRequest request() {
      Map<String, Object> variables = new LinkedHashMap<>();
      int count = rare() ? 0 : 1 + random.nextInt(rare() ? MAX_EVENTS + 2 : 3);
      List<Object> events = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        events.add(rare(40) ? null : event());
      }
      variables.put("events", rare(40) && count > 0 ? events.get(0) : events);
      if (rare(40)) {
        variables.put("other", 1);
      }
      return new GraphQlRequest(query(), operationName(), variables);
    }

    private String query() {
      if (clean) {
        return pick(ClientMutation.DOCUMENT, RecordEventIT.MUTATION);
      }
      return pick(
          ClientMutation.DOCUMENT,
          ClientMutation.DOCUMENT,
          RecordEventIT.MUTATION,
          "mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {"
              + " telemetry { a: recordEvents(events: $events) { alwaysNil } } }",
          "mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) { # clients\n"
              + " telemetry { recordEvents(events: $events) { alwaysNil } } }",
          "mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {"
              + " telemetry { recordEvents(events: $events) { alwaysNil } } } query Other {"
              + " __typename }",
          "mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {"
              + " telemetry { recordEvents(events: $events) { alwaysNil __typename } } }");
    }

    private String operationName() {
      if (clean) {
        return pick(null, "ExportTelemetryEvents");
      }
      return pick(null, null, null, "ExportTelemetryEvents", "ExportTelemetryEvents", "Other");
    }

    private Map<String, Object> event() {
      Map<String, Object> event = new LinkedHashMap<>();
      event.put("feature", rare() ? pick(null, 12, "My_feature", "") : "myFeature");
      event.put("action", rare() ? pick(null, true, "x\u0000y") : pick("saved", "viewed"));
      if (random.nextBoolean()) {
        event.put(
            "timestamp",
            rare()
                ? pick("yesterday", 1_700_000_000, "2020-01-01T00:00:00Z", "2026-11-30T11:00:00")
                : pick("2026-11-30T11:59:00Z", "2026-11-29T10:00:00.123+02:00"));
      }
      Map<String, Object> source = new LinkedHashMap<>();
      source.put("client", rare() ? pick(null, 3, "a\u0000b") : pick("VSCode", "web"));
      if (random.nextBoolean()) {
        source.put("clientVersion", rare() ? pick(1.2, List.of("1")) : "1.90.0");
      }
      if (rare(40)) {
        source.put("extra", "x");
      }
      event.put("source", rare(40) ? "VSCode" : source);
      event.put("parameters", parameters());
      if (random.nextBoolean()) {
        Map<String, Object> tracking = new LinkedHashMap<>();
        tracking.put("url", rare() ? 5 : "https://app.example.com/page");
        if (random.nextBoolean()) {
          tracking.put("referrer", null);
        }
        event.put("marketingTracking", tracking);
      }
      if (rare(40)) {
        event.put("billing", "x");
      }
      if (rare(40)) {
        event.remove("source");
      }
      return event;
    }

    private Map<String, Object> parameters() {
      Map<String, Object> parameters = new LinkedHashMap<>();
      parameters.put(
          "version", rare() ? pick(null, 1.0, 1.5, "1", 1L << 40, -3) : random.nextInt(3));
      if (random.nextBoolean()) {
        List<Object> metadata = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
          Map<String, Object> entry = new LinkedHashMap<>();
          entry.put("key", rare() ? pick(null, 7, "") : "count" + i);
          entry.put("value", rare() ? pick(null, "ten", true, Double.NaN) : pick(1, 2.5, -7L));
          metadata.add(entry);
        }
        parameters.put("metadata", rare(40) && !metadata.isEmpty() ? metadata.get(0) : metadata);
      }
      if (random.nextBoolean()) {
        parameters.put(
            "privateMetadata",
            rare()
                ? pick("x".repeat(600), Map.of("a\u0000", 1), List.of(List.of(List.of())))
                : pick(Map.of("path", "/src/main.go"), List.of(1, "two"), "text", 3));
      }
      if (rare(20)) {
        parameters.put(
            "billingMetadata",
            rare() ? Map.of("product", "p") : Map.of("product", "p", "category", "c"));
      }
      if (random.nextBoolean()) {
        parameters.put("interactionID", rare() ? 42 : "interaction-2");
      }
      if (rare(40)) {
        parameters.put("unknown", 1);
      }
      return parameters;
    }

    /** True about one time in ten. */
    private boolean rare() {
      return rare(10);
    }

    private boolean rare(int oneIn) {
      return random.nextInt(oneIn) == 0 && !clean;
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
      return choices[random.nextInt(choices.length)];
    }
  }
}
