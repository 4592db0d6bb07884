package dev.tally.legacy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventLimits;
import dev.tally.event.InvalidEventException;
import dev.tally.event.LimitExceededException;
import dev.tally.event.MarketingField;
import dev.tally.event.StorableText;
import dev.tally.event.TextBounds;
import dev.tally.json.Json;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * Builds the event the instance keeps of a pre-V2 event, checking it by the rules every recorded
 * event follows:
 *
 * <ul>
 *   <li><b>Name:</b> {@code event} is required, 1 to {@value #MAX_NAME_LENGTH} characters, with no
 *       control characters (legacy names such as {@code SearchResultsQueried} or {@code
 *       goToDefinition.preloaded} are not V2 feature and action names, and are not held to their
 *       pattern).
 *   <li><b>Text:</b> every string the client sent, stored or not, must be text PostgreSQL can hold
 *       unchanged ({@link StorableText}) and keep within its bound ({@link TextBounds}), with the
 *       field named in the error.
 *   <li><b>Arguments:</b> {@code argument} and {@code publicArgument} are JSON text: each must
 *       parse as one JSON value, and is then held to the rules of private metadata ({@link
 *       EventLimits#checkJson}); {@code argument} may take at most {@link
 *       EventLimits#maxPrivateMetadataBytes()} bytes as stored.
 *   <li><b>Size:</b> the event, counted as the UTF-8 bytes of all its text and stored JSON, may
 *       take at most {@link EventLimits#maxEventBytes()}.
 *   <li><b>User:</b> the request's signed-in user wins over {@code userCookieID}: a signed-in
 *       user's row never carries the cookie ID, so that it does not link the visitor to the
 *       account. Otherwise the event is the context's anonymous visitor's, and a {@code
 *       userCookieID} naming another visitor is refused: a request records the events of one
 *       visitor (its first {@code userCookieID}, or else its {@code
 *       X-Sourcegraph-Actor-Anonymous-UID} header, which the request's recording makes the
 *       context's). Only when the context names nobody is {@code userCookieID} the visitor ID; a
 *       blank one names nobody.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class LegacyEventBuilder {
  /** Longest event name, in characters. */
  public static final int MAX_NAME_LENGTH = 128;

  private final EventBuilder events;

  /**
   * @param events the V2 builder, whose clock, server version and time-ordered IDs legacy events
   *     share
   */
  public LegacyEventBuilder(EventBuilder events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * Builds and checks one event.
   *
   * @throws InvalidEventException naming the field when the event breaks a rule
   * @throws LimitExceededException naming the bound and its setting when it is over one
   */
  public LegacyEvent build(LegacyEventInput input, EventContext context, EventLimits limits) {
    checkName(input.event());
    Size size = new Size();
    size.text(input.event(), MAX_NAME_LENGTH * 4, "'event'");
    size.text(input.userCookieId(), TextBounds.ANONYMOUS_USER_ID_BYTES, "'userCookieID'");
    size.text(input.source(), TextBounds.CLIENT_BYTES, "'source'");
    for (Map.Entry<MarketingField, String> sent : input.marketing().entrySet()) {
      MarketingField field = sent.getKey();
      size.text(sent.getValue(), field.maxBytes(), "'" + field.inputName() + "'");
    }
    size.text(input.originalReferrer(), TextBounds.URL_BYTES, "'originalReferrer'");
    size.text(input.deviceId(), TextBounds.MARKETING_ID_BYTES, "'deviceID'");
    size.text(input.insertId(), TextBounds.MARKETING_ID_BYTES, "'insertID'");
    checkText(
        context.actor().anonymousUserId(),
        TextBounds.ANONYMOUS_USER_ID_BYTES,
        "the anonymous user ID (X-Sourcegraph-Actor-Anonymous-UID)");
    checkText(context.interactionId(), TextBounds.INTERACTION_ID_BYTES, "the interaction ID");

    Object argument = json(input.argument(), "argument", limits);
    Object publicArgument = json(input.publicArgument(), "publicArgument", limits);
    if (argument != null) {
      int bytes = StorableText.utf8Length(Json.write(argument));
      if (bytes > limits.maxPrivateMetadataBytes()) {
        throw new LimitExceededException(
            "'argument' may take at most "
                + limits.maxPrivateMetadataBytes()
                + " bytes, got "
                + bytes,
            EventLimits.MAX_PRIVATE_METADATA_BYTES);
      }
      size.bytes += bytes;
    }
    if (publicArgument != null) {
      size.bytes += StorableText.utf8Length(Json.write(publicArgument));
    }
    if (size.bytes > limits.maxEventBytes()) {
      throw new LimitExceededException(
          "an event may take at most " + limits.maxEventBytes() + " bytes, got " + size.bytes,
          EventLimits.MAX_EVENT_BYTES);
    }

    EventMarketingTracking tracking = MarketingField.tracking(input.marketing());

    Actor actor = context.actor();
    String anonymousUserId = null;
    if (actor.userId() == null) {
      String cookie = input.cookieVisitorId();
      String visitor = actor.anonymousUserId();
      if (cookie != null && visitor != null && !cookie.equals(visitor)) {
        throw new InvalidEventException(
            "'userCookieID' names another visitor than the request's (the first"
                + " userCookieID it sent): a request records the events of one visitor; send"
                + " each visitor's events in requests of their own");
      }
      anonymousUserId = visitor != null ? visitor : cookie;
    }
    return new LegacyEvent(
        events.newId(),
        input.event(),
        events.clock().instant(),
        actor.userId(),
        anonymousUserId,
        input.source() == null ? LegacyEventInput.UNKNOWN_SOURCE : input.source(),
        tracking,
        argument,
        publicArgument,
        context.featureFlags(),
        events.serverVersion(),
        context.interactionId());
  }

  private static void checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidEventException("'event' must be the name of the event, got none");
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new LimitExceededException(
          "'event' may be at most " + MAX_NAME_LENGTH + " characters long, got " + name.length());
    }
    StorableText.check(name, "'event'");
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw new InvalidEventException(
            "'event' must not contain control characters, but character "
                + i
                + " is U+"
                + String.format("%04X", (int) name.charAt(i)));
      }
    }
  }

  /**
   * The JSON value of an argument's text, checked; {@code null} when absent or JSON {@code null}.
   */
  private static Object json(String text, String field, EventLimits limits) {
    if (text == null) {
      return null;
    }
    StorableText.check(text, "'" + field + "'");
    Object value;
    try {
      value = Json.readOne(text);
    } catch (IOException e) {
      throw new InvalidEventException(
          "'" + field + "' must be JSON text (a JSON value in a string), but " + why(e));
    }
    limits.checkJson(value, field);
    return value;
  }

  /** A parser's complaint without the text it quotes, with where it is. */
  private static String why(IOException e) {
    if (e instanceof JsonProcessingException parse) {
      JsonLocation at = parse.getLocation();
      String message = parse.getOriginalMessage();
      message = message == null ? "it does not parse" : message.lines().findFirst().orElse("");
      return at == null
          ? message
          : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
    return e.getMessage() == null ? "it does not parse" : e.getMessage();
  }

  /** Checks text that may be absent: storable, and within its bound. */
  private static void checkText(String value, int maxBytes, String field) {
    if (value != null) {
      StorableText.check(value, field);
      TextBounds.check(value, maxBytes, field);
    }
  }

  /** The UTF-8 bytes of an event's text, each text checked as it is counted. */
  private static final class Size {
    long bytes;

    void text(String value, int maxBytes, String field) {
      if (value != null) {
        checkText(value, maxBytes, field);
        bytes += StorableText.utf8Length(value);
      }
    }
  }
}
