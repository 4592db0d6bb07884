package dev.tally.recordevent;

import dev.tally.event.MarketingField;
import dev.tally.legacy.LegacyEventInput;
import dev.tally.record.RecordingRequest;
import graphql.schema.DataFetchingEnvironment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The pre-V2 recording mutations older IDE and browser extensions call: {@code logEvent}, {@code
 * logEvents} and the deprecated {@code logUserEvent}, with the original's arguments. They gather
 * their events into the request's recording like {@code recordEvents} does: the same per-request
 * bound, all or nothing with every other recording field, the same rules for text and size. Their
 * events are kept on the instance only ({@code event_logs}), never queued for export.
 */
final class LegacyFields {
  Object logEvent(DataFetchingEnvironment env) {
    return gather(env, List.of(from(env.getArguments())));
  }

  Object logEvents(DataFetchingEnvironment env) {
    List<Map<String, Object>> events = env.getArgument("events");
    if (events == null || events.isEmpty()) {
      // Nothing to record: the original answered such a call without an error.
      return EmptyResponse.VALUE;
    }
    List<LegacyEventInput> inputs = new ArrayList<>(events.size());
    RequestState state = env.getGraphQlContext().get(RequestState.class);
    // Counted before anything is converted, as recordEvents does.
    state.recordingFor(events.size());
    for (Map<String, Object> event : events) {
      inputs.add(from(event));
    }
    return gather(env, inputs);
  }

  Object logUserEvent(DataFetchingEnvironment env) {
    String event = env.getArgument("event");
    String userCookieId = env.getArgument("userCookieID");
    return gather(env, List.of(LegacyEventInput.userEvent(event, userCookieId)));
  }

  private static Object gather(DataFetchingEnvironment env, List<LegacyEventInput> inputs) {
    RequestState state = env.getGraphQlContext().get(RequestState.class);
    RecordingRequest recording = state.recordingFor(inputs.size());
    recording.addLegacy(inputs);
    state.gathered(env.getExecutionStepInfo().getPath());
    return EmptyResponse.VALUE;
  }

  /** The arguments of {@code logEvent}, or the fields of an {@code Event} input, as coerced. */
  private static LegacyEventInput from(Map<String, Object> event) {
    Map<MarketingField, String> marketing = new EnumMap<>(MarketingField.class);
    for (MarketingField field : MarketingField.values()) {
      marketing.put(field, (String) event.get(field.inputName()));
    }
    return new LegacyEventInput(
        (String) event.get("event"),
        (String) event.get("userCookieID"),
        (String) event.get("source"),
        marketing,
        (String) event.get("originalReferrer"),
        (String) event.get("argument"),
        (String) event.get("publicArgument"),
        (String) event.get("deviceID"),
        (Integer) event.get("eventID"),
        (String) event.get("insertID"));
  }
}
