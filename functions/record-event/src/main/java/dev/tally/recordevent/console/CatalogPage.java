package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.CatalogEntry;
import dev.tally.recordevent.console.ConsoleBackend.CatalogOverview;
import dev.tally.recordevent.console.ConsoleBackend.CatalogPolicy;
import dev.tally.recordevent.console.ConsoleBackend.CatalogPrivateKey;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /console/catalog}: the event catalog in force: its version (who applied it, when), its
 * policy, and its entries, each with its status, owner, volume over 7 and 30 days, last day seen,
 * and which of its private-metadata keys leave.
 */
final class CatalogPage {
  private final ConsoleBackend backend;
  private final Responses responses;

  CatalogPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param applied whether a catalog was ever applied (a version above 0)
   * @param modes the policy's three modes, in words
   */
  record View(
      boolean applied,
      long version,
      String appliedAt,
      String appliedBy,
      List<Mode> modes,
      List<Entry> entries,
      CatalogTabs tabs) {}

  /**
   * A mode of the policy.
   *
   * @param of what it applies to: unplanned events, metadata keys or private-metadata keys
   * @param meaning what it does, in words
   */
  record Mode(String id, String of, String mode, String meaning) {}

  /**
   * An entry in the table.
   *
   * @param name {@code feature.action}, the action maybe a pattern
   * @param status its status in words, a deprecated one with its sunset
   * @param lastSeen the last day one of its events was recorded, or {@code never}
   * @param leaving its private-metadata keys that leave, with their justification
   * @param withheld its private-metadata keys that stay on the instance
   */
  record Entry(
      String name,
      String status,
      String owner,
      String description,
      long events7d,
      long events30d,
      String lastSeen,
      List<Key> leaving,
      List<Key> withheld,
      List<String> metadataKeys) {}

  /** A private-metadata key of an entry, and why it leaves ({@code null} when not said). */
  record Key(String key, String justification) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    return responses.page(
        response,
        200,
        "catalog",
        Layout.signedIn("Event catalog", Layout.Nav.CATALOG),
        view(backend.catalog(session)));
  }

  static View view(CatalogOverview catalog) {
    List<Entry> entries = new ArrayList<>();
    for (CatalogEntry entry : catalog.entries()) {
      List<Key> leaving = new ArrayList<>();
      List<Key> withheld = new ArrayList<>();
      for (CatalogPrivateKey key : entry.privateKeys()) {
        (key.export() ? leaving : withheld).add(new Key(key.key(), key.justification()));
      }
      entries.add(
          new Entry(
              entry.feature() + "." + entry.action(),
              CatalogWords.status(entry.status(), entry.sunset()),
              entry.owner(),
              entry.description(),
              entry.events7d(),
              entry.events30d(),
              entry.lastSeen() == null ? "never" : entry.lastSeen(),
              leaving,
              withheld,
              entry.metadataKeys()));
    }
    return new View(
        catalog.version() > 0,
        catalog.version(),
        catalog.appliedAt(),
        catalog.appliedBy(),
        modes(catalog.policy()),
        entries,
        CatalogTabs.at(CatalogTabs.Tab.ENTRIES));
  }

  /** The policy's modes, in words. */
  static List<Mode> modes(CatalogPolicy policy) {
    return List.of(
        new Mode(
            "mode-events",
            "Unplanned events",
            policy.unplannedEvents(),
            CatalogWords.eventMode(policy.unplannedEvents())),
        new Mode(
            "mode-metadata",
            "Unplanned metadata keys",
            policy.unplannedMetadataKeys(),
            CatalogWords.keyMode(policy.unplannedMetadataKeys())),
        new Mode(
            "mode-private",
            "Unplanned private-metadata keys",
            policy.unplannedPrivateKeys(),
            CatalogWords.keyMode(policy.unplannedPrivateKeys())));
  }
}
