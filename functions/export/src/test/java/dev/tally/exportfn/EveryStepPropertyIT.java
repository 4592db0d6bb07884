package dev.tally.exportfn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.event.MarketingField;
import dev.tally.privacy.EventLogsRetention;
import dev.tally.store.AccessTokens;
import dev.tally.store.FeatureFlags;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PubSubEmulator;
import dev.tally.testing.TestDatabase;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;

/**
 * Whatever the door accepts flows through every later step, and what it refuses is refused there:
 * events with values at and just over every bound of record-event's defaults (random Unicode of the
 * longest lengths, the most and longest metadata keys, the deepest, widest and largest private
 * metadata, legacy events with the longest names), each sent in a request of its own, then
 *
 * <ol>
 *   <li>the usage rollups count exactly the accepted events, by name and client (GraphQL {@code
 *       usage});
 *   <li>the console's usage page and each accepted event's page answer;
 *   <li>export sends every accepted V2 event through the gateway to Pub/Sub (the emulator), where
 *       it arrives with every value as sent and within Pub/Sub's attribute limits;
 *   <li>erasure of each anonymous visitor deletes exactly their events;
 *   <li>retention deletes the rest.
 * </ol>
 *
 * <p>A refused event is answered with a 4xx whose error names the field or the setting at fault,
 * and stores nothing. Every function runs in the real invoker, against a PostgreSQL server of its
 * own and the Pub/Sub emulator.
 */
class EveryStepPropertyIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String V2_MUTATION =
      "mutation($e: [TelemetryEventInput!]!) { telemetry { recordEvents(events: $e) {"
          + " alwaysNil } } }";
  private static final String LEGACY_MUTATION =
      "mutation($e: [Event!]) { logEvents(events: $e) { alwaysNil } }";

  private static TestDatabase db;
  private static Pipeline pipeline;
  private static PubSubEmulator emulator;
  private static FunctionProcess recordEvent;
  private static String userToken;
  private static String adminToken;
  private static String consoleCookie;

  @BeforeContainer
  static void start() throws Exception {
    db = TestDatabase.onOwnServer();
    Map<String, String> recordEnv = new HashMap<>();
    // Everything an event holds travels to Pub/Sub, so that every value is checked there.
    recordEnv.put("TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA", "true");
    // The bounds under test are the event's, not the callers' rates.
    for (String limit :
        List.of(
            "TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE",
            "TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE",
            "TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE",
            "TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE",
            "TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE",
            "TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE")) {
      recordEnv.put(limit, "0");
    }
    pipeline = Pipeline.start(db.url(), db.user(), recordEnv);
    recordEvent = pipeline.recordEvent();
    emulator = pipeline.emulator();
    new FeatureFlags(db.dataSource()).set(FeatureFlags.TELEMETRY_EXPORT, true);
    AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
    userToken = tokens.create(7, Set.of(AccessTokens.USER_ALL), null, "user").token();
    adminToken =
        tokens
            .create(1, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
            .token();
    consoleCookie = signIn();
  }

  @AfterContainer
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @BeforeTry
  void emptyTables() throws Exception {
    db.execute(
        "TRUNCATE event_logs, telemetry_events_export_queue, event_usage_daily,"
            + " event_usage_users, event_usage_last_seen RESTART IDENTITY;"
            + " UPDATE event_usage_rollup_state SET rolled_up_to = 0");
    // Copies of earlier tries' events that Pub/Sub delivered again.
    emulator.pull(Pipeline.SUBSCRIPTION, Integer.MAX_VALUE, Duration.ZERO);
  }

  // ---------------------------------------------------------------- the property

  @Property(tries = 30, edgeCases = EdgeCasesMode.NONE)
  void whatTheDoorAccepts_flowsThroughEveryStep_andWhatItRefusesIsNamed(
      @ForAll("batches") List<Generated> batch) throws Exception {
    everyStep(batch);
  }

  /**
   * Every bound, whatever the random draws cover: for each value, one event with it at its bound
   * and one with it just over, the others short.
   */
  @Example
  void everyBound_atItAndJustOverIt() throws Exception {
    Random random = new Random(20261206);
    List<Generated> events = new ArrayList<>();
    int v2Fields = V2_TEXT.size() + 5;
    for (int field = 0; field < v2Fields; field++) {
      boolean visitor = field == V2_TEXT.size();
      List<Size> sizes =
          field == v2Fields - 2
              ? List.of(Size.AT_BOUND, Size.JUST_OVER, Size.FAR_OVER) // key length, then count
              : List.of(Size.AT_BOUND, Size.JUST_OVER);
      // Private metadata: its depth, its keys in all, its size.
      int variants = field == v2Fields - 1 ? 3 : 1;
      for (Size size : sizes) {
        for (int variant = 0; variant < variants; variant++) {
          Size[] draw = new Size[v2Fields];
          java.util.Arrays.fill(draw, Size.SHORT);
          draw[field] = size;
          events.add(v2(random, new Draw(draw, variant, !visitor)));
        }
      }
    }
    int legacyFields = LEGACY_TEXT.size() + 1;
    for (int field = 0; field < legacyFields; field++) {
      for (Size size : List.of(Size.AT_BOUND, Size.JUST_OVER)) {
        Size[] draw = new Size[legacyFields];
        java.util.Arrays.fill(draw, Size.SHORT);
        draw[field] = size;
        events.add(legacy(random, draw));
      }
    }
    everyStep(events);
  }

  private void everyStep(List<Generated> events) throws Exception {
    List<Recorded> accepted = new ArrayList<>();
    for (Generated event : events) {
      record(event).ifPresent(accepted::add);
    }
    Statistics.label("accepted").collect(accepted.size());

    checkUsage(accepted);
    checkConsole(accepted);
    checkExport(accepted);
    checkErasure(accepted);
    checkRetention();
  }

  /** An accepted event: what was sent, and the ID the instance gave it. */
  record Recorded(Generated sent, String id) {}

  /** Sends one event in a request of its own; the event as stored when it was accepted. */
  private java.util.Optional<Recorded> record(Generated event) throws Exception {
    long before = db.queryLong("SELECT count(*) FROM event_logs");
    HttpRequest.Builder request =
        HttpRequest.newBuilder(recordEvent.uri("/.api/graphql"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    JSON.writeValueAsString(
                        Map.of(
                            "query",
                            event.legacy() ? LEGACY_MUTATION : V2_MUTATION,
                            "variables",
                            Map.of("e", List.of(event.input()))))));
    if (event.signedIn()) {
      request.header("Authorization", "token " + userToken);
    } else if (!event.legacy()) {
      request.header("X-Sourcegraph-Actor-Anonymous-UID", event.visitor());
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode answer = JSON.readTree(response.body());
    String error = answer.path("errors").path(0).path("message").asText(null);
    long stored = db.queryLong("SELECT count(*) FROM event_logs") - before;

    if (event.over() != null) {
      Statistics.label("refused").collect(event.over());
      check(
          response.statusCode() >= 400 && response.statusCode() < 500,
          "an event over the bound of " + event.over() + " was answered " + describe(response));
      check(
          error != null && error.contains(event.over()),
          "the refusal does not name " + event.over() + ": " + error);
      check(stored == 0, "a refused event was stored");
      return java.util.Optional.empty();
    }
    if (event.nearEventSize() && response.statusCode() == 413) {
      Statistics.label("refused").collect("the event's size");
      check(
          error != null && error.contains("TELEMETRY_MAX_EVENT_BYTES"),
          "an event within every bound but its size was refused for something else: " + error);
      check(stored == 0, "a refused event was stored");
      return java.util.Optional.empty();
    }
    Statistics.label("refused").collect("(accepted)");
    check(
        response.statusCode() == 200 && error == null,
        "an event within every bound was refused: " + describe(response));
    check(stored == 1, "an accepted event was stored " + stored + " times");
    return java.util.Optional.of(
        new Recorded(
            event,
            db.queryString("SELECT event_id::text FROM event_logs ORDER BY id DESC LIMIT 1")));
  }

  /** The usage rollups count exactly the accepted events, by name and by client. */
  private void checkUsage(List<Recorded> accepted) throws Exception {
    JsonNode answer =
        graphQl(
            """
            { telemetry { usage(days: 2) {
                pendingEvents
                eventsByDay(features: 5) { days { events } }
                topEvents(first: 100) { feature action events }
                activeUsers { weekly { signedIn anonymous } }
                clients(first: 100) { client version events } } } }
            """,
            Map.of());
    check(!answer.has("errors"), "usage failed: " + answer);
    JsonNode usage = answer.path("data").path("telemetry").path("usage");
    check(usage.path("pendingEvents").asInt() == 0, "usage left events out: " + usage);
    long counted = 0;
    for (JsonNode day : usage.path("eventsByDay").path("days")) {
      counted += day.path("events").asLong();
    }
    check(counted == accepted.size(), counted + " events counted of " + accepted.size());

    Map<String, Integer> names = new TreeMap<>();
    Map<String, Integer> clients = new TreeMap<>();
    for (Recorded event : accepted) {
      names.merge(event.sent().feature() + " / " + event.sent().action(), 1, Integer::sum);
      clients.merge(event.sent().client() + " / " + event.sent().clientVersion(), 1, Integer::sum);
    }
    Map<String, Integer> countedNames = new TreeMap<>();
    for (JsonNode top : usage.path("topEvents")) {
      countedNames.merge(
          top.path("feature").asText() + " / " + top.path("action").asText(),
          top.path("events").asInt(),
          Integer::sum);
    }
    Map<String, Integer> countedClients = new TreeMap<>();
    for (JsonNode client : usage.path("clients")) {
      countedClients.merge(
          client.path("client").asText() + " / " + client.path("version").asText(""),
          client.path("events").asInt(),
          Integer::sum);
    }
    check(names.equals(countedNames), "names counted " + countedNames + ", sent " + names);
    check(
        clients.equals(countedClients), "clients counted " + countedClients + ", sent " + clients);

    long visitors =
        accepted.stream()
            .filter(r -> !r.sent().signedIn())
            .map(r -> r.sent().visitor())
            .distinct()
            .count();
    long signedIn = accepted.stream().anyMatch(r -> r.sent().signedIn()) ? 1 : 0;
    JsonNode weekly = usage.path("activeUsers").path("weekly");
    check(
        weekly.path("anonymous").asLong() == visitors
            && weekly.path("signedIn").asLong() == signedIn,
        "active users "
            + weekly
            + ", expected "
            + visitors
            + " visitors and "
            + signedIn
            + " user");
  }

  /** The console's usage page, its list of recorded events, and each accepted event's page. */
  private void checkConsole(List<Recorded> accepted) throws Exception {
    for (String path : List.of("/console?days=7", "/console/events")) {
      HttpResponse<String> page = console(path);
      check(page.statusCode() == 200, path + " answered " + describe(page));
    }
    for (Recorded event : accepted) {
      HttpResponse<String> page = console("/console/events/" + event.id());
      check(page.statusCode() == 200, "the event's page answered " + describe(page));
      check(page.body().contains(event.id()), "the event's page does not show it");
    }
  }

  /** Export sends every accepted V2 event to Pub/Sub, with every value as sent. */
  private void checkExport(List<Recorded> accepted) throws Exception {
    Map<String, Recorded> expected = new HashMap<>();
    for (Recorded event : accepted) {
      if (!event.sent().legacy()) {
        expected.put(event.id(), event);
      }
    }
    long exported = 0;
    for (int run = 0; run < 5; run++) {
      JsonNode line = pipeline.runExport();
      exported += line.path("exported").asLong();
      if (line.path("backlog").asLong(-1) == 0) {
        break;
      }
    }
    check(exported == expected.size(), exported + " exported of " + expected.size());

    Map<String, JsonNode> published = new HashMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!published.keySet().containsAll(expected.keySet()) && System.nanoTime() < deadline) {
      for (PubSubEmulator.Message message :
          emulator.pull(Pipeline.SUBSCRIPTION, expected.size(), Duration.ofSeconds(5))) {
        checkAttributes(message.attributes());
        JsonNode event = JSON.readTree(message.data()).path("event");
        published.put(event.path("id").asText(), event);
      }
    }
    check(
        published.keySet().containsAll(expected.keySet()),
        "not published: " + expected.size() + " expected, " + published.size() + " arrived");
    for (Recorded event : expected.values()) {
      checkPublished(event.sent(), published.get(event.id()));
    }
  }

  /** Pub/Sub's limits, which the emulator does not check: 100 attributes, 256 and 1,024 bytes. */
  private static void checkAttributes(Map<String, String> attributes) {
    check(attributes.size() <= 100, attributes.size() + " attributes");
    for (Map.Entry<String, String> attribute : attributes.entrySet()) {
      check(
          utf8(attribute.getKey()) <= 256 && utf8(attribute.getValue()) <= 1024,
          "an attribute over Pub/Sub's limits: " + attribute.getKey());
    }
  }

  /** The published event holds every value as it was sent. */
  @SuppressWarnings("unchecked")
  private static void checkPublished(Generated sent, JsonNode event) {
    Map<String, Object> input = sent.input();
    Map<String, Object> source = (Map<String, Object>) input.get("source");
    JsonNode client = event.path("source").path("client");
    same(source.get("client"), client.path("name"), "source.client");
    same(source.get("clientVersion"), client.path("version"), "source.clientVersion");
    same(input.get("feature"), event.path("feature"), "feature");
    same(input.get("action"), event.path("action"), "action");
    Map<String, Object> parameters = (Map<String, Object>) input.get("parameters");
    JsonNode sentParameters = event.path("parameters");
    same(parameters.get("interactionID"), event.path("interaction").path("interactionId"), "id");
    if (parameters.get("billingMetadata") instanceof Map<?, ?> billing) {
      same(billing.get("product"), sentParameters.path("billingMetadata").path("product"), "p");
      same(billing.get("category"), sentParameters.path("billingMetadata").path("category"), "c");
    }
    List<Map<String, Object>> metadata =
        (List<Map<String, Object>>) parameters.getOrDefault("metadata", List.of());
    for (Map<String, Object> entry : metadata) {
      check(
          sentParameters.path("metadata").has((String) entry.get("key")),
          "a metadata key did not arrive");
    }
    check(
        sentParameters.path("metadata").size() == metadata.size(),
        "metadata keys arrived: " + sentParameters.path("metadata").size());
    if (parameters.containsKey("privateMetadata")) {
      // Numbers travel as doubles: 7 arrives as 7.0.
      check(
          JSON.valueToTree(parameters.get("privateMetadata"))
              .equals(EveryStepPropertyIT::sameValue, sentParameters.path("privateMetadata")),
          "private metadata changed on its way");
    }
    if (input.get("marketingTracking") instanceof Map<?, ?> tracking) {
      JsonNode published = event.path("marketingTracking");
      for (Map.Entry<?, ?> field : tracking.entrySet()) {
        same(field.getValue(), published.path(protoJsonName((String) field.getKey())), "tracking");
      }
    }
    same(sent.signedIn() ? null : sent.visitor(), event.path("user").path("anonymousUserId"), "a");
  }

  /** Erasing each anonymous visitor deletes exactly their events. */
  private void checkErasure(List<Recorded> accepted) throws Exception {
    Map<String, Integer> byVisitor = new HashMap<>();
    for (Recorded event : accepted) {
      if (!event.sent().signedIn()) {
        byVisitor.merge(event.sent().visitor(), 1, Integer::sum);
      }
    }
    for (Map.Entry<String, Integer> visitor : byVisitor.entrySet()) {
      JsonNode answer =
          graphQl(
              "mutation($a: String) { telemetry { erasePersonalData(anonymousUserID: $a) {"
                  + " eventLogs } } }",
              Map.of("a", visitor.getKey()));
      check(!answer.has("errors"), "erasure failed: " + answer);
      long erased =
          answer
              .path("data")
              .path("telemetry")
              .path("erasePersonalData")
              .path("eventLogs")
              .asLong();
      check(erased == visitor.getValue(), "erased " + erased + " of " + visitor.getValue());
    }
    long left = db.queryLong("SELECT count(*) FROM event_logs");
    long signedIn = accepted.stream().filter(r -> r.sent().signedIn()).count();
    check(left == signedIn, left + " events left after erasure, expected " + signedIn);
  }

  /** Retention deletes what is left: everything arrived before a cutoff just ahead. */
  private void checkRetention() {
    long left = db.queryLong("SELECT count(*) FROM event_logs");
    long deleted =
        new EventLogsRetention(db.dataSource(), Clock.systemUTC())
            .prune(Instant.now().plusSeconds(1), Instant.now().plus(Duration.ofMinutes(1)))
            .deleted();
    check(deleted == left, "retention deleted " + deleted + " of " + left);
  }

  // ---------------------------------------------------------------- generated events

  /**
   * One generated event.
   *
   * @param legacy whether it is a pre-V2 event ({@code logEvents})
   * @param input the event as the mutation's variable holds it
   * @param visitor the anonymous ID: the header of a V2 event, a legacy event's {@code
   *     userCookieID}; unused when signed in
   * @param signedIn whether it is sent with a user's token
   * @param over what the refusal must name, when a value is over its bound; else {@code null}
   * @param nearEventSize whether the event may be over its encoded size with every value within its
   *     bound: a refusal naming that size is right then
   */
  record Generated(
      boolean legacy,
      Map<String, Object> input,
      String visitor,
      boolean signedIn,
      String over,
      boolean nearEventSize) {

    String feature() {
      return (String) (legacy ? input.get("event") : input.get("feature"));
    }

    String action() {
      return legacy ? "" : (String) input.get("action");
    }

    @SuppressWarnings("unchecked")
    String client() {
      return legacy ? "WEB" : (String) ((Map<String, Object>) input.get("source")).get("client");
    }

    @SuppressWarnings("unchecked")
    String clientVersion() {
      if (legacy) {
        return "";
      }
      Object version = ((Map<String, Object>) input.get("source")).get("clientVersion");
      return version == null ? "" : (String) version;
    }

    @Override
    public String toString() {
      String text = (legacy ? "legacy " : "") + (over == null ? "within bounds" : "over " + over);
      return text + " " + abbreviated(input.toString());
    }
  }

  @Provide
  Arbitrary<List<Generated>> batches() {
    return Arbitraries.randomValue(EveryStepPropertyIT::generate).list().ofSize(5);
  }

  /** A V2 text field: the input's place, its bound in bytes, and what a refusal names. */
  private record TextField(String group, String name, int bound, String named) {}

  /**
   * The V2 text fields: every marketing field (from {@link MarketingField}, whose names and bounds
   * {@code MarketingFieldTest} pins to the wire contract) and the others.
   */
  private static final List<TextField> V2_TEXT =
      Stream.concat(
              Stream.of(
                  new TextField("source", "client", 128, "'source.client'"),
                  new TextField("source", "clientVersion", 128, "'source.clientVersion'"),
                  new TextField("parameters", "interactionID", 256, "the interaction ID"),
                  new TextField("billing", "product", 128, "'parameters.billingMetadata.product'"),
                  new TextField(
                      "billing", "category", 128, "'parameters.billingMetadata.category'")),
              Arrays.stream(MarketingField.values())
                  .map(
                      field ->
                          new TextField(
                              "marketingTracking",
                              field.inputName(),
                              field.maxBytes(),
                              "'marketingTracking." + field.inputName() + "'")))
          .toList();

  /** The legacy text fields: every marketing field, and the others. */
  private static final List<TextField> LEGACY_TEXT =
      Stream.concat(
              Stream.of(
                  new TextField("event", "userCookieID", 256, "'userCookieID'"),
                  new TextField("event", "originalReferrer", 8192, "'originalReferrer'"),
                  new TextField("event", "deviceID", 256, "'deviceID'"),
                  new TextField("event", "insertID", 256, "'insertID'")),
              Arrays.stream(MarketingField.values())
                  .map(
                      field ->
                          new TextField(
                              "event",
                              field.inputName(),
                              field.maxBytes(),
                              "'" + field.inputName() + "'")))
          .toList();

  private static Generated generate(Random random) {
    if (random.nextInt(4) == 0) {
      return legacy(random, sizes(random, LEGACY_TEXT.size() + 1));
    }
    return v2(
        random,
        new Draw(sizes(random, V2_TEXT.size() + 5), random.nextInt(3), random.nextInt(3) == 0));
  }

  /**
   * How the values of a V2 event are drawn.
   *
   * @param sizes of its text fields ({@link #V2_TEXT}), then of the anonymous ID, the feature, the
   *     action, the metadata and the private metadata
   * @param privateVariant which bound of private metadata is drawn at or over: 0 its depth, 1 its
   *     keys in all, 2 its size
   * @param signedIn whether it is sent with a user's token (when its anonymous ID is short)
   */
  private record Draw(Size[] sizes, int privateVariant, boolean signedIn) {}

  /** How a value is drawn: short, at its bound, just over it, or far over it. */
  private enum Size {
    SHORT,
    AT_BOUND,
    JUST_OVER,
    FAR_OVER
  }

  /**
   * Draws which values of an event are at their bounds (each with a probability of 0.3) and which
   * one, if any, is over its bound (with a probability of 0.4).
   */
  private static Size[] sizes(Random random, int fields) {
    Size[] sizes = new Size[fields];
    for (int i = 0; i < fields; i++) {
      sizes[i] = random.nextInt(10) < 3 ? Size.AT_BOUND : Size.SHORT;
    }
    if (random.nextInt(10) < 4) {
      sizes[random.nextInt(fields)] = random.nextBoolean() ? Size.JUST_OVER : Size.FAR_OVER;
    }
    return sizes;
  }

  private static String text(Random random, Size size, int bound) {
    return switch (size) {
      case SHORT -> Text.ofBytes(random, 1 + random.nextInt(Math.min(bound, 24)));
      case AT_BOUND -> Text.ofBytes(random, bound);
      case JUST_OVER -> Text.ofBytes(random, bound + 1 + random.nextInt(4));
      case FAR_OVER -> Text.letters(random, bound + 6000);
    };
  }

  private static boolean isOver(Size size) {
    return size == Size.JUST_OVER || size == Size.FAR_OVER;
  }

  private static Generated v2(Random random, Draw draw) {
    Size[] sizes = draw.sizes();
    String over = null;

    Map<String, Object> source = new LinkedHashMap<>();
    Map<String, Object> parameters = new LinkedHashMap<>();
    Map<String, Object> billing = new LinkedHashMap<>();
    Map<String, Object> tracking = new LinkedHashMap<>();
    for (int i = 0; i < V2_TEXT.size(); i++) {
      TextField field = V2_TEXT.get(i);
      boolean optional = !field.name().equals("client");
      if (sizes[i] == Size.SHORT && optional && random.nextBoolean()) {
        continue;
      }
      String value = text(random, sizes[i], field.bound());
      if (isOver(sizes[i])) {
        over = field.named();
      }
      switch (field.group()) {
        case "source" -> source.put(field.name(), value);
        case "parameters" -> parameters.put(field.name(), value);
        case "billing" -> billing.put(field.name(), value);
        default -> tracking.put(field.name(), value);
      }
    }
    if (!billing.isEmpty()) {
      // Both or neither: give the other one a short value.
      billing.putIfAbsent("product", Text.ofBytes(random, 8));
      billing.putIfAbsent("category", Text.ofBytes(random, 8));
      parameters.put("billingMetadata", billing);
    }

    int i = V2_TEXT.size();
    Size visitorSize = sizes[i++];
    boolean signedIn = visitorSize == Size.SHORT && draw.signedIn();
    String visitor =
        switch (visitorSize) {
          case SHORT -> Text.ascii(random, 8 + random.nextInt(30));
          case AT_BOUND -> Text.ascii(random, 256);
          case JUST_OVER -> Text.ascii(random, 257);
          case FAR_OVER -> Text.ascii(random, 2000);
        };
    if (isOver(visitorSize)) {
      over = "the anonymous user ID";
    }
    String[] names = new String[2];
    for (int n = 0; n < 2; n++) {
      Size size = sizes[i++];
      names[n] =
          switch (size) {
            case SHORT -> Text.name(random, 2 + random.nextInt(20));
            case AT_BOUND -> Text.name(random, 64);
            case JUST_OVER -> Text.name(random, 65);
            case FAR_OVER -> Text.name(random, 600);
          };
      if (isOver(size)) {
        over = n == 0 ? "'feature'" : "'action'";
      }
    }
    Size metadataSize = sizes[i++];
    List<Map<String, Object>> metadata = new ArrayList<>();
    int keys =
        switch (metadataSize) {
          case SHORT -> random.nextInt(4);
          case AT_BOUND, JUST_OVER -> 100;
          case FAR_OVER -> 101;
        };
    for (int k = 0; k < keys; k++) {
      int keyBytes = metadataSize == Size.SHORT ? 1 + random.nextInt(20) : 128;
      if (metadataSize == Size.JUST_OVER && k == keys - 1) {
        keyBytes = 129;
      }
      // A number at the end keeps keys apart.
      String key = Text.ofBytes(random, keyBytes - 4) + String.format("%04d", k);
      metadata.add(Map.of("key", key, "value", random.nextInt(1000) - 500));
    }
    if (metadataSize == Size.JUST_OVER) {
      over = "TELEMETRY_MAX_METADATA_KEY_BYTES";
    } else if (metadataSize == Size.FAR_OVER) {
      over = "TELEMETRY_MAX_METADATA_KEYS";
    }
    if (!metadata.isEmpty()) {
      parameters.put("metadata", metadata);
    }
    Size privateSize = sizes[i];
    PrivateMetadata privateMetadata =
        PrivateMetadata.draw(random, privateSize, draw.privateVariant());
    if (privateMetadata.value() != null) {
      parameters.put("privateMetadata", privateMetadata.value());
    }
    if (privateMetadata.over() != null) {
      over = privateMetadata.over();
    }
    parameters.put("version", random.nextInt(3));

    Map<String, Object> input = new LinkedHashMap<>();
    input.put("feature", names[0]);
    input.put("action", names[1]);
    input.put("source", source);
    input.put("parameters", parameters);
    if (!tracking.isEmpty()) {
      input.put("marketingTracking", tracking);
    }
    return new Generated(false, input, visitor, signedIn, over, utf8Json(input) > 48 * 1024);
  }

  /** A legacy event; {@code sizes} of its text fields ({@link #LEGACY_TEXT}), then its name. */
  private static Generated legacy(Random random, Size[] sizes) {
    String over = null;
    Map<String, Object> input = new LinkedHashMap<>();
    Size nameSize = sizes[LEGACY_TEXT.size()];
    input.put(
        "event",
        switch (nameSize) {
          case SHORT -> Text.legacyName(random, 1 + random.nextInt(30));
          case AT_BOUND -> Text.legacyName(random, 128);
          case JUST_OVER -> Text.legacyName(random, 129);
          case FAR_OVER -> Text.legacyName(random, 3000);
        });
    if (isOver(nameSize)) {
      over = "'event'";
    }
    for (int i = 0; i < LEGACY_TEXT.size(); i++) {
      TextField field = LEGACY_TEXT.get(i);
      boolean required = field.name().equals("userCookieID") || field.name().equals("url");
      if (sizes[i] == Size.SHORT && !required && random.nextBoolean()) {
        continue;
      }
      input.put(field.name(), text(random, sizes[i], field.bound()));
      if (isOver(sizes[i])) {
        over = field.named();
      }
    }
    input.put("source", "WEB");
    input.put("argument", "{\"n\":" + random.nextInt(100) + "}");
    String visitor = (String) input.get("userCookieID");
    // A cookie ID of blanks and control characters only leaves the event with no visitor.
    if (visitor.trim().isEmpty()) {
      visitor = "v" + visitor;
      input.put("userCookieID", visitor);
    }
    return new Generated(true, input, visitor.trim(), false, over, utf8Json(input) > 48 * 1024);
  }

  /**
   * Private metadata drawn for a size: short, or at or over one of its bounds (depth, keys in all,
   * encoded size).
   *
   * @param over the setting a refusal names, or {@code null}
   */
  private record PrivateMetadata(Object value, String over) {
    static PrivateMetadata draw(Random random, Size size, int variant) {
      if (size == Size.SHORT) {
        return new PrivateMetadata(
            random.nextBoolean() ? null : Map.of(Text.ofBytes(random, 6), Text.ofBytes(random, 20)),
            null);
      }
      boolean over = size != Size.AT_BOUND;
      return switch (variant) {
        case 0 ->
            new PrivateMetadata(
                nested(over ? 11 : 10, Text.ofBytes(random, 40)),
                over ? "TELEMETRY_MAX_PRIVATE_METADATA_DEPTH" : null);
        case 1 -> {
          Map<String, Object> wide = new LinkedHashMap<>();
          for (int k = 0; k < (over ? 1001 : 1000); k++) {
            wide.put("k" + k, k);
          }
          yield new PrivateMetadata(wide, over ? "TELEMETRY_MAX_PRIVATE_METADATA_KEYS" : null);
        }
        default ->
            new PrivateMetadata(
                // A one-letter key and a long string take 15 bytes of a Struct around the text.
                Map.of("t", Text.ofBytes(random, over ? 32 * 1024 : 32 * 1024 - 15)),
                over ? "TELEMETRY_MAX_PRIVATE_METADATA_BYTES" : null);
      };
    }

    private static Map<String, Object> nested(int depth, String text) {
      Map<String, Object> inner = new LinkedHashMap<>(Map.of("leaf", text));
      for (int level = depth; level > 1; level--) {
        inner = new LinkedHashMap<>(Map.of("level" + level, inner));
      }
      return inner;
    }
  }

  /** Random text of exact sizes. */
  private static final class Text {
    /**
     * Exactly {@code bytes} UTF-8 bytes of random Unicode that PostgreSQL can store: ASCII, control
     * characters, two-, three- and four-byte characters; no NUL and no lone surrogate.
     */
    static String ofBytes(Random random, int bytes) {
      String text;
      do {
        text = anyOfBytes(random, bytes);
        // A value of blanks only is no value (a client name must be given): draw again.
      } while (bytes > 0 && text.isBlank());
      return text;
    }

    private static String anyOfBytes(Random random, int bytes) {
      StringBuilder text = new StringBuilder();
      int left = bytes;
      while (left > 0) {
        int codePoint =
            switch (random.nextInt(6)) {
              case 0 -> 0x01 + random.nextInt(0x1f);
              case 1 -> 0x80 + random.nextInt(0x780);
              case 2 -> {
                int c = 0x800 + random.nextInt(0xf800);
                yield Character.isSurrogate((char) c) ? 0x4e2d : c;
              }
              case 3 -> 0x10000 + random.nextInt(0x100000);
              default -> 0x20 + random.nextInt(0x5f);
            };
        int length = utf8(new String(Character.toChars(codePoint)));
        if (length > left) {
          codePoint = 'a' + random.nextInt(26);
          length = 1;
        }
        text.appendCodePoint(codePoint);
        left -= length;
      }
      return text.toString();
    }

    /** Random letters: text no database compresses to fit an index entry. */
    static String letters(Random random, int length) {
      StringBuilder text = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        text.append((char) ('a' + random.nextInt(26)));
      }
      return text.toString();
    }

    /** Printable ASCII without spaces: what an HTTP header carries as sent. */
    static String ascii(Random random, int length) {
      StringBuilder text = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        text.append((char) ('!' + random.nextInt('~' - '!' + 1)));
      }
      return text.toString();
    }

    /** A feature or action name of {@code length} characters. */
    static String name(Random random, int length) {
      String rest = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.";
      StringBuilder name = new StringBuilder().append((char) ('a' + random.nextInt(26)));
      while (name.length() < length) {
        name.append(rest.charAt(random.nextInt(rest.length())));
      }
      return name.toString();
    }

    /** A legacy event name of {@code length} characters of the Basic Multilingual Plane. */
    static String legacyName(Random random, int length) {
      StringBuilder name = new StringBuilder();
      while (name.length() < length) {
        char c = (char) (0x20 + random.nextInt(0xffe0));
        if (!Character.isISOControl(c) && !Character.isSurrogate(c) && !Character.isWhitespace(c)) {
          name.append(c);
        }
      }
      return name.toString();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static JsonNode graphQl(String query, Map<String, Object> variables) throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("query", query);
    body.put("variables", variables);
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(recordEvent.uri("/.api/graphql"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "token " + adminToken)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    check(response.statusCode() == 200, "an administrator's query answered " + describe(response));
    return JSON.readTree(response.body());
  }

  /** Signs in to the console with the administrator's token; the cookie that keeps the session. */
  private static String signIn() throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(recordEvent.uri("/console/sign-in"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "http://127.0.0.1:" + recordEvent.port())
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "token=" + URLEncoder.encode(adminToken, StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    check(response.statusCode() == 303, "signing in to the console answered " + describe(response));
    String cookie = response.headers().firstValue("Set-Cookie").orElseThrow();
    return cookie.substring(0, cookie.indexOf(';'));
  }

  private static HttpResponse<String> console(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(recordEvent.uri(path))
            .timeout(Duration.ofSeconds(60))
            .header("Cookie", consoleCookie)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A marketing field's name in protobuf's JSON, as the published event holds it. */
  private static String protoJsonName(String inputName) {
    return MarketingField.byInputName(inputName).orElseThrow().jsonName();
  }

  private static void same(Object sent, JsonNode published, String what) {
    String arrived = published.isMissingNode() || published.isNull() ? null : published.asText();
    check(
        sent == null ? arrived == null || arrived.isEmpty() : sent.equals(arrived),
        what
            + " changed on its way: sent "
            + abbreviated(String.valueOf(sent))
            + ", published "
            + abbreviated(String.valueOf(arrived)));
  }

  private static int sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return Double.compare(a.doubleValue(), b.doubleValue());
    }
    return a.equals(b) ? 0 : 1;
  }

  private static int utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  private static int utf8Json(Object value) {
    try {
      return JSON.writeValueAsBytes(value).length;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String describe(HttpResponse<String> response) {
    return response.statusCode() + " " + abbreviated(response.body());
  }

  private static String abbreviated(String text) {
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
