package dev.tally.recordevent;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.util.Timestamps;
import dev.tally.event.EventNames;
import dev.tally.event.MarketingField;
import dev.tally.gateway.EventMessages;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;

/**
 * Random, often malformed requests against record-event in the real invoker and a real PostgreSQL
 * (no rate limits, export on): whatever arrives, the answer is never a 5xx (the database is up), a
 * request is stored whole or not at all, and everything stored in the export queue can travel the
 * export path (it parses in a gateway request, and the gateway can check and print it).
 */
class RecordEventPropertyIT {
  /** Escapes every non-ASCII character, so that unpaired surrogates reach the server as sent. */
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

  private static final ObjectMapper READER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Identifier IDENTIFIER =
      Identifier.newBuilder()
          .setUnlicensedInstance(
              Identifier.UnlicensedInstanceIdentifier.newBuilder().setInstanceId("property"))
          .build();
  private static final String METADATA_JSON =
      EventMessages.metadataJson(
          RecordEventsRequestMetadata.newBuilder()
              .setRequestId("property")
              .setIdentifier(IDENTIFIER)
              .build());

  private static TestDatabase db;
  private static FunctionProcess function;

  @BeforeContainer
  static void start() throws Exception {
    db = TestDatabase.onOwnServer();
    function =
        RecordEventProcesses.start(
            db,
            Map.of(
                "TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA",
                "true",
                "TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE",
                "0",
                "TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE",
                "0",
                // The property is about what is stored, not the budgets: with the anonymous
                // byte budget on, a run of large bodies is refused with 429 before it is read,
                // and a client still sending may see the connection close instead of the answer.
                "TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE",
                "0",
                "TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE",
                "0"));
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
  }

