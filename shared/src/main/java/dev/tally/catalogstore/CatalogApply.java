package dev.tally.catalogstore;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Policy;
import dev.tally.log.JsonLog;
import dev.tally.redact.Redactor;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Applying a catalog file, as {@code catalog apply} and the {@code applyCatalog} mutation do: the
 * file is checked against every version applied before, its replay preview computed against the
 * version in force, and it is stored as the next version, all under the versions' lock ({@link
 * CatalogVersions#apply}); then the held events it no longer holds are released ({@link
 * HeldEvents#release}). Also the replay preview alone ({@link #diff}) and a release run again
 * ({@link #release}).
 */
public final class CatalogApply {
  private final CatalogVersions versions;
  private final CatalogReplay replay;
  private final HeldEvents held;
  private final Redactor redactor;
  private final Runnable settle;

  /**
   * How long after an apply every function instance has switched to the new version: a {@link
   * LiveCatalog} reads the version in force at most every {@link LiveCatalog#REFRESH_INTERVAL}.
   */
  public static final Duration SETTLE = LiveCatalog.REFRESH_INTERVAL.plusSeconds(1);

  /**
   * @param redactor the instance's redaction rules (its allowlist, or exporting everything): what
   *     the catalog's rules add to, for the preview and for the released events' copies
   */
  public CatalogApply(DataSource dataSource, Clock clock, Redactor redactor) {
    this(dataSource, clock, redactor, SETTLE);
  }

  /**
   * @param settle how long an apply that ends a hold waits before it releases a second time: the
   *     events other instances held under the version before, until they switched ({@link #SETTLE})
   */
  public CatalogApply(DataSource dataSource, Clock clock, Redactor redactor, Duration settle) {
    this(dataSource, clock, redactor, () -> sleep(settle));
  }

  /**
   * @param settle waits until every instance has switched to a version just applied
   */
  CatalogApply(DataSource dataSource, Clock clock, Redactor redactor, Runnable settle) {
    this.settle = Objects.requireNonNull(settle, "settle");
    this.versions = new CatalogVersions(dataSource, clock);
    this.replay = new CatalogReplay(dataSource, clock);
    this.held = new HeldEvents(dataSource, versions);
    this.redactor = Objects.requireNonNull(redactor, "redactor");
  }

  /**
   * Reads and checks a catalog file against the catalogs applied before it: the catalog module's
   * {@code CatalogFiles.check}, which this package cannot depend on.
   */
  @FunctionalInterface
  public interface Check {
    /**
     * The catalog the file holds.
     *
     * @param previous every catalog applied before, oldest first
     * @throws dev.tally.catalog.InvalidCatalogException listing every problem of the file
     */
    Catalog check(String source, List<Catalog> previous);
  }

  /**
   * What an apply did.
   *
   * @param applied the version stored, with its diff
   * @param rules its rules, now in force
   * @param released held events it queued for export
   * @param keptOptOut held events it did not queue because their user opted out since
   * @param releaseProblem why the release stopped part way ({@code catalog release} finishes it),
   *     or null when it finished
   */
  public record Applied(
      CatalogVersions.AppliedVersion applied,
      CatalogRules rules,
      long released,
      long keptOptOut,
      String releaseProblem) {

    public long version() {
      return applied.version();
    }

    public CatalogDiff diff() {
      return applied.diff();
    }
  }

  public CatalogVersions versions() {
    return versions;
  }

  public HeldEvents held() {
    return held;
  }

  /** The instance's redaction rules, which the catalog's rules add to. */
  public Redactor redactor() {
    return redactor;
  }

  /**
   * The replay preview of a file against the version in force over the last {@code days} days.
   *
   * @throws dev.tally.catalog.InvalidCatalogException when the file cannot be applied
   * @throws IllegalArgumentException when {@code days} is not between 1 and 366
   */
  public CatalogDiff diff(String source, int days, Check check) {
    CatalogReplay.checkDays(days);
    List<Catalog> previous = versions.catalogs();
    Catalog candidate = check.check(source, previous);
    CatalogRules inForce = versions.rulesInForce(redactor);
    return replay.preview(
        inForce, CatalogRules.of(inForce.version() + 1, candidate, redactor), days);
  }

  /**
   * Applies a file: stores it as the next version with its replay preview over the last {@code
   * days} days, tells {@code inForce} its rules (so that this process's catalog switches at once,
   * before the release), and releases the held events it no longer holds.
   *
   * @param appliedBy {@code user:<id>}, or {@code tally-admin:<os user>}
   * @throws dev.tally.catalog.InvalidCatalogException when the file cannot be applied; nothing is
   *     stored
   * @throws IllegalArgumentException when {@code days} is not between 1 and 366
   */
  public Applied apply(
      String source, String appliedBy, int days, Check check, Consumer<CatalogRules> inForce) {
    CatalogReplay.checkDays(days);
    boolean[] holdBefore = {false};
    CatalogVersions.AppliedVersion applied =
        versions.apply(
            source,
            appliedBy,
            (connection, before) -> {
              Catalog candidate = check.check(source, before.catalogs());
              holdBefore[0] =
                  before.version() != 0
                      && before.inForce().policy().unplannedEvents() == Policy.EventMode.HOLD;
              CatalogRules current =
                  before.version() == 0
                      ? CatalogRules.none(redactor)
                      : CatalogRules.of(before.version(), before.inForce(), redactor);
              CatalogRules next = CatalogRules.of(before.version() + 1, candidate, redactor);
              return new CatalogVersions.Prepared(
                  candidate, replay.preview(connection, current, next, days));
            });
    CatalogRules rules = applied.rules(redactor);
    boolean heldBefore = holdBefore[0];
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("version", applied.version());
    fields.put("appliedBy", appliedBy);
    fields.put("entries", applied.catalog().entries().size());
    fields.put("newlyExported", applied.diff().newlyExported());
    fields.put("newlyHeld", applied.diff().newlyHeld());
    JsonLog.info("catalog version applied", fields);
    inForce.accept(rules);
    try {
      HeldEvents.Release release = held.release(rules);
      long released = release.released();
      long keptOptOut = release.keptOptOut();
      if (heldBefore) {
        // Another instance may still have held events under the version before, until its next
        // read of the version in force: release once more when every instance has switched.
        settle.run();
        HeldEvents.Release late = held.release(rules);
        released += late.released();
        keptOptOut += late.keptOptOut();
      }
      return new Applied(applied, rules, released, keptOptOut, null);
    } catch (HeldEvents.ReleaseFailedException e) {
      JsonLog.error("catalog version applied, but releasing its held events stopped", e, fields);
      return new Applied(
          applied, rules, e.done().released(), e.done().keptOptOut(), e.getMessage());
    }
  }

  /**
   * Releases, by the version in force, the held events it no longer holds: what an apply does after
   * storing the version, run again after a release that stopped part way, or for events an instance
   * still on the version before held in the seconds after an apply.
   *
   * @throws HeldEvents.ReleaseFailedException when the database fails part way
   */
  public HeldEvents.Release release() {
    return held.release(versions.rulesInForce(redactor));
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
