package dev.tally.catalogstore;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.json.Json;
import dev.tally.redact.Redactor;
import dev.tally.store.Jdbc;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The applied versions of the catalog ({@code event_catalog_versions}): the one in force (the
 * highest), the history, and {@link #apply}, which stores the next one.
 *
 * <p>Versions are numbered 1, 2, 3... and never changed or deleted, but for the count of held
 * events each released. Applies are serialized by a lock on the table, taken before the version in
 * force is read and held until the new one is stored: two applies at once get distinct numbers,
 * each compared with the version it replaces. The lock lets plain reads through (the refreshing
 * catalog sources of the functions keep reading the version in force meanwhile).
 */
public final class CatalogVersions {
  private static final String COLUMNS =
      "version, applied_at, applied_by, source, document::text, diff::text, released";

  private final DataSource dataSource;
  private final Clock clock;

  public CatalogVersions(DataSource dataSource, Clock clock) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * An applied version.
   *
   * @param appliedBy {@code user:<id>} through the API, {@code tally-admin:<os user>} from the
   *     command line
   * @param source the file as given, comments included
   * @param catalog the file as parsed
   * @param diff the replay preview against the version before, computed when it was applied
   * @param released held events queued for export because it approved them
   */
  public record AppliedVersion(
      long version,
      Instant appliedAt,
      String appliedBy,
      String source,
      Catalog catalog,
      CatalogDiff diff,
      long released) {

    /** Its rules, compiled for judging events with the instance's redaction rules. */
    public CatalogRules rules(Redactor redactor) {
      return CatalogRules.of(version, catalog, redactor);
    }
  }

  /** The version in force, or empty when no catalog was ever applied. */
  public Optional<AppliedVersion> inForce() {
    return Jdbc.withConnection(dataSource, "read the catalog version in force", this::inForce);
  }

  Optional<AppliedVersion> inForce(Connection connection) throws SQLException {
    return Jdbc.queryOne(
        connection,
        "SELECT " + COLUMNS + " FROM event_catalog_versions ORDER BY version DESC LIMIT 1",
        CatalogVersions::applied);
  }

  /** The rules in force: of the highest version, or none ({@link CatalogRules#none}). */
  public CatalogRules rulesInForce(Redactor redactor) {
    return Jdbc.queryOne(
            dataSource,
            "read the catalog version in force",
            "SELECT version, document::text FROM event_catalog_versions"
                + " ORDER BY version DESC LIMIT 1",
            row -> CatalogRules.of(row.getLong(1), catalog(row.getString(2)), redactor))
        .orElseGet(() -> CatalogRules.none(redactor));
  }

  /** The {@code first} newest versions, newest first. */
  public List<AppliedVersion> newestFirst(int first) {
    return Jdbc.query(
        dataSource,
        "list the catalog versions",
        "SELECT " + COLUMNS + " FROM event_catalog_versions ORDER BY version DESC LIMIT ?",
        CatalogVersions::applied,
        first);
  }

  /**
   * Every applied catalog, oldest first: what a new one is checked against (the codes of a metadata
   * enum are never reused).
   */
  public List<Catalog> catalogs() {
    return Jdbc.withConnection(dataSource, "read the applied catalogs", CatalogVersions::catalogs);
  }

  static List<Catalog> catalogs(Connection connection) throws SQLException {
    return Jdbc.query(
        connection,
        "SELECT document::text FROM event_catalog_versions ORDER BY version",
        row -> catalog(row.getString(1)));
  }

  /** What an apply decided under the lock: the catalog to store, and its diff. */
  public record Prepared(Catalog catalog, CatalogDiff diff) {
    public Prepared {
      Objects.requireNonNull(catalog, "catalog");
      Objects.requireNonNull(diff, "diff");
    }
  }

  /** The versions applied before the one being prepared. */
  public record Before(long version, List<Catalog> catalogs) {
    public Before {
      catalogs = List.copyOf(catalogs);
    }

    /** The catalog in force: the last applied, or {@link Catalog#NONE}. */
    public Catalog inForce() {
      return catalogs.isEmpty() ? Catalog.NONE : catalogs.get(catalogs.size() - 1);
    }
  }

  /** Checks a candidate and computes its diff, inside the apply's transaction. */
  @FunctionalInterface
  public interface Preparation {
    /**
     * @param connection the apply's connection, in its transaction
     * @param before the versions applied before, read under the lock
     * @throws dev.tally.catalog.InvalidCatalogException to refuse the candidate: nothing is stored
     */
    Prepared prepare(Connection connection, Before before) throws SQLException;
  }

  /**
   * Stores the next version in one transaction: takes the table's lock (waiting for an apply under
   * way to finish), reads the versions applied before, lets {@code preparation} check the candidate
   * against them and compute its diff against the version in force, and inserts the version after
   * the highest.
   *
   * @return the version stored, as read back
   * @throws dev.tally.catalog.InvalidCatalogException when {@code preparation} refuses the
   *     candidate; nothing is stored
   */
  public AppliedVersion apply(String source, String appliedBy, Preparation preparation) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(appliedBy, "appliedBy");
    return Jdbc.inTransaction(
        dataSource,
        "apply a catalog version",
        connection -> {
          try (Statement statement = connection.createStatement()) {
            // Self-conflicting, and lets plain reads of the versions through.
            statement.execute("LOCK TABLE event_catalog_versions IN EXCLUSIVE MODE");
          }
          long version =
              Jdbc.queryOne(
                      connection,
                      "SELECT coalesce(max(version), 0) FROM event_catalog_versions",
                      row -> row.getLong(1))
                  .orElseThrow();
          Prepared prepared =
              preparation.prepare(connection, new Before(version, catalogs(connection)));
          Jdbc.update(
              connection,
              "INSERT INTO event_catalog_versions"
                  + " (version, applied_at, applied_by, document, source, diff)"
                  + " VALUES (?, ?, ?, CAST(? AS jsonb), ?, CAST(? AS jsonb))",
              version + 1,
              clock.instant(),
              appliedBy,
              Json.write(prepared.catalog().toJson()),
              source,
              Json.write(prepared.diff().toJson()));
          return Jdbc.queryOne(
                  connection,
                  "SELECT " + COLUMNS + " FROM event_catalog_versions WHERE version = ?",
                  CatalogVersions::applied,
                  version + 1)
              .orElseThrow();
        });
  }

  /** Adds {@code count} held events to those {@code version} released. */
  void addReleased(long version, long count) {
    Jdbc.update(
        dataSource,
        "count the events catalog version " + version + " released",
        "UPDATE event_catalog_versions SET released = released + ? WHERE version = ?",
        count,
        version);
  }

  private static AppliedVersion applied(ResultSet row) throws SQLException {
    return new AppliedVersion(
        row.getLong("version"),
        row.getTimestamp("applied_at").toInstant(),
        row.getString("applied_by"),
        row.getString("source"),
        catalog(row.getString("document")),
        diff(row.getString("diff")),
        row.getLong("released"));
  }

  /** A stored document: checked when it was applied, so read as it is. */
  private static Catalog catalog(String json) throws SQLException {
    try {
      return Catalog.fromJson(Json.read(json));
    } catch (IOException | RuntimeException e) {
      throw new SQLException("a stored catalog version cannot be read: " + e.getMessage(), e);
    }
  }

  private static CatalogDiff diff(String json) throws SQLException {
    try {
      return CatalogDiff.fromJson(Json.read(json));
    } catch (IOException | RuntimeException e) {
      throw new SQLException("a stored catalog diff cannot be read: " + e.getMessage(), e);
    }
  }
}
