package dev.tally.legacy;

/**
 * A pre-V2 event as an older client sends it: the arguments of {@code logEvent}, or one {@code
 * Event} of {@code logEvents}. Every field is what the client sent, {@code null} when it sent none.
 *
 * @param event the event's name, such as {@code SearchResultsQueried}
 * @param userCookieId the anonymous visitor ID the client keeps; the request's signed-in user wins
 *     over it, and a request names one visitor at most
 * @param url the page the event happened on
 * @param source where it came from: a value of the GraphQL enum {@code EventSource} ({@code WEB},
 *     {@code CODEHOSTINTEGRATION}, ...), or {@code null} for {@code logUserEvent}, which has none
 * @param argument JSON text kept on the instance (the original's private argument)
 * @param publicArgument JSON text the original sent to its own analytics
 * @param originalReferrer accepted and checked, not stored (no column; V2 has no such field)
 * @param deviceId accepted and checked, not stored: a device identifier for an analytics service
 *     the instance does not use
 * @param eventId accepted, not stored: a de-duplication key for that service
 * @param insertId accepted and checked, not stored: a de-duplication key for that service
 */
public record LegacyEventInput(
    String event,
    String userCookieId,
    String url,
    String source,
    String firstSourceUrl,
    String lastSourceUrl,
    String cohortId,
    String referrer,
    String originalReferrer,
    String sessionReferrer,
    String sessionFirstUrl,
    String deviceSessionId,
    String argument,
    String publicArgument,
    String deviceId,
    Integer eventId,
    String insertId) {

  /** The {@code source} of events of {@code logUserEvent}, which names none. */
  public static final String UNKNOWN_SOURCE = "UNKNOWN";

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
        event,
        userCookieId,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }
}
