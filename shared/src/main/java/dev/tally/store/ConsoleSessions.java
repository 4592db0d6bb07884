package dev.tally.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Sessions of the administrators' console. Signing in with a site admin's access token opens a
 * session; the console's cookie then holds the session's ID, a random value unrelated to the token.
 * Only the SHA-256 of an ID is stored, with the access token it was opened with.
 *
 * <p>A session works until the first of:
 *
 * <ul>
 *   <li>{@link #LIFETIME} after it was opened (or its token's own expiry, if that comes first);
 *   <li>{@link #IDLE_TIMEOUT} without a request. The time of the last request is written at most
 *       once per {@link #TOUCH_INTERVAL}, so that a busy session costs a read per request and a
 *       write per minute; the timeout therefore counts from a time up to that much earlier;
 *   <li>sign-out ({@link #end});
 *   <li>its access token being revoked or expiring: every {@link #check} reads the token's state
 *       with the session, so revoking a token ends its sessions at once.
 * </ul>
 *
 * <p>Both deadlines are the server's, read from the injected clock; the cookie's own lifetime is
 * only a courtesy to the browser. Ended sessions are deleted {@link #KEEP_ENDED} after they ended
 * ({@link #deleteEnded}), so the table holds little more than the sessions of the last day.
 */
public final class ConsoleSessions {
  /** How long a session works at most after sign-in. */
  public static final Duration LIFETIME = Duration.ofHours(8);

  /** How long a session works without a request. */
  public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(30);

  /** How often, at most, a session's last use is written. */
  static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);

  /** How long an ended session is kept before {@link #deleteEnded} deletes it. */
  static final Duration KEEP_ENDED = Duration.ofDays(1);

  /** 32 random bytes, base64url without padding: 43 characters. */
  private static final int ID_BYTES = 32;

  private static final Pattern ID_FORMAT = Pattern.compile("[A-Za-z0-9_-]{43}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DataSource dataSource;
  private final Clock clock;

  public ConsoleSessions(DataSource dataSource, Clock clock) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Whether {@code text} has the form of a session ID; anything else is refused without a look at
   * the database.
   */
  public static boolean isWellFormed(String text) {
    return text != null && ID_FORMAT.matcher(text).matches();
  }

  /**
   * Opens a session with {@code token} when it is a valid access token with the site-admin scope.
   *
   * @return the new session, or empty when the token is unknown, revoked, expired or not an
   *     administrator's
   */
  public Optional<Opened> open(String token) {
    if (token == null || token.isBlank()) {
      return Optional.empty();
    }
    byte[] secret = new byte[ID_BYTES];
    RANDOM.nextBytes(secret);
    String sessionId = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Instant now = clock.instant();
    return Jdbc.queryOne(
        dataSource,
        "open a console session",
        "INSERT INTO console_sessions (session_sha256, access_token_id, user_id,"
            + " created_at, last_used_at, expires_at)"
            + " SELECT ?, id, user_id, ?, ?, LEAST(?, expires_at) FROM access_tokens"
            + " WHERE token_sha256 = ? AND revoked_at IS NULL"
            + " AND (expires_at IS NULL OR expires_at > ?) AND ? = ANY (scopes)"
            + " RETURNING id, expires_at",
        row -> new Opened(sessionId, Jdbc.instant(row.getTimestamp(2))),
        AccessTokens.sha256(sessionId),
        now,
        now,
        now.plus(LIFETIME),
        AccessTokens.sha256(token),
        now,
        AccessTokens.SITE_ADMIN);
  }

  /**
   * Checks the session a request presents, with the state of its access token, and notes its use
   * (at most once per {@link #TOUCH_INTERVAL}). A session found dead because of its token is ended
   * for good.
   */
  public Check check(String sessionId) {
    if (!isWellFormed(sessionId)) {
      return new Check.Rejected(Check.Reason.UNKNOWN);
    }
    Instant now = clock.instant();
    return Jdbc.withConnection(
        dataSource,
        "check a console session",
        connection -> {
          Optional<SessionRow> found =
              Jdbc.queryOne(
                  connection,
                  "SELECT s.id, s.user_id, s.last_used_at, s.expires_at, s.revoked_at,"
                      + " t.id, t.scopes, t.expires_at, t.revoked_at"
                      + " FROM console_sessions s JOIN access_tokens t ON t.id = s.access_token_id"
                      + " WHERE s.session_sha256 = ?",
                  SESSION_ROW,
                  AccessTokens.sha256(sessionId));
          if (found.isEmpty()) {
            return new Check.Rejected(Check.Reason.UNKNOWN);
          }
          SessionRow session = found.get();
          // The token first: a session of a revoked token says so, whatever else ended it.
          if (session.tokenRevoked()
              || (session.tokenExpiresAt() != null && !now.isBefore(session.tokenExpiresAt()))) {
            if (!session.ended()) {
              endById(connection, session.id(), now);
            }
            return new Check.Rejected(
                session.tokenRevoked() ? Check.Reason.TOKEN_REVOKED : Check.Reason.TOKEN_EXPIRED);
          }
          if (session.ended()) {
            return new Check.Rejected(Check.Reason.SIGNED_OUT);
          }
          if (!now.isBefore(session.expiresAt())) {
            return new Check.Rejected(Check.Reason.EXPIRED);
          }
          if (!now.isBefore(session.lastUsedAt().plus(IDLE_TIMEOUT))) {
            return new Check.Rejected(Check.Reason.IDLE);
          }
          if (!now.isBefore(session.lastUsedAt().plus(TOUCH_INTERVAL))) {
            touch(connection, session.id(), now);
          }
          return new Check.Valid(
              session.tokenId(), session.userId(), session.scopes(), session.expiresAt());
        });
  }

  /** A session's row with the state of its access token. */
  private record SessionRow(
      long id,
      long userId,
      Instant lastUsedAt,
      Instant expiresAt,
      boolean ended,
      long tokenId,
      Set<String> scopes,
      Instant tokenExpiresAt,
      boolean tokenRevoked) {}

  private static final Jdbc.RowMapper<SessionRow> SESSION_ROW =
      row ->
          new SessionRow(
              row.getLong(1),
              row.getLong(2),
              Jdbc.instant(row.getTimestamp(3)),
              Jdbc.instant(row.getTimestamp(4)),
              row.getTimestamp(5) != null,
              row.getLong(6),
              Set.copyOf(Arrays.asList((String[]) row.getArray(7).getArray())),
              Jdbc.instant(row.getTimestamp(8)),
              row.getTimestamp(9) != null);

  private static void endById(Connection connection, long id, Instant now) throws SQLException {
    Jdbc.update(
        connection,
        "UPDATE console_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        now,
        id);
  }

  /** Notes a use; only forward, so that a request that read an older time cannot move it back. */
  private static void touch(Connection connection, long id, Instant now) throws SQLException {
    Jdbc.update(
        connection,
        "UPDATE console_sessions SET last_used_at = ? WHERE id = ? AND last_used_at < ?",
        now,
        id,
        now);
  }

  /**
   * Ends a session: sign-out.
   *
   * @return whether a session that had not ended yet was ended
   */
  public boolean end(String sessionId) {
    if (!isWellFormed(sessionId)) {
      return false;
    }
    return Jdbc.update(
            dataSource,
            "end a console session",
            "UPDATE console_sessions SET revoked_at = ?"
                + " WHERE session_sha256 = ? AND revoked_at IS NULL",
            clock.instant(),
            AccessTokens.sha256(sessionId))
        > 0;
  }

  /**
   * Deletes the sessions that ended (signed out, revoked, expired or idle) more than {@link
   * #KEEP_ENDED} ago.
   *
   * @return how many were deleted
   */
  public int deleteEnded() {
    Instant before = clock.instant().minus(KEEP_ENDED);
    return Jdbc.update(
        dataSource,
        "delete ended console sessions",
        "DELETE FROM console_sessions WHERE expires_at < ? OR revoked_at < ? OR last_used_at < ?",
        before,
        before,
        before.minus(IDLE_TIMEOUT));
  }

  /**
   * Ends every session of an access token that still worked, in the caller's transaction.
   *
   * @return how many ended
   */
  static int endAllOf(Connection connection, long accessTokenId, Instant now) throws SQLException {
    return Jdbc.update(
        connection,
        "UPDATE console_sessions SET revoked_at = ?"
            + " WHERE access_token_id = ? AND revoked_at IS NULL"
            + " AND expires_at > ? AND last_used_at > ?",
        now,
        accessTokenId,
        now,
        now.minus(IDLE_TIMEOUT));
  }

  /**
   * A session just opened.
   *
   * @param sessionId the value for the cookie, which cannot be read back later
   * @param expiresAt when it ends at the latest
   */
  public record Opened(String sessionId, Instant expiresAt) {
    @Override
    public String toString() {
      return "Opened[expiresAt=" + expiresAt + "]";
    }
  }

  /** The outcome of checking a session. */
  public sealed interface Check {
    /** Why a session no longer works. */
    enum Reason {
      /** No session has this ID: never opened, or deleted long after it ended. */
      UNKNOWN,
      /** Signed out. */
      SIGNED_OUT,
      /** Past its {@link #LIFETIME}. */
      EXPIRED,
      /** {@link #IDLE_TIMEOUT} without a request. */
      IDLE,
      /** Its access token was revoked. */
      TOKEN_REVOKED,
      /** Its access token expired. */
      TOKEN_EXPIRED
    }

    /**
     * The session works: its requests act as its token's user.
     *
     * @param accessTokenId the access token it was opened with
     * @param scopes the token's scopes, as they are now
     * @param expiresAt when the session ends at the latest
     */
    record Valid(long accessTokenId, long userId, Set<String> scopes, Instant expiresAt)
        implements Check {
      /** Whether the session may use administrator queries. */
      public boolean isSiteAdmin() {
        return scopes.contains(AccessTokens.SITE_ADMIN);
      }
    }

    /** The session does not work. */
    record Rejected(Reason reason) implements Check {}
  }
}
