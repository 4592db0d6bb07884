package dev.tally.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Access tokens of the instance's users. Only the SHA-256 of a token is stored: the token itself is
 * shown once, when it is created.
 */
public final class AccessTokens {
  /** The scope that lets a token use administrator queries. */
  public static final String SITE_ADMIN = "site-admin";

  /** The scope of an ordinary user's token. */
  public static final String USER_ALL = "user:all";

  private static final String PREFIX = "tly_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DataSource dataSource;
  private final Clock clock;

  public AccessTokens(DataSource dataSource, Clock clock) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Creates a token for a user.
   *
   * @param expiresAt when it stops working, or {@code null} for never
   * @return the token, which cannot be read back later
   */
  public CreatedToken create(long userId, Set<String> scopes, Instant expiresAt, String note) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String token = PREFIX + HexFormat.of().formatHex(secret);
    long id = insert(token, userId, scopes, expiresAt, note);
    return new CreatedToken(id, token);
  }

  /**
   * Stores a token chosen by the caller, for seeding development and test instances with a known
   * token.
   *
   * @return the token's ID
   */
  public long insert(
      String token, long userId, Set<String> scopes, Instant expiresAt, String note) {
    if (token == null || token.length() < 16) {
      throw new IllegalArgumentException("a token must be at least 16 characters long");
    }
    return Jdbc.withConnection(
        dataSource,
        "create an access token",
        connection -> {
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO access_tokens"
                      + " (token_sha256, user_id, scopes, note, created_at, expires_at)"
                      + " VALUES (?, ?, ?, ?, ?, ?) RETURNING id")) {
            insert.setBytes(1, sha256(token));
            insert.setLong(2, userId);
            insert.setArray(3, connection.createArrayOf("text", scopes.toArray(new String[0])));
            insert.setString(4, note == null ? "" : note);
            insert.setTimestamp(5, Jdbc.timestamp(clock.instant()));
            insert.setTimestamp(6, Jdbc.timestamp(expiresAt));
            try (ResultSet rs = insert.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  /**
   * Revokes a token: it stops working at once, and so do the console sessions opened with it.
   *
   * @return what the token was, and how many of its console sessions that still worked ended
   */
  public Revocation revoke(long id) {
    return Jdbc.inTransaction(
        dataSource,
        "revoke access token " + id,
        connection -> {
          Instant now = clock.instant();
          Revocation.Before before;
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT expires_at, revoked_at FROM access_tokens WHERE id = ? FOR UPDATE")) {
            query.setLong(1, id);
            try (ResultSet rs = query.executeQuery()) {
              if (!rs.next()) {
                return new Revocation(Revocation.Before.NO_SUCH_TOKEN, 0);
              }
              Instant expiresAt = Jdbc.instant(rs.getTimestamp(1));
              before =
                  rs.getTimestamp(2) != null
                      ? Revocation.Before.REVOKED
                      : expiresAt != null && !now.isBefore(expiresAt)
                          ? Revocation.Before.EXPIRED
                          : Revocation.Before.VALID;
            }
          }
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
            update.setTimestamp(1, Jdbc.timestamp(now));
            update.setLong(2, id);
            update.executeUpdate();
          }
          return new Revocation(before, ConsoleSessions.endAllOf(connection, id, now));
        });
  }

  /**
   * The tokens of one user, or of every user, oldest first: what they are, never the token or its
   * hash.
   *
   * @param userId whose tokens, or {@code null} for all
   */
  public List<Listed> list(Long userId) {
    return Jdbc.withConnection(
        dataSource,
        "list access tokens",
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT id, user_id, scopes, note, created_at, expires_at, revoked_at"
                      + " FROM access_tokens"
                      + (userId == null ? "" : " WHERE user_id = ?")
                      + " ORDER BY id")) {
            if (userId != null) {
              query.setLong(1, userId);
            }
            List<Listed> tokens = new ArrayList<>();
            try (ResultSet rs = query.executeQuery()) {
              while (rs.next()) {
                tokens.add(
                    new Listed(
                        rs.getLong(1),
                        rs.getLong(2),
                        List.of((String[]) rs.getArray(3).getArray()),
                        rs.getString(4),
                        Jdbc.instant(rs.getTimestamp(5)),
                        Jdbc.instant(rs.getTimestamp(6)),
                        Jdbc.instant(rs.getTimestamp(7))));
              }
            }
            return tokens;
          }
        });
  }

  /** Checks a token presented by a request. */
  public Check authenticate(String token) {
    return authenticate(token, false);
  }

  /**
   * Checks a token as {@link #authenticate(String)} does and, when it is valid, evaluates every
   * feature flag for its user, with their export opt-out, as {@link
   * FeatureFlags#evaluateWithOverrides} does ({@link Check.Valid#flags()}), in the same query: a
   * request that records events needs both, and one round trip to the database costs less than two.
   */
  public Check authenticateWithFlags(String token) {
    return authenticate(token, true);
  }

  private Check authenticate(String token, boolean withFlags) {
    if (token == null || token.isBlank()) {
      return new Check.Rejected(Check.Reason.UNKNOWN);
    }
    return Jdbc.withConnection(
        dataSource,
        "check an access token",
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  withFlags
                      ? "SELECT t.user_id, t.scopes, t.expires_at, t.revoked_at, "
                          + FeatureFlags.FLAG_COLUMNS
                          + " FROM access_tokens t"
                          + FeatureFlags.joinFlagsOf("t.user_id")
                          + " WHERE t.token_sha256 = ?"
                      : "SELECT user_id, scopes, expires_at, revoked_at FROM access_tokens"
                          + " WHERE token_sha256 = ?")) {
            query.setBytes(1, sha256(token));
            try (ResultSet rs = query.executeQuery()) {
              if (!rs.next()) {
                return new Check.Rejected(Check.Reason.UNKNOWN);
              }
              if (rs.getTimestamp(4) != null) {
                return new Check.Rejected(Check.Reason.REVOKED);
              }
              Instant expiresAt = Jdbc.instant(rs.getTimestamp(3));
              if (expiresAt != null && !clock.instant().isBefore(expiresAt)) {
                return new Check.Rejected(Check.Reason.EXPIRED);
              }
              long userId = rs.getLong(1);
              Set<String> scopes = Set.copyOf(Arrays.asList((String[]) rs.getArray(2).getArray()));
              if (!withFlags) {
                return new Check.Valid(userId, scopes);
              }
              FeatureFlags.Gathering flags = new FeatureFlags.Gathering();
              do {
                flags.add(rs, 5);
              } while (rs.next());
              return new Check.Valid(userId, scopes, flags.evaluation());
            }
          }
        });
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** A token just created: its ID and the token itself, which is not stored. */
  public record CreatedToken(long id, String token) {
    @Override
    public String toString() {
      return "CreatedToken[id=" + id + "]";
    }
  }

  /**
   * A token as {@link #list} shows it.
   *
   * @param expiresAt when it stops working, or {@code null} for never
   * @param revokedAt when it was revoked, or {@code null}
   */
  public record Listed(
      long id,
      long userId,
      List<String> scopes,
      String note,
      Instant createdAt,
      Instant expiresAt,
      Instant revokedAt) {}

  /**
   * What {@link #revoke} did.
   *
   * @param before what the token was until then
   * @param consoleSessionsEnded how many console sessions opened with it still worked and ended
   */
  public record Revocation(Before before, int consoleSessionsEnded) {
    /** A token's state before it was revoked. */
    public enum Before {
      VALID,
      EXPIRED,
      REVOKED,
      NO_SUCH_TOKEN
    }
  }

  /** The outcome of checking a token. */
  public sealed interface Check {
    /** Why a token was refused. */
    enum Reason {
      UNKNOWN,
      EXPIRED,
      REVOKED
    }

    /**
     * The token is valid and belongs to {@code userId}.
     *
     * @param flags every feature flag evaluated for the user, when the check was asked for them
     *     ({@link #authenticateWithFlags}); otherwise {@code null}
     */
    record Valid(long userId, Set<String> scopes, FeatureFlags.Evaluation flags) implements Check {
      /** A valid token, checked without its user's flags. */
      public Valid(long userId, Set<String> scopes) {
        this(userId, scopes, null);
      }

      /** Whether the token may use administrator queries. */
      public boolean isSiteAdmin() {
        return scopes.contains(SITE_ADMIN);
      }
    }

    /** The token cannot be used. */
    record Rejected(Reason reason) implements Check {}
  }
}
