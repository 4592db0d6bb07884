package dev.tally.legacy;

import dev.tally.event.MarketingField;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A pre-V2 event as an older client sends it: the arguments of {@code logEvent}, or one {@code
 * Event} of {@code logEvents}. Every field is what the client sent, {@code null} when it sent none.
 *
 * @param event the event's name, such as {@code SearchResultsQueried}
 * @param userCookieId the anonymous visitor ID the client keeps; the request's signed-in user wins
 *     over it, and a request names one visitor at most
 * @param source where it came from: a value of the GraphQL enum {@code EventSource} ({@code WEB},
 *     {@code CODEHOSTINTEGRATION}, ...), or {@code null} for {@code logUserEvent}, which has none
 * @param marketing the marketing fields the client sent, by field: {@code url} (the page the event
 *     happened on), {@code firstSourceURL}, ...; absent where it sent none
 * @param originalReferrer accepted and checked, not stored (no column; V2 has no such field)
 * @param argument JSON text kept on the instance (the original's private argument)
 * @param publicArgument JSON text the original sent to its own analytics
 * @param deviceId accepted and checked, not stored: a device identifier for an analytics service
 *     the instance does not use
 * @param eventId accepted, not stored: a de-duplication key for that service
 * @param insertId accepted and checked, not stored: a de-duplication key for that service
 */
public record LegacyEventInput(
    String event,
    String userCookieId,
    String source,
    Map<MarketingField, String> marketing,
    String originalReferrer,
    String argument,
    String publicArgument,
    String deviceId,
    Integer eventId,
    String insertId) {

  /** The {@code source} of events of {@code logUserEvent}, which names none. */
  public static final String UNKNOWN_SOURCE = "UNKNOWN";

  public LegacyEventInput {
    EnumMap<MarketingField, String> sent = new EnumMap<>(MarketingField.class);
    if (marketing != null) {
      marketing.forEach(
          (field, value) -> {
            if (value != null) {
              sent.put(field, value);
            }
          });
    }
    marketing = Collections.unmodifiableMap(sent);
  }

  /**
   * The anonymous visitor the event names: {@code userCookieID} without surrounding blanks, or
   * {@code null} when it is absent or blank.
   */
  public String cookieVisitorId() {
    // trim, not isBlank: a value of control characters only is no ID either.
    String trimmed = userCookieId == null ? "" : userCookieId.trim();
    return trimmed.isEmpty() ? null : trimmed;
  }

  /**
   * The event of the deprecated {@code logUserEvent(event: UserEvent!, userCookieID: String!)}: a
   * name from the {@code UserEvent} enum and the visitor's ID, nothing else.
   */
  public static LegacyEventInput userEvent(String event, String userCookieId) {
    return new LegacyEventInput(
        event, userCookieId, null, Map.of(), null, null, null, null, null, null);
  }
}
