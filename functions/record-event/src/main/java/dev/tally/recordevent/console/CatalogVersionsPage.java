package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.CatalogDiff;
import dev.tally.recordevent.console.ConsoleBackend.CatalogVersion;
import dev.tally.recordevent.console.ConsoleBackend.EventDiff;
import dev.tally.recordevent.console.ConsoleBackend.KeyDiff;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /console/catalog/versions}: the applied versions of the catalog, newest first: who
 * applied each and when, the held events it released, what it changed (its replay preview against
 * the version before: entries, modes, and per event name the stored events newly exported or newly
 * held and the keys newly leaving or withheld, with sample events), and its file as applied.
 */
final class CatalogVersionsPage {
  private final ConsoleBackend backend;
  private final Responses responses;

  CatalogVersionsPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param more whether older versions may exist than are shown
   * @param shown how many versions the page shows at most
   */
  record View(List<Version> versions, boolean more, int shown, CatalogTabs tabs) {}

  /**
   * A version.
   *
   * @param id its element's ID on the page, the catalog page's link to it
   * @param released the held events it queued for export, in words
   * @param source the file as applied
   */
  record Version(
      String id,
      long version,
      String appliedAt,
      String appliedBy,
      String released,
      Diff diff,
      String source) {}

  /**
   * What a version changed.
   *
   * @param comparedWith {@code version N}, or {@code no catalog}
   * @param replayed the stored events replayed, in words
   * @param newlyExported stored events it exports that the version before held, in words
   * @param newlyHeld stored events it holds that the version before let leave, in words
   */
  record Diff(
      String comparedWith,
      long days,
      String replayed,
      String newlyExported,
      String newlyHeld,
      List<String> entryChanges,
      List<String> policyChanges,
      List<Event> events) {}

  /**
   * How a version changes the fate of one event name's stored events.
   *
   * @param entry the version's entry that matches it, or {@code none}
   * @param keys the keys whose fate changes
   * @param sample IDs of affected stored events
   */
  record Event(
      String name,
      String entry,
      long newlyExported,
      long newlyHeld,
      List<Key> keys,
      List<String> sample) {}

  /**
   * A key whose fate changes.
   *
   * @param kind {@code metadata key} or {@code private-metadata key}
   */
  record Key(String kind, String key, long newlyLeaving, long newlyWithheld) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    return responses.page(
        response,
        200,
        "catalog-versions",
        Layout.signedIn("Catalog versions", Layout.Nav.CATALOG),
        view(backend.catalogVersions(session)));
  }

  static View view(List<CatalogVersion> versions) {
    List<Version> shown = new ArrayList<>();
    for (CatalogVersion version : versions) {
      shown.add(
          new Version(
              "version-" + version.version(),
              version.version(),
              version.appliedAt(),
              version.appliedBy(),
              CatalogWords.events(version.released()),
              diff(version.diff()),
              version.source()));
    }
    return new View(
        shown,
        versions.size() >= GraphQlBackend.VERSIONS_SHOWN,
        GraphQlBackend.VERSIONS_SHOWN,
        CatalogTabs.at(CatalogTabs.Tab.VERSIONS));
  }

  private static Diff diff(CatalogDiff diff) {
    List<Event> events = new ArrayList<>();
    for (EventDiff event : diff.events()) {
      List<Key> keys = new ArrayList<>();
      for (KeyDiff key : event.privateKeys()) {
        keys.add(
            new Key(
                CatalogWords.keyKind("private"),
                key.key(),
                key.newlyLeaving(),
                key.newlyWithheld()));
      }
      for (KeyDiff key : event.metadataKeys()) {
        keys.add(
            new Key(
                CatalogWords.keyKind("metadata"),
                key.key(),
                key.newlyLeaving(),
                key.newlyWithheld()));
      }
      events.add(
          new Event(
              event.feature() + "." + event.action(),
              event.entry() == null ? "none" : event.entry(),
              event.newlyExported(),
              event.newlyHeld(),
              keys,
              event.sample()));
    }
    return new Diff(
        diff.fromVersion() == 0 ? "no catalog" : "version " + diff.fromVersion(),
        diff.days(),
        CatalogWords.events(diff.eventsReplayed()),
        CatalogWords.events(diff.newlyExported()),
        CatalogWords.events(diff.newlyHeld()),
        diff.entryChanges(),
        diff.policyChanges(),
        events);
  }
}
