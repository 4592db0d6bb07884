package dev.tally.event;

/**
 * Who an event is about, as established by the request's authentication, never by what the payload
 * claims.
 *
 * @param userId the instance's numeric ID of an authenticated user, or {@code null}
 * @param anonymousUserId the random ID of an anonymous visitor, or {@code null}
 */
public record Actor(Long userId, String anonymousUserId) {
  private static final Actor UNKNOWN = new Actor(null, null);

  /** An authenticated user. */
  public static Actor user(long userId) {
    return new Actor(userId, null);
  }

  /** An anonymous visitor with the ID its client chose. */
  public static Actor anonymous(String anonymousUserId) {
    if (anonymousUserId == null || anonymousUserId.isBlank()) {
      throw new IllegalArgumentException("an anonymous user ID must not be blank");
    }
    return new Actor(null, anonymousUserId);
  }

  /** Nobody known: events recorded by the server outside of any request. */
  public static Actor unknown() {
    return UNKNOWN;
  }

  /** Whether neither an authenticated nor an anonymous user is known. */
  public boolean isUnknown() {
    return userId == null && anonymousUserId == null;
  }
}
