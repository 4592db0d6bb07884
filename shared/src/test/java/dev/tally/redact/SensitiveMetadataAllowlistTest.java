package dev.tally.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SensitiveMetadataAllowlistTest {

  @Test
  void builtIn_listsTheExampleEvent() {
    assertEquals(
        Optional.of(Set.of("testField")),
        SensitiveMetadataAllowlist.builtIn().allowedKeys("exampleFeature", "exampleAction"));
    assertEquals(
        Optional.empty(),
        SensitiveMetadataAllowlist.builtIn().allowedKeys("exampleFeature", "otherAction"));
  }

  @Test
  void parseEntries_readsSeveralEntriesWithSeveralKeys() {
    List<SensitiveMetadataAllowlist.Entry> entries =
        SensitiveMetadataAllowlist.parseEntries(
            "cody.chat::submit::model::provider, search::*::query");

    assertEquals(
        List.of(
            new SensitiveMetadataAllowlist.Entry(
                "cody.chat", "submit", Set.of("model", "provider")),
            new SensitiveMetadataAllowlist.Entry("search", "*", Set.of("query"))),
        entries);
  }

  @ParameterizedTest(name = "rejects \"{0}\"")
  @ValueSource(
      strings = {
        "cody.chat::submit",
        "cody.chat",
        "cody.chat::submit::",
        "cody.chat::submit::model,",
        "Cody::submit::model",
        "cody::submit_now::model",
        "cody::**::model"
      })
  void parseEntries_rejectsMalformedEntriesNamingThem(String text) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SensitiveMetadataAllowlist.parseEntries(text));
    assertTrue(e.getMessage().startsWith("entry '"), e.getMessage());
  }

  @Test
  void allowedKeys_triesTheExactEntryBeforeTheWildcard() {
    SensitiveMetadataAllowlist allowlist =
        SensitiveMetadataAllowlist.of(
            SensitiveMetadataAllowlist.parseEntries("search::*::query,search::submit::model"));

    assertEquals(Optional.of(Set.of("model")), allowlist.allowedKeys("search", "submit"));
    assertEquals(Optional.of(Set.of("query")), allowlist.allowedKeys("search", "anything"));
    assertEquals(Optional.empty(), allowlist.allowedKeys("searching", "submit"));
  }

  @Test
  void with_combinesKeysOfTheSameEventAndKeepsTheBuiltIns() {
    SensitiveMetadataAllowlist allowlist =
        SensitiveMetadataAllowlist.builtIn()
            .with(SensitiveMetadataAllowlist.parseEntries("exampleFeature::exampleAction::other"));

    assertEquals(
        Optional.of(Set.of("testField", "other")),
        allowlist.allowedKeys("exampleFeature", "exampleAction"));
  }
}
