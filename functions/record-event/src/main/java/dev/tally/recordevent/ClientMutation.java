package dev.tally.recordevent;

import dev.tally.event.EventInput;
import dev.tally.event.MarketingField;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.record.EventRecorder;
import dev.tally.record.RecordingRequest;
import dev.tally.store.StoreException;
import graphql.GraphQLContext;
import graphql.scalars.datetime.DateTimeScalar;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Records the one request nearly every request is: the telemetry clients' persisted mutation
 * {@value #DOCUMENT}, with valid events, answered without graphql-java's engine. A cold instance
 * answers it before the GraphQL schema is built, and a warm one skips parsing, validation and
 * execution.
 *
 * <p>It takes only what it plainly accepts: that document (the same tokens, however spaced), {@code
 * operationName} absent or {@code ExportTelemetryEvents}, variables holding only {@code events}, a
 * list of objects whose fields have exactly the types of {@code TelemetryEventInput} (text as JSON
 * strings, {@code version} as a JSON integer of 32 bits, timestamps as the {@code DateTime} scalar
 * reads them, no field the schema does not have), within the request's bound, each event valid. For
 * everything else, and for every failure, it answers nothing and the request goes to the engine,
 * which refuses or records it, so that errors are the engine's, word for word. What it stores and
 * answers for what it takes is what the engine stores and answers: the same conversion ({@link
 * EventInputs}), the same recording and limits, the same body ({@code
 * ClientMutationDifferentialTest} compares the two on random requests).
 *
 * <p>The document's shape (3 fields, 3 deep, 26 tokens) is within every bound {@link
 * OperationLimits} accepts, so it needs no check.
 */
final class ClientMutation {
  /** The mutation as the clients send it. */
  static final String DOCUMENT =
      "mutation ExportTelemetryEvents($events: [TelemetryEventInput!]!) {"
          + " telemetry { recordEvents(events: $events) { alwaysNil } } }";

  static final String OPERATION = "ExportTelemetryEvents";

  private static final String TOKENS = tokens(DOCUMENT);

  private static final Set<String> SOURCE_FIELDS = Set.of("client", "clientVersion");
  private static final Set<String> BILLING_FIELDS = Set.of("product", "category");
  private static final Set<String> TRACKING_FIELDS =
      Arrays.stream(MarketingField.values())
          .map(MarketingField::inputName)
          .collect(Collectors.toUnmodifiableSet());

  private final EventRecorder recorder;
  private final CallerLimits limits;

  ClientMutation(EventRecorder recorder, CallerLimits limits) {
    this.recorder = recorder;
    this.limits = limits;
  }

  /**
   * Records the request if it is the clients' mutation with valid events, and answers it as the
   * engine would; empty when the engine must take it (nothing was stored then).
   *
   * @throws StoreException when the database fails; nothing was stored
   */
  Optional<GraphQlAnswer> record(GraphQlRequest request, RequestContext context) {
    List<Map<String, Object>> events = events(request);
    if (events == null) {
      return Optional.empty();
    }
    // The flags read with the token are those the engine would read with the first batch: this
    // document changes nothing before it records. (The engine reads them again: a request may
    // change a user's export setting in a field before the one that records.)
    RecordingRequest recording =
        recorder.begin(
            context.actor(),
            context.flags(),
            context.signals(),
            context.interactionId(),
            context.traceId());
    try {
      recording.checkRoomFor(events.size());
      List<EventInput> inputs = new ArrayList<>(events.size());
      for (Map<String, Object> event : events) {
        inputs.add(EventInputs.from(event));
      }
      recording.add(inputs);
      limits.events(context.caller(), recording.size());
      recording.commit();
    } catch (StoreException e) {
      // The database failed: answered at once as a database failure outside GraphQL is (503),
      // rather than through the engine, which would make the request wait for it a second time.
      throw e;
    } catch (RuntimeException e) {
      // Refused: nothing was stored, and the engine's answer says why in its words.
      return Optional.empty();
    }
    return Optional.of(new GraphQlAnswer(200, "ok", answer(), recording.size(), 0));
  }

  /** {@code {"data":{"telemetry":{"recordEvents":{"alwaysNil":null}}}}}. */
  private static Map<String, Object> answer() {
    Map<String, Object> emptyResponse = new LinkedHashMap<>();
    emptyResponse.put("alwaysNil", null);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("data", Map.of("telemetry", Map.of("recordEvents", emptyResponse)));
    return body;
  }

  /**
   * The request's events when it is the clients' mutation and every event has exactly the input
   * type's shape, as the engine's coercion gives them to the resolver (a timestamp as the {@code
   * DateTime} scalar reads it); otherwise {@code null}.
   */
  static List<Map<String, Object>> events(GraphQlRequest request) {
    if (request.operationName() != null && !request.operationName().equals(OPERATION)) {
      return null;
    }
    Map<String, Object> variables = request.variables();
    if (variables.size() != 1
        || !(variables.get("events") instanceof List<?> events)
        || events.isEmpty()
        || !TOKENS.equals(tokens(request.query()))) {
      return null;
    }
    List<Map<String, Object>> coerced = new ArrayList<>(events.size());
    for (Object event : events) {
      Map<String, Object> input = event(event);
      if (input == null) {
        return null;
      }
      coerced.add(input);
    }
    return coerced;
  }

