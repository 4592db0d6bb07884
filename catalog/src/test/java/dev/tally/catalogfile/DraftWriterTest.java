package dev.tally.catalogfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.ObservedEvent;
import dev.tally.catalog.Policy;
import dev.tally.catalog.Status;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The observed catalog written as a draft file, and read back. */
class DraftWriterTest {
  private static final LocalDate TODAY = LocalDate.parse("2024-05-03");
  private static final Catalog IN_FORCE = CatalogFiles.read(CatalogFilesTest.file("in-force.yaml"));

  /** editor.opened's languageId leaves by the allowlist. */
  private static final Redactor REDACTOR =
      new Redactor(
          Redactor.Mode.ALLOWLISTED_ONLY,
          SensitiveMetadataAllowlist.builtIn()
              .with(SensitiveMetadataAllowlist.parseEntries("editor::opened::languageId")));

  private static final CatalogRules RULES = CatalogRules.of(3, IN_FORCE, REDACTOR);

  private static Map<String, Long> counts(Object... nameThenCount) {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (int i = 0; i < nameThenCount.length; i += 2) {
      counts.put((String) nameThenCount[i], ((Number) nameThenCount[i + 1]).longValue());
    }
    return counts;
  }

  private static ObservedEvent observed(
      String feature,
      String action,
      long events30d,
      Map<String, Long> metadata,
      Map<String, Long> privateKeys,
      Map<String, Long> billing) {
    return new ObservedEvent(
        feature,
        action,
        LocalDate.parse("2024-04-02"),
        TODAY,
        events30d / 4,
        events30d,
        counts("VSCode", events30d - 10, "JetBrains", 10),
        metadata,
        privateKeys,
        billing);
  }

  private static final ObservedEvent EDITOR_OPENED =
      observed(
          "editor",
          "opened",
          1204,
          counts("durationMs", 1204, "12", 3),
          counts("languageId", 1204, "query", 50),
          counts("code_search:core", 1000, "code_search:other", 204));

  /** Keys a client may send that YAML would read as something else unless quoted. */
  private static final ObservedEvent ODD_KEYS =
      observed(
          "zz.odd",
          "keys",
          40,
          counts(
              "a: b",
              1,
              "#x",
              1,
              "true",
              1,
              "off",
              1,
              "line\nbreak",
              1,
              "é",
              1,
              "-x",
              1,
              "*",
              1,
              " lead",
              1,
              "2024-05-01",
              1,
              "0x10",
              1,
              "<<",
              1,
              "~",
              1),
          counts("quote\"d\\", 2, "tab\there", 2, "\u2028", 2),
          counts("p:c:d", 40));

  private static List<ObservedEvent> observedEvents() {
    return List.of(
        observed("search", "submitted", 5000, counts("intent", 5000), counts(), counts()),
        // Matched by the proposed notebooks.* entry: already in the file.
        observed("notebooks", "opened", 7, counts(), counts(), counts()),
        ODD_KEYS,
        EDITOR_OPENED);
  }

  @Test
  void draft_readsBackAsTheCatalogInForceThenAProposedEntryPerEventNoEntryMatches() {
    String draft =
        DraftWriter.draft(RULES, observedEvents(), TODAY, 30, "tally-admin catalog pull");

    Catalog read = CatalogFiles.read(draft);

    List<CatalogEntry> expected = new ArrayList<>(IN_FORCE.entries());
    expected.add(DraftWriter.proposedEntry(RULES, EDITOR_OPENED, TODAY));
    expected.add(DraftWriter.proposedEntry(RULES, ODD_KEYS, TODAY));
    assertEquals(new Catalog(IN_FORCE.policy(), expected), read);
  }

  @Test
  void proposedEntry_hasTheKeysSeen_andExportsOnlyWhatLeavesToday() {
    assertEquals(
        new CatalogEntry(
            "editor",
            "opened",
            Status.PROPOSED,
            null,
            null,
            null,
            Map.of(
                "durationMs", new CatalogEntry.MetadataKey(null, Map.of()),
                "12", new CatalogEntry.MetadataKey(null, Map.of())),
            Map.of(
                "languageId",
                new CatalogEntry.PrivateKey(true, DraftWriter.JUSTIFICATION_PLACEHOLDER, null),
                "query",
                new CatalogEntry.PrivateKey(false, null, null)),
            // The billing seen most; the other is in the entry's comment.
            new CatalogEntry.Billing("code_search", "core")),
        DraftWriter.proposedEntry(RULES, EDITOR_OPENED, TODAY));
    // A billing value is product:category, split at its first colon.
    assertEquals(
        new CatalogEntry.Billing("p", "c:d"),
        DraftWriter.proposedEntry(RULES, ODD_KEYS, TODAY).billing());
  }

  @Test
  void proposedEntry_withholdsAnAllowlistedKeyThePolicyDrops() {
    CatalogRules dropping =
        CatalogRules.of(
            4,
            new Catalog(
                new Policy(Policy.EventMode.OFF, Policy.KeyMode.OFF, Policy.KeyMode.DROP),
                List.of()),
            REDACTOR);

    assertEquals(
        new CatalogEntry.PrivateKey(false, null, null),
        DraftWriter.proposedEntry(dropping, EDITOR_OPENED, TODAY)
            .privateMetadata()
            .get("languageId"));
  }

  @Test
  void draft_cannotBeAppliedUntilEveryKeyThatLeavesIsJustified() {
    String draft =
        DraftWriter.draft(RULES, observedEvents(), TODAY, 30, "tally-admin catalog pull");

    CatalogFiles.Checked checked = CatalogFiles.check(draft, List.of(IN_FORCE));

    assertEquals(
        List.of(
            "events[3].privateMetadata.languageId.justification: is still the draft's"
                + " placeholder: say why the key may leave the instance, or set export to false"),
        checked.problems());
    String justified =
        draft.replace(
            DraftWriter.JUSTIFICATION_PLACEHOLDER, "The language of the file, from a fixed list.");
    assertEquals(List.of(), CatalogFiles.check(justified, List.of(IN_FORCE)).problems());
  }

  @Test
  void draft_saysHowItWasMadeAndWhatWasObserved() {
    String draft =
        DraftWriter.draft(
            CatalogRules.none(REDACTOR),
            List.of(EDITOR_OPENED),
            TODAY,
            30,
            "tally-admin catalog pull");

    assertEquals(CatalogFilesTest.file("draft-expected.yaml"), draft);
  }

  @Test
  void draft_ofAnInstanceWithoutCatalogOrEvents_isAnEmptyCatalog() {
    String draft = DraftWriter.draft(CatalogRules.none(REDACTOR), List.of(), TODAY, 7, "the API");

    assertTrue(draft.contains("\nevents: []\n"), draft);
    assertEquals(Catalog.NONE, CatalogFiles.read(draft));
    assertEquals(List.of(), CatalogFiles.check(draft, List.of()).problems());
  }

  @Test
  void entry_isReadyToPasteUnderEvents() {
    String entry = DraftWriter.entry(RULES, ODD_KEYS, TODAY);

    Catalog pasted = CatalogFiles.read("events:\n" + entry);

    assertEquals(List.of(DraftWriter.proposedEntry(RULES, ODD_KEYS, TODAY)), pasted.entries());
    assertTrue(entry.startsWith("  # Observed: 40 events over the last 30 days"), entry);
  }
}
