package dev.tally.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
    return Jdbc.queryOne(
            dataSource,
            "create an access token",
            "INSERT INTO access_tokens"
                + " (token_sha256, user_id, scopes, note, created_at, expires_at)"
                + " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            row -> row.getLong(1),
            sha256(token),
            userId,
            Jdbc.textArray(scopes),
            note == null ? "" : note,
            clock.instant(),
            expiresAt)
        .orElseThrow();
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
          Optional<Revocation.Before> found =
              Jdbc.queryOne(
                  connection,
                  "SELECT expires_at, revoked_at FROM access_tokens WHERE id = ? FOR UPDATE",
                  row -> {
                    Instant expiresAt = Jdbc.instant(row.getTimestamp(1));
                    return row.getTimestamp(2) != null
                        ? Revocation.Before.REVOKED
                        : expiresAt != null && !now.isBefore(expiresAt)
                            ? Revocation.Before.EXPIRED
                            : Revocation.Before.VALID;
                  },
                  id);
          if (found.isEmpty()) {
            return new Revocation(Revocation.Before.NO_SUCH_TOKEN, 0);
          }
          Jdbc.update(
              connection,
              "UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
              now,
              id);
          return new Revocation(found.get(), ConsoleSessions.endAllOf(connection, id, now));
        });
  }

  /**
   * The tokens of one user, or of every user, oldest first: what they are, never the token or its
   * hash.
   *
   * @param userId whose tokens, or {@code null} for all
   */
  public List<Listed> list(Long userId) {
    String select =
        "SELECT id, user_id, scopes, note, created_at, expires_at, revoked_at FROM access_tokens";
    return userId == null
        ? Jdbc.query(dataSource, "list access tokens", select + " ORDER BY id", LISTED)
        : Jdbc.query(
            dataSource,
            "list access tokens",
            select + " WHERE user_id = ? ORDER BY id",
            LISTED,
            userId);
  }

  private static final Jdbc.RowMapper<Listed> LISTED =
      row ->
          new Listed(
              row.getLong(1),
              row.getLong(2),
              List.of((String[]) row.getArray(3).getArray()),
              row.getString(4),
              Jdbc.instant(row.getTimestamp(5)),
              Jdbc.instant(row.getTimestamp(6)),
              Jdbc.instant(row.getTimestamp(7)));

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
    // With the flags, one row per flag, each with the token's columns.
    List<TokenRow> rows =
        withFlags
            ? Jdbc.query(
                dataSource,
                "check an access token",
                "SELECT t.user_id, t.scopes, t.expires_at, t.revoked_at, "
                    + FeatureFlags.FLAG_COLUMNS
                    + " FROM access_tokens t"
                    + FeatureFlags.joinFlagsOf("t.user_id")
                    + " WHERE t.token_sha256 = ?",
                row -> new TokenRow(row, FeatureFlags.FlagRow.read(row, 5)),
                sha256(token))
            : Jdbc.queryOne(
                    dataSource,
                    "check an access token",
                    "SELECT user_id, scopes, expires_at, revoked_at FROM access_tokens"
                        + " WHERE token_sha256 = ?",
                    row -> new TokenRow(row, null),
                    sha256(token))
                .stream()
                .toList();
    if (rows.isEmpty()) {
      return new Check.Rejected(Check.Reason.UNKNOWN);
    }
    TokenRow found = rows.get(0);
    if (found.revoked()) {
      return new Check.Rejected(Check.Reason.REVOKED);
    }
    if (found.expiresAt() != null && !clock.instant().isBefore(found.expiresAt())) {
      return new Check.Rejected(Check.Reason.EXPIRED);
    }
    if (!withFlags) {
      return new Check.Valid(found.userId(), found.scopes());
    }
    FeatureFlags.Gathering flags = new FeatureFlags.Gathering();
    rows.forEach(row -> flags.add(row.flag()));
    return new Check.Valid(found.userId(), found.scopes(), flags.evaluation());
  }

  /**
   * A token's columns: {@code user_id, scopes, expires_at, revoked_at}; with one of its user's
   * flags when read with them.
   */
  private record TokenRow(
      long userId,
      Set<String> scopes,
      Instant expiresAt,
      boolean revoked,
      FeatureFlags.FlagRow flag) {
    TokenRow(ResultSet row, FeatureFlags.FlagRow flag) throws SQLException {
      this(
          row.getLong(1),
          Set.copyOf(Arrays.asList((String[]) row.getArray(2).getArray())),
          Jdbc.instant(row.getTimestamp(3)),
          row.getTimestamp(4) != null,
          flag);
    }
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