  /** The event as the engine's coercion gives it, or {@code null} when it is not plainly one. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> event(Object value) {
    if (!(value instanceof Map<?, ?> event)) {
      return null;
    }
    // One pass over the fields: each known one read as it comes, any other refuses the event.
    Object feature = null;
    Object action = null;
    Object source = null;
    Object parameters = null;
    Object tracking = null;
    Object timestamp = null;
    for (Map.Entry<?, ?> field : event.entrySet()) {
      Object fieldValue = field.getValue();
      switch (name(field.getKey())) {
        case "feature" -> feature = fieldValue;
        case "action" -> action = fieldValue;
        case "source" -> source = fieldValue;
        case "parameters" -> parameters = fieldValue;
        case "marketingTracking" -> tracking = fieldValue;
        case "timestamp" -> timestamp = fieldValue;
        default -> {
          return null;
        }
      }
    }
    if (!(feature instanceof String)
        || !(action instanceof String)
        || !isObject(source, SOURCE_FIELDS, "client")
        || !isParameters(parameters)
        || (tracking != null && !isObject(tracking, TRACKING_FIELDS))) {
      return null;
    }
    if (timestamp == null) {
      return (Map<String, Object>) event;
    }
    Object read = timestamp(timestamp);
    if (read == null) {
      return null;
    }
    Map<String, Object> coerced = new LinkedHashMap<>((Map<String, Object>) event);
    coerced.put("timestamp", read);
    return coerced;
  }

  private static boolean isParameters(Object value) {
    if (!(value instanceof Map<?, ?> parameters)) {
      return false;
    }
    Object version = null;
    Object metadata = null;
    Object billing = null;
    Object interactionId = null;
    for (Map.Entry<?, ?> field : parameters.entrySet()) {
      Object fieldValue = field.getValue();
      switch (name(field.getKey())) {
        case "version" -> version = fieldValue;
        case "metadata" -> metadata = fieldValue;
        case "billingMetadata" -> billing = fieldValue;
        case "interactionID" -> interactionId = fieldValue;
        case "privateMetadata" -> {
          // any JSON value: the recorder's rules judge it
        }
        default -> {
          return false;
        }
      }
    }
    if (!(version instanceof Integer)
        || !isNullOrString(interactionId)
        || (billing != null && !isObject(billing, BILLING_FIELDS, "product", "category"))) {
      return false;
    }
    if (metadata == null) {
      return true;
    }
    if (!(metadata instanceof List<?> entries)) {
      return false;
    }
    for (Object entry : entries) {
      if (!isMetadataEntry(entry)) {
        return false;
      }
    }
    return true;
  }

  /** {@code {key: String!, value: JSONValue!}}. */
  private static boolean isMetadataEntry(Object value) {
    if (!(value instanceof Map<?, ?> pair)) {
      return false;
    }
    Object key = null;
    Object entryValue = null;
    for (Map.Entry<?, ?> field : pair.entrySet()) {
      switch (name(field.getKey())) {
        case "key" -> key = field.getValue();
        case "value" -> entryValue = field.getValue();
        default -> {
          return false;
        }
      }
    }
    return key instanceof String && entryValue != null;
  }

  /**
   * An object of string fields: only {@code fields}, the {@code required} ones present, every value
   * a string or null.
   */
  private static boolean isObject(Object value, Set<String> fields, String... required) {
    if (!(value instanceof Map<?, ?> object)) {
      return false;
    }
    for (Map.Entry<?, ?> field : object.entrySet()) {
      if (!fields.contains(field.getKey()) || !isNullOrString(field.getValue())) {
        return false;
      }
    }
    for (String field : required) {
      if (!(object.get(field) instanceof String)) {
        return false;
      }
    }
    return true;
  }

  /** A field's name; JSON objects have string keys only, anything else matches no field. */
  private static String name(Object key) {
    return key instanceof String name ? name : "";
  }

  private static boolean isNullOrString(Object value) {
    return value == null || value instanceof String;
  }

  /** What the {@code DateTime} scalar reads of a timestamp, or {@code null} when it refuses it. */
  private static Object timestamp(Object value) {
    if (!(value instanceof String)) {
      return null;
    }
    try {
      return DateTimeScalar.INSTANCE
          .getCoercing()
          .parseValue(value, GraphQLContext.getDefault(), Locale.getDefault());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The document's tokens, as compact as GraphQL lets them be written: whitespace and commas
   * between tokens are ignored, and a space is kept only between two names. A document with a
   * comment or a string literal does not match (the clients' has neither).
   */
  static String tokens(String document) {
    StringBuilder tokens = new StringBuilder(DOCUMENT.length());
    boolean gap = false;
    for (int i = 0; i < document.length(); i++) {
      char c = document.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\uFEFF') {
        gap = true;
        continue;
      }
      if (c == '#' || c == '"' || tokens.length() > DOCUMENT.length()) {
        return "";
      }
      if (gap
          && !tokens.isEmpty()
          && isNameChar(tokens.charAt(tokens.length() - 1))
          && isNameChar(c)) {
        tokens.append(' ');
      }
      gap = false;
      tokens.append(c);
    }
    return tokens.toString();
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
}