  @AfterContainer
  static void stop() throws Exception {
    if (function != null) {
      function.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @BeforeTry
  void emptyTables() {
    db.execute("DELETE FROM event_logs; DELETE FROM telemetry_events_export_queue");
  }

  /**
   * A request body and how many events it carries in all, if it is well-formed enough to tell.
   *
   * @param body the JSON body as sent, possibly not JSON at all
   */
  record GeneratedRequest(String body, int events) {
    @Override
    public String toString() {
      return body.length() > 2000 ? body.substring(0, 2000) + "..." : body;
    }
  }

  @Property(tries = 250, edgeCases = EdgeCasesMode.NONE)
  void anyRequest_isAnsweredWithoutA5xxAndStoredWholeOrNotAtAll(
      @ForAll("requests") GeneratedRequest request) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(function.uri("/.api/graphql"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.body()))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    check(response.statusCode() < 500, "a 5xx with the database up: " + response.body());
    JsonNode answer = READER.readTree(response.body());
    long logged = db.queryLong("SELECT count(*) FROM event_logs");
    long queued = db.queryLong("SELECT count(*) FROM telemetry_events_export_queue");
    boolean accepted = response.statusCode() == 200 && !answer.has("errors");
    Statistics.label("answer").collect(accepted ? "stored" : "refused " + response.statusCode());
    Statistics.label("first error").collect(firstError(answer));
    long expected = accepted ? request.events() : 0;
    check(
        logged == expected && queued == expected,
        "stored "
            + logged
            + " in event_logs and "
            + queued
            + " in the queue, expected "
            + expected
            + " for "
            + response.statusCode()
            + " "
            + response.body());
    for (Event event : queuedEvents()) {
      checkExportable(event);
    }
  }

  /** The first error's message without its event index, cut short: what refused the request. */
  private static String firstError(JsonNode answer) {
    String message = answer.path("errors").path(0).path("message").asText("(none)");
    message = message.replaceFirst("^events\\[\\d+\\]: ", "");
    return message.length() > 40 ? message.substring(0, 40) : message;
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }

  private static List<Event> queuedEvents() throws Exception {
    List<Event> events = new ArrayList<>();
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement query =
            connection.prepareStatement("SELECT payload_pb FROM telemetry_events_export_queue");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        events.add(Event.parseFrom(rows.getBytes(1)));
      }
    }
    return events;
  }

  /** What the export path needs of a queued event, checked with the gateway's own code. */
  private static void checkExportable(Event event) throws Exception {
    byte[] request =
        RecordEventsRequest.newBuilder()
            .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addEvents(event))
            .build()
            .toByteArray();
    Event parsed = RecordEventsRequest.parseFrom(request).getEvents().getEvents(0);
    check(parsed.equals(event), "the event changes on its way through a gateway request");
    check(!event.getId().isEmpty() && Timestamps.isValid(event.getTimestamp()), "id or time");
    check(EventNames.isValid(event.getFeature()) && EventNames.isValid(event.getAction()), "name");
    byte[] data = EventMessages.data(METADATA_JSON, event);
    Map<String, String> attributes = EventMessages.attributes(IDENTIFIER, event);
    int attributeBytes = 0;
    for (Map.Entry<String, String> attribute : attributes.entrySet()) {
      int keyBytes = attribute.getKey().getBytes(StandardCharsets.UTF_8).length;
      int valueBytes = attribute.getValue().getBytes(StandardCharsets.UTF_8).length;
      check(keyBytes <= 256 && valueBytes <= 1024, "attribute over Pub/Sub's limits: " + attribute);
      attributeBytes += keyBytes + valueBytes;
    }
    check(attributes.size() <= 100, "more than 100 attributes: " + attributes.size());
    check(
        data.length + attributeBytes < 10_000_000,
        "too large for Pub/Sub: " + (data.length + attributeBytes));
    READER.readTree(data);
  }

  // --- generators ---
  //
  // Half of the requests carry only events a client may send (any Unicode text, times in the
  // window, metadata and private metadata within the bounds): those must be stored whole. The
  // other half mix in what a hostile or broken client sends.

  @Provide
  Arbitrary<GeneratedRequest> requests() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, requests(false)), Tuple.of(4, requests(true)), Tuple.of(1, garbage()));
  }

  private Arbitrary<GeneratedRequest> garbage() {
    return Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(200),
            Arbitraries.of(
                "{}",
                "[]",
                "null",
                "{\"query\": 7}",
                "{\"query\": \"mutation {\"}",
                "{\"query\": \"{ telemetry { exportedEvents { totalCount } } }\"}",
                "{\"query\": \"mutation { telemetry { recordEvents(events: []) { alwaysNil } } }\"}",
                "{\"query\": \"mutation($e: [TelemetryEventInput!]!) { telemetry {"
                    + " recordEvents(events: $e) { alwaysNil } } }\", \"variables\": {\"e\": 5}}"))
        .map(body -> new GeneratedRequest(body, 0));
  }

  /** A mutation of one to three recording fields, each with its own variable. */
  private Arbitrary<GeneratedRequest> requests(boolean hostile) {
    Arbitrary<List<List<Map<String, Object>>>> fields =
        eventLists(hostile).list().ofMinSize(1).ofMaxSize(3);
    return Combinators.combine(fields, Arbitraries.of(true, false))
        .as(
            (lists, singleWhereOne) -> {
              StringBuilder declared = new StringBuilder();
              StringBuilder selected = new StringBuilder();
              Map<String, Object> variables = new LinkedHashMap<>();
              int events = 0;
              for (int i = 0; i < lists.size(); i++) {
                List<Map<String, Object>> list = lists.get(i);
                events += list.size();
                boolean single = singleWhereOne && list.size() == 1;
                declared
                    .append(i == 0 ? "" : ", ")
                    .append("$v")
                    .append(i)
                    .append(single ? ": TelemetryEventInput!" : ": [TelemetryEventInput!]!");
                selected
                    .append(" f")
                    .append(i)
                    .append(single ? ": recordEvent(event: $v" : ": recordEvents(events: $v")
                    .append(i)
                    .append(") { alwaysNil }");
                variables.put("v" + i, single ? list.get(0) : list);
              }
              String query = "mutation(" + declared + ") { telemetry {" + selected + " } }";
              try {
                return new GeneratedRequest(
                    JSON.writeValueAsString(Map.of("query", query, "variables", variables)),
                    events);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
  }

  private Arbitrary<List<Map<String, Object>>> eventLists(boolean hostile) {
    if (!hostile) {
      return event(false).list().ofMinSize(1).ofMaxSize(5);
    }
    return Arbitraries.frequencyOf(
        Tuple.of(4, event(true).list().ofMinSize(0).ofMaxSize(4)),
        Tuple.of(
            1,
            event(true)
                .list()
                .ofMinSize(1)
                .ofMaxSize(2)
                .map(RecordEventPropertyIT::repeatToOverTheLimit)));
  }

  /**
   * Enough copies of the events to pass the default 500 per request, sometimes; small events only,
   * so that the body stays under the request size limit (a body over it is refused before it is
   * read, which other tests cover).
   */
  private static List<Map<String, Object>> repeatToOverTheLimit(List<Map<String, Object>> events) {
    try {
      if (JSON.writeValueAsString(events).length() > 2000 * events.size()) {
        return events;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    List<Map<String, Object>> many = new ArrayList<>();
    while (many.size() < 260) {
      many.addAll(events);
    }
    return many;
  }

  private Arbitrary<Map<String, Object>> event(boolean hostile) {
    Arbitrary<Object> version =
        hostile
            ? Arbitraries.frequencyOf(
                Tuple.of(20, Arbitraries.integers().between(0, 3).map(v -> (Object) v)),
                Tuple.of(1, Arbitraries.just((Object) "one")))
            : Arbitraries.integers().between(0, 3).map(v -> (Object) v);
    Arbitrary<Object> billing =
        hostile
            ? Arbitraries.of(
                    (Object) Map.of("product", "p", "category", "c"),
                    Map.of("product", "", "category", "c"))
                .injectNull(0.8)
            : Arbitraries.just((Object) Map.of("product", "cody", "category", "chat"))
                .injectNull(0.7);
    Arbitrary<Map<String, Object>> parameters =
        Combinators.combine(
                version,
                metadata(hostile).injectNull(0.4),
                json(hostile, 4).injectNull(0.4),
                billing,
                text(hostile).injectNull(0.7))
            .as(
                (v, metadata, privateMetadata, billingMetadata, interaction) -> {
                  Map<String, Object> p = new LinkedHashMap<>();
                  p.put("version", v);
                  putIfNotNull(p, "metadata", metadata);
                  putIfNotNull(p, "privateMetadata", privateMetadata);
                  putIfNotNull(p, "billingMetadata", billingMetadata);
                  putIfNotNull(p, "interactionID", interaction);
                  return p;
                });
    return Combinators.combine(
            name(hostile),
            name(hostile),
            text(hostile).filter(t -> hostile || !t.isBlank()),
            text(hostile).injectNull(0.5),
            timestamp(hostile),
            parameters,
            tracking(hostile))
        .as(
            (feature, action, client, clientVersion, timestamp, params, tracking) -> {
              Map<String, Object> event = new LinkedHashMap<>();
              event.put("feature", feature);
              event.put("action", action);
              Map<String, Object> source = new LinkedHashMap<>();
              source.put("client", client);
              putIfNotNull(source, "clientVersion", clientVersion);
              event.put("source", source);
              event.put("parameters", params);
              putIfNotNull(event, "timestamp", timestamp);
              putIfNotNull(event, "marketingTracking", tracking);
              return event;
            });
  }

  private static void putIfNotNull(Map<String, Object> map, String key, Object value) {
    if (value != null) {
      map.put(key, value);
    }
  }

  private Arbitrary<String> name(boolean hostile) {
    Arbitrary<String> valid =
        Arbitraries.of("cody.completion", "search", "a-b", "valid.feature", "viewed", "zZ");
    if (!hostile) {
      return valid;
    }
    return Arbitraries.frequencyOf(
        Tuple.of(20, valid),
        Tuple.of(1, Arbitraries.of("", "Invalid", "has_underscore", "x", "a1", "a".repeat(65))),
        Tuple.of(1, Arbitraries.strings().ofMaxLength(10)));
  }

  /** Text: any well-formed Unicode, and for a hostile client the troublesome characters too. */
  private Arbitrary<String> text(boolean hostile) {
    Arbitrary<String> unicode =
        Arbitraries.frequencyOf(
            Tuple.of(10, Arbitraries.strings().alpha().numeric().ofMaxLength(20)),
            Tuple.of(
                3,
                Arbitraries.strings()
                    .all()
                    .ofMaxLength(12)
                    .filter(t -> t.indexOf('\0') < 0 && !hasUnpairedSurrogate(t))),
            Tuple.of(
                2, Arbitraries.of("emoji \ud83d\ude00", "line\nbreak\t\u0001", "é".repeat(70))));
    if (!hostile) {
      return unicode;
    }
    return Arbitraries.frequencyOf(
        Tuple.of(20, unicode),
        Tuple.of(2, Arbitraries.of("a\u0000b", "\ud800", "x\udc00y", "")),
        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(12)),
        Tuple.of(1, Arbitraries.strings().alpha().ofMinLength(2000).ofMaxLength(70_000)));
  }

  private static boolean hasUnpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private Arbitrary<String> timestamp(boolean hostile) {
    Instant now = Instant.now();
    Arbitrary<String> inWindow =
        Arbitraries.longs()
            .between(-Duration.ofDays(80).toSeconds(), Duration.ofHours(12).toSeconds())
            .map(s -> now.plusSeconds(s).toString())
            .injectNull(0.5);
    if (!hostile) {
      return inWindow;
    }
    return Arbitraries.frequencyOf(
        Tuple.of(10, inWindow),
        Tuple.of(
            2,
            Arbitraries.longs()
                .between(-Duration.ofDays(400).toSeconds(), Duration.ofDays(30).toSeconds())
                .map(s -> now.plusSeconds(s).toString())),
        Tuple.of(
            1,
            Arbitraries.of(
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59Z",
                "not a time",
                "2024-13-45T00:00:00Z",
                "1969-12-31T23:59:59.999999999Z")));
  }

  private Arbitrary<List<Map<String, Object>>> metadata(boolean hostile) {
    Arbitrary<Object> number =
        Arbitraries.oneOf(
            Arbitraries.doubles().map(d -> (Object) d),
            Arbitraries.integers().map(i -> (Object) i));
    Arbitrary<String> key =
        Arbitraries.oneOf(
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12),
            Arbitraries.strings()
                .alpha()
                .ofMinLength(2)
                .ofMaxLength(8)
                .map(k -> "recordsPrivateMetadata" + k));
    if (!hostile) {
      return Combinators.combine(key, number)
          .as((k, v) -> Map.<String, Object>of("key", k, "value", v))
          .list()
          .ofMaxSize(8)
          .uniqueElements(entry -> entry.get("key"));
    }
    Arbitrary<Object> value =
        Arbitraries.frequencyOf(
            Tuple.of(20, number),
            Tuple.of(1, Arbitraries.of((Object) "text", true, Map.of("a", 1))));
    Arbitrary<Map<String, Object>> entry =
        Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(10, key), Tuple.of(1, text(true))), value)
            .as((k, v) -> Map.of("key", k, "value", v));
    return Arbitraries.frequencyOf(
        Tuple.of(5, entry.list().ofMaxSize(5)),
        Tuple.of(1, entry.list().ofMinSize(95).ofMaxSize(110)));
  }

  private Arbitrary<Object> json(boolean hostile, int depth) {
    Arbitrary<Object> leaf =
        Arbitraries.oneOf(
            text(hostile).map(s -> (Object) s),
            Arbitraries.doubles().map(d -> (Object) d),
            Arbitraries.of((Object) true, false));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<Object> deeper = Arbitraries.lazy(() -> json(hostile, depth - 1));
    Arbitrary<Object> object =
        Arbitraries.maps(text(hostile), deeper)
            .ofMaxSize(4)
            .map(m -> (Object) new LinkedHashMap<>(m));
    Arbitrary<Object> nested =
        hostile
            ? Arbitraries.integers().between(9, 14).map(RecordEventPropertyIT::nested)
            : Arbitraries.integers().between(1, 6).map(RecordEventPropertyIT::nested);
    return Arbitraries.frequencyOf(
        Tuple.of(6, leaf),
        Tuple.of(2, object),
        Tuple.of(1, deeper.list().ofMaxSize(3).map(l -> (Object) l)),
        Tuple.of(1, nested));
  }

  /** JSON objects nested {@code depth} deep. */
  private static Object nested(int depth) {
    Object inner = "leaf";
    for (int i = 0; i < depth; i++) {
      inner = Map.of("n", inner);
    }
    return inner;
  }

  private Arbitrary<Map<String, Object>> tracking(boolean hostile) {
    return Arbitraries.maps(
            Arbitraries.of(
                Arrays.stream(MarketingField.values()).map(MarketingField::inputName).toList()),
            text(hostile))
        .ofMaxSize(3)
        .map(m -> m.isEmpty() ? null : new LinkedHashMap<String, Object>(m));
  }
}
