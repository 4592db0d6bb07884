package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.ObservedCatalog;
import dev.tally.recordevent.console.ConsoleBackend.ObservedCount;
import dev.tally.recordevent.console.ConsoleBackend.ObservedEvent;
import dev.tally.recordevent.console.ConsoleBackend.ObservedPrivateKey;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The catalog's inbox and its draft:
 *
 * <pre>
 * GET /console/catalog/inbox       the observed events the catalog in force does not plan, each
 *                                  with what was seen of it and an entry for it, ready to paste
 * GET /console/catalog/draft.yaml  the whole observed catalog as a draft file (a download)
 * </pre>
 *
 * <p>The page's copy buttons are its one script ({@code console.js}); without it the entries are
 * still there to select and copy.
 */
final class CatalogInboxPage {
  /** The name the draft is saved under. */
  static final String DRAFT_FILE_NAME = "tally-catalog-draft.yaml";

  private final ConsoleBackend backend;
  private final Responses responses;

  CatalogInboxPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param applied whether a catalog was ever applied
   * @param events the observed events the catalog does not plan, most events first
   * @param planned how many of the observed event names it plans
   * @param observedAny whether any event name was observed at all
   * @param read how many observed event names were read: the ones with the most events
   * @param more whether there may be more observed event names than were read
   */
  record View(
      boolean applied,
      List<Item> events,
      long planned,
      boolean observedAny,
      int read,
      boolean more,
      CatalogTabs tabs) {}

  /**
   * An observed event in the inbox.
   *
   * @param id its element's ID on the page
   * @param name {@code feature.action}
   * @param entry the entry that matches it without planning it (proposed, or past its sunset), or
   *     {@code null}
   * @param draftEntry its entry, ready to paste; {@code null} when the API gave none
   */
  record Item(
      String id,
      String name,
      String firstSeen,
      String lastSeen,
      long events7d,
      long events30d,
      List<ObservedCount> clients,
      List<ObservedCount> metadataKeys,
      List<Key> privateKeys,
      List<ObservedCount> billing,
      String entry,
      String draftEntry) {}

  /**
   * A private-metadata key seen in the event.
   *
   * @param fate {@code leaves} or {@code withheld}, under the rules in force
   */
  record Key(String key, long events, String fate, boolean leaves) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    return responses.pageWithScript(
        response,
        200,
        "catalog-inbox",
        Layout.signedIn("Catalog inbox", Layout.Nav.CATALOG),
        view(backend.observedEvents(session)));
  }

  /** The draft catalog file, as a download. */
  int draft(SignedIn session, HttpResponse response) throws IOException {
    return Responses.download(
        response,
        "application/yaml; charset=utf-8",
        DRAFT_FILE_NAME,
        backend.catalogDraft(session).getBytes(StandardCharsets.UTF_8));
  }

  static View view(ObservedCatalog observed) {
    List<Item> inbox = new ArrayList<>();
    long planned = 0;
    for (ObservedEvent event : observed.events()) {
      if (event.planned()) {
        planned++;
        continue;
      }
      List<Key> keys = new ArrayList<>();
      for (ObservedPrivateKey key : event.privateKeys()) {
        keys.add(
            new Key(key.key(), key.events(), key.leaves() ? "leaves" : "withheld", key.leaves()));
      }
      inbox.add(
          new Item(
              "inbox-" + inbox.size(),
              event.feature() + "." + event.action(),
              event.firstSeen(),
              event.lastSeen(),
              event.events7d(),
              event.events30d(),
              event.clients(),
              event.metadataKeys(),
              keys,
              event.billing(),
              event.entry(),
              event.draftEntry()));
    }
    int read = observed.events().size();
    return new View(
        observed.version() > 0,
        inbox,
        planned,
        read > 0,
        read,
        read >= GraphQlBackend.OBSERVED_READ,
        CatalogTabs.at(CatalogTabs.Tab.INBOX));
  }
}
