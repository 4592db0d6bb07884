package dev.tally.catalogfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Text written by the draft reads back as the same text, as a value and as a key. */
class YamlWriterTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "search",
        "code_search:core",
        "urn:tally:event-catalog:1",
        "Jane Doe",
        "off",
        "on",
        "yes",
        "No",
        "y",
        "true",
        "False",
        "NULL",
        "~",
        "12",
        "1.5",
        ".5",
        "0x10",
        "012",
        "1_000",
        "2024-05-01",
        "12:30",
        "a:",
        "a: b",
        "a:b c",
        "#x",
        "x #y",
        "-x",
        "- x",
        "*",
        "&anchor",
        "!tag",
        "<<",
        "?",
        "|",
        ">",
        "%x",
        "@x",
        "`x",
        "'x'",
        "\"x\"",
        "quote\"d\\",
        "",
        " lead",
        "trail ",
        "line\nbreak",
        "tab\there",
        "\u2028",
        "\u0085",
        "\ufeff",
        "é",
        "\uD83D\uDE00",
        "{}",
        "[a]",
        "a, b",
        "a(b)"
      })
  void scalar_readsBackAsTheSameText(String text) {
    String yaml =
        new YamlWriter()
            .comment(0, "a comment with " + text)
            .field(0, "value", text)
            .field(0, "keys", Map.of(text, "k"))
            .field(0, "list", List.of(text))
            .toString();

    assertEquals(
        Map.of("value", text, "keys", Map.of(text, "k"), "list", List.of(text)),
        CatalogFiles.values(yaml),
        yaml);
  }
}
