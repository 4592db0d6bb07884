package dev.tally.catalogstore;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.CatalogSource;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import dev.tally.redact.Redactor;
import dev.tally.store.Jdbc;
import dev.tally.store.StoreException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * The catalog in force, as recording looks it up: the rules of the highest applied version of
 * {@code event_catalog_versions}, compiled once and kept in memory.
 *
 * <p>The rules are read when first asked for (one query; with no version applied, nothing more),
 * then again at most every {@link #REFRESH_INTERVAL}: the first request that finds them older reads
 * the newest version number, and the document only when that number changed, while concurrent
 * requests go on with the rules they have. When the database fails or the stored document cannot be
 * read, the rules in force stay (no catalog, if none was read yet), one warning is logged until a
 * read succeeds again, and the read is tried again after the interval. A function that applies a
 * version installs it at once ({@link #applied}).
 *
 * <p>Thread-safe; {@link #current} never waits on more than one query of its own.
 */
public final class LiveCatalog implements CatalogSource {
  /** How long rules read from the database are used before the newest version is read again. */
  public static final Duration REFRESH_INTERVAL = Duration.ofSeconds(2);

  /** The newest version, with its document only when it is not the version already known. */
  private static final String READ_NEWEST =
      "SELECT version, CASE WHEN version <> ? THEN document::text END"
          + " FROM event_catalog_versions ORDER BY version DESC LIMIT 1";

  private final DataSource dataSource;
  private final Redactor redactor;
  private final Clock clock;
  private final Duration interval;
  private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final Object firstRead = new Object();

  /** Rules in force, and when the database last confirmed them (or was last tried). */
  private record Snapshot(CatalogRules rules, Instant readAt) {}

  /** The newest applied version; its document is null when it is the version already known. */
  private record Newest(long version, String document) {}

  /**
   * @param redactor the redaction rules every version's rules add to
   */
  public LiveCatalog(DataSource dataSource, Redactor redactor, Clock clock) {
    this(dataSource, redactor, clock, REFRESH_INTERVAL);
  }

  /**
   * @param redactor the redaction rules every version's rules add to
   * @param interval how long rules are used before the newest version is read again
   */
  public LiveCatalog(DataSource dataSource, Redactor redactor, Clock clock, Duration interval) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.redactor = Objects.requireNonNull(redactor, "redactor");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (interval.isNegative()) {
      throw new IllegalArgumentException("the refresh interval must not be negative: " + interval);
    }
    this.interval = interval;
  }

  /** The redaction rules every version's rules add to. */
  public Redactor redactor() {
    return redactor;
  }

  @Override
  public CatalogRules current() {
    Snapshot current = snapshot.get();
    if (current == null) {
      return readFirst();
    }
    if (!clock.instant().isBefore(current.readAt().plus(interval))
        && refreshing.compareAndSet(false, true)) {
      try {
        current = refresh(current);
      } finally {
        refreshing.set(false);
      }
    }
    return current.rules();
  }

  /**
   * Installs a version that was just applied, without waiting for the next read; a version older
   * than the one in force is ignored.
   */
  public void applied(long version, Catalog catalog) {
    CatalogRules rules = CatalogRules.of(version, catalog, redactor);
    Snapshot fresh = new Snapshot(rules, clock.instant());
    snapshot.updateAndGet(old -> old != null && old.rules().version() > version ? old : fresh);
  }

  /** The first read: the requests that come meanwhile wait for it, as they have no rules yet. */
  private CatalogRules readFirst() {
    synchronized (firstRead) {
      Snapshot current = snapshot.get();
      return (current != null ? current : refresh(null)).rules();
    }
  }

  /**
   * Reads the newest version and installs its rules, unless another snapshot was installed since
   * {@code before} (an {@link #applied} version, which wins).
   *
   * @param before the snapshot in force, or null before the first read
   * @return the snapshot in force afterwards
   */
  private Snapshot refresh(Snapshot before) {
    long known = before == null ? -1 : before.rules().version();
    Snapshot fresh;
    try {
      Optional<Newest> newest =
          Jdbc.queryOne(
              dataSource,
              "read the event catalog version in force",
              READ_NEWEST,
              row -> new Newest(row.getLong(1), row.getString(2)),
              known);
      long version = newest.map(Newest::version).orElse(0L);
      CatalogRules rules;
      if (version == known) {
        rules = before.rules();
      } else if (version == 0) {
        rules = CatalogRules.none(redactor);
      } else {
        rules =
            CatalogRules.of(
                version, Catalog.fromJson(Json.read(newest.get().document())), redactor);
      }
      fresh = new Snapshot(rules, clock.instant());
      if (failing.compareAndSet(true, false)) {
        JsonLog.info("event catalog: read again", Map.of("version", version));
      }
    } catch (RuntimeException | IOException e) {
      // The database, or a stored document this code cannot read (InvalidCatalogException):
      // recording must go on either way.
      CatalogRules kept = before == null ? CatalogRules.none(redactor) : before.rules();
      fresh = new Snapshot(kept, clock.instant());
      if (failing.compareAndSet(false, true)) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("versionInForce", kept.version());
        fields.put("error", e.getMessage());
        if (e instanceof StoreException store) {
          fields.put("sqlState", String.valueOf(store.sqlState()));
        }
        JsonLog.warning(
            "event catalog: could not read the version in force; recording goes on with the rules"
                + " it has, and tries again every "
                + interval.toMillis()
                + " ms",
            fields);
      }
    }
    return snapshot.compareAndSet(before, fresh) ? fresh : snapshot.get();
  }
}
