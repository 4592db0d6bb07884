package dev.tally.event;

/**
 * The longest text each field of an event may hold, in UTF-8 bytes. Whatever is stored must be
 * usable by every later step, not only exportable: the client's name and version, the feature and
 * action, and the anonymous user ID are keys of the usage rollups' indexes and of {@code
 * event_logs}' own, and a PostgreSQL btree entry holds at most about 2.7 KB, all its columns
 * together. With these bounds the widest rollup key (a day, a legacy name of 128 characters, an
 * action, a client and a version) takes at most about 900 bytes.
 *
 * <p>The bounds are far above what telemetry clients send (client names such as {@code
 * VSCode.Cody}, semantic versions, UUIDs as anonymous IDs) and are not settings: raising one would
 * break a later step. Text over a bound is refused with an error naming the field, never cut.
 */
public final class TextBounds {
  /** The client's name ({@code source.client}), and a legacy event's {@code source}. */
  public static final int CLIENT_BYTES = 128;

  /** The client's version ({@code source.clientVersion}). */
  public static final int CLIENT_VERSION_BYTES = 128;

  /**
   * An anonymous visitor's ID: the {@code X-Sourcegraph-Actor-Anonymous-UID} header, or a legacy
   * event's {@code userCookieID}.
   */
  public static final int ANONYMOUS_USER_ID_BYTES = 256;

  /** An interaction ID, from the {@code X-Sourcegraph-Interaction-ID} header or the parameters. */
  public static final int INTERACTION_ID_BYTES = 256;

  /** A billing product or category. */
  public static final int BILLING_BYTES = 128;

  /** A marketing URL or referrer: {@code url}, {@code referrer}, {@code firstSourceURL}, ... */
  public static final int URL_BYTES = 8192;

  /** A marketing identifier: {@code cohortID}, {@code deviceSessionID}, a legacy device ID. */
  public static final int MARKETING_ID_BYTES = 256;

  private TextBounds() {}

  /**
   * Checks that already {@linkplain StorableText#check checked} text keeps within a bound.
   *
   * @param field names the text for the caller, such as {@code 'source.client'}
   * @throws LimitExceededException naming the field, the bound and the length found
   */
  public static void check(String value, int maxBytes, String field) {
    // A string of n chars takes at least n bytes: most text needs no count.
    if (value == null || value.length() <= maxBytes / 3) {
      return;
    }
    int bytes = StorableText.utf8Length(value);
    if (bytes > maxBytes) {
      throw new LimitExceededException(
          field + " may be at most " + maxBytes + " bytes long (UTF-8), got " + bytes);
    }
  }
}
