package dev.tally.catalogfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.InvalidCatalogException;
import dev.tally.catalog.Policy;
import dev.tally.catalog.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Catalog files checked as {@code catalog validate} and {@code applyCatalog} check them. */
class CatalogFilesTest {
  /** The versions applied before, oldest first: code 2 of search.submitted's intent was 'chat'. */
  private static final List<Catalog> PREVIOUS =
      List.of(
          CatalogFiles.read(file("previous-1.yaml")), CatalogFiles.read(file("previous-2.yaml")));

  static String file(String name) {
    try (InputStream in = CatalogFilesTest.class.getResourceAsStream("/catalogs/" + name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void check_acceptsAFileWithEveryFeature() {
    CatalogFiles.Checked checked = CatalogFiles.check(file("good.yaml"), PREVIOUS);

    assertEquals(List.of(), checked.problems());
    assertTrue(checked.valid());
    Catalog catalog = checked.catalog();
    assertEquals(
        new Policy(Policy.EventMode.OFF, Policy.KeyMode.SHADOW, Policy.KeyMode.DROP),
        catalog.policy());
    assertEquals(4, catalog.entries().size());
    CatalogEntry search = catalog.entries().get(0);
    assertEquals(
        Map.of("fallback", 0L, "auto", 1L, "symbol", 3L, "regexp", 4L),
        search.metadata().get("intent").codes());
    assertEquals(
        new CatalogEntry.MetadataKey(null, Map.of()), search.metadata().get("resultCount"));
    assertEquals(
        new CatalogEntry.PrivateKey(
            true,
            "An enumerated language name (go, java), never user text.",
            "The language of the open file."),
        search.privateMetadata().get("languageId"));
    // An empty key is a key that stays: the same as export: false.
    assertEquals(
        new CatalogEntry.PrivateKey(false, null, null), search.privateMetadata().get("path"));
    assertEquals(new CatalogEntry.Billing("code_search", "core"), search.billing());
    CatalogEntry deprecated = catalog.entries().get(1);
    assertEquals(Status.DEPRECATED, deprecated.status());
    assertEquals(LocalDate.parse("2024-09-01"), deprecated.sunset());
    assertTrue(deprecated.isPattern());
    assertEquals("*", catalog.entries().get(2).action());
    assertEquals("Jane Doe", catalog.entries().get(3).owner());
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of(
            "not-yaml.yaml",
            List.of(
                "the document is not YAML or JSON (line 3): while parsing a flow sequence:"
                    + " expected ',' or ']', but got <stream end>")),
        Arguments.of(
            "duplicate-key.yaml",
            List.of("the document is not YAML or JSON (line 7): Duplicate field 'query'")),
        Arguments.of(
            "shapes.yaml",
            List.of(
                "$schema: must be text, got 1",
                "policy.unplannedEvents: must be one of off, shadow, hold, got 'yes'",
                "policy: has an unknown field 'unplannedKeys' (known: unplannedEvents,"
                    + " unplannedMetadataKeys, unplannedPrivateKeys)",
                "events[0]: must be an object (keys and values), got nothing",
                "events[1].status: must be one of proposed, approved, deprecated, got 'approve'",
                "events[1].owner: must be text, got 42",
                "events[1].metadata.durationMs: must be an object (keys and values), got 12",
                "events[1].metadata.intent.enum.chat: must be a whole number, got 1.5",
                "events[1].metadata.intent.enum.big: must be between -9007199254740991 and"
                    + " 9007199254740991 (what a metadata value holds exactly), got"
                    + " 9007199254740992",
                "events[1].metadata.intent: has an unknown field 'unit' (known: description,"
                    + " enum)",
                "events[1].privateMetadata.query.export: must be true or false, got 'true'",
                "events[1].billing.category: must be provided",
                "events[1].action: must be provided",
                "events[2]: has an unknown field 'tags' (known: feature, action, status, sunset,"
                    + " owner, description, metadata, privateMetadata, billing)")),
        Arguments.of(
            // The schema and the rules both require a justification: said once.
            "justification.yaml",
            List.of(
                "events[0].privateMetadata.query.justification: must be provided when export is"
                    + " true: why the key may leave the instance",
                "events[0].privateMetadata.languageId.justification: must not be empty when"
                    + " export is true: why the key may leave the instance",
                "events[0].privateMetadata.path.justification: must not be empty when export is"
                    + " true: why the key may leave the instance",
                "events[0].privateMetadata.repo.justification: is still the draft's placeholder:"
                    + " say why the key may leave the instance, or set export to false")),
        Arguments.of(
            "sunset.yaml",
            List.of(
                "events[0].sunset: must be provided when the status is deprecated: the first day"
                    + " (YYYY-MM-DD) the entry no longer plans its events",
                "events[1].sunset: only a deprecated entry has a sunset, this one is approved"
                    + " (remove the sunset, or deprecate the entry)")),
        Arguments.of(
            "date.yaml",
            List.of("events[0].sunset: must be a date (YYYY-MM-DD), got '2024-02-30'")),
        Arguments.of(
            // What only the reader refuses: JSON Schema takes 1.0 for a whole number.
            "whole-number.yaml",
            List.of("events[0].metadata.intent.enum.chat: must be a whole number, got 1.0")),
        Arguments.of(
            "names.yaml",
            List.of(
                "events[0].feature: must be a lowercase letter, then letters, dashes and dots (2"
                    + " to 64 characters), got 'Search'",
                "events[1].action: must be an action (a lowercase letter, then letters, dashes and"
                    + " dots; 2 to 64 characters) or a pattern (* alone, or such an action with *"
                    + " in it), got 'submit it'",
                "events[5].action: must be an action (a lowercase letter, then letters, dashes and"
                    + " dots; 2 to 64 characters) or a pattern (* alone, or such an action with *"
                    + " in it), got 'Ab*'",
                "events[6].feature: must be a lowercase letter, then letters, dashes and dots (2"
                    + " to 64 characters), got 's'",
                "events[6].action: must be an action (a lowercase letter, then letters, dashes and"
                    + " dots; 2 to 64 characters) or a pattern (* alone, or such an action with *"
                    + " in it), got 'x'",
                "events[7].feature: must be a lowercase letter, then letters, dashes and dots (2"
                    + " to 64 characters), got '"
                    + "searchsearchsearchsearchsearchsearchsearchsearchsearchsearchsearc'")),
        Arguments.of(
            "duplicates.yaml",
            List.of(
                "events[2]: events[0] is already the entry of search.submitted: one entry per"
                    + " feature and action",
                "events[3]: events[1] is already the entry of search.sub*: one entry per feature"
                    + " and action")),
        Arguments.of(
            "owner.yaml",
            List.of(
                "events[0].owner: must be provided when the status is approved: who answers for"
                    + " these events (a team or a person)",
                "events[1].owner: must be provided when the status is deprecated: who answers for"
                    + " these events (a team or a person)")),
        Arguments.of(
            "codes.yaml",
            List.of(
                "events[0].metadata.intent.enum.regexp: code 2 was given to 'chat' in an applied"
                    + " version: a code is never given to another name, even once its name is"
                    + " removed (give 'regexp' a new code)",
                "events[0].metadata.intent.enum.structural: code 3 was given to 'symbol' in an"
                    + " applied version: a code is never given to another name, even once its"
                    + " name is removed (give 'structural' a new code)",
                "events[0].metadata.intent.enum.symbol: code 3 is also given to 'structural':"
                    + " each name has its own code")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void check_namesEveryProblemWhereItIs(String name, List<String> problems) {
    CatalogFiles.Checked checked = CatalogFiles.check(file("bad/" + name), PREVIOUS);

    assertEquals(problems, checked.problems());
  }

  @Test
  void check_judgesCodesOnlyAgainstTheSameKeyOfTheSameEvent() {
    // codes.yaml gives 2 to 'regexp' in search.cancelled, and 2 to 'repo' in another key: only
    // search.submitted's intent ever had 'chat' at 2.
    CatalogFiles.Checked withoutHistory = CatalogFiles.check(file("bad/codes.yaml"), List.of());

    assertEquals(
        List.of(
            "events[0].metadata.intent.enum.symbol: code 3 is also given to 'structural': each"
                + " name has its own code"),
        withoutHistory.problems());
  }

  @Test
  void check_givesTheCatalogWithProblemsTheSchemaAloneFinds() {
    CatalogFiles.Checked checked = CatalogFiles.check(file("bad/sunset.yaml"), List.of());

    assertEquals(2, checked.catalog().entries().size());
    assertEquals(2, checked.problems().size());
    assertNull(CatalogFiles.check(file("bad/shapes.yaml"), List.of()).catalog());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   \n", "# only a comment\n", "~"})
  void check_refusesAnEmptyDocument(String text) {
    assertEquals(List.of("the document is empty"), CatalogFiles.check(text, List.of()).problems());
  }

  @Test
  void check_readsJsonAsWell() {
    String json =
        "{\"policy\": {\"unplannedEvents\": \"hold\"}, \"events\": [{\"feature\": \"search\","
            + " \"action\": \"submitted\", \"status\": \"approved\", \"owner\": \"team\"}]}";

    CatalogFiles.Checked checked = CatalogFiles.check(json, List.of());

    assertEquals(List.of(), checked.problems());
    assertEquals(Policy.EventMode.HOLD, checked.catalog().policy().unplannedEvents());
  }

  /** Documents the schema and the reader both accept, or both refuse. */
  static Stream<Arguments> shapes() {
    String entry = "events: [{feature: search, action: submitted, status: proposed";
    return Stream.of(
        Arguments.of("{}", true),
        Arguments.of("events: []", true),
        Arguments.of("events:", true),
        Arguments.of("policy:", true),
        Arguments.of("policy: {unplannedEvents: }", true),
        Arguments.of("policy: {unplannedEvents: hold, unplannedMetadataKeys: drop}", true),
        Arguments.of("policy: {unplannedEvents: drop}", false),
        Arguments.of("policy: {unplannedPrivateKeys: hold}", false),
        Arguments.of("policy: []", false),
        Arguments.of("$schema: anything", true),
        Arguments.of("$schema: 5", false),
        Arguments.of("[]", false),
        Arguments.of("5", false),
        Arguments.of("other: 1", false),
        Arguments.of("events: {}", false),
        Arguments.of("events: [5]", false),
        Arguments.of("events: [null]", false),
        Arguments.of(entry + "}]", true),
        Arguments.of(entry + ", owner: , description: , sunset: }]", true),
        Arguments.of(entry + ", sunset: 2024-01-01}]", true),
        Arguments.of(entry + ", sunset: soon}]", false),
        Arguments.of(entry + ", sunset: 20240101}]", false),
        Arguments.of("events: [{feature: search, action: submitted, status: }]", false),
        Arguments.of("events: [{feature: search, status: proposed}]", false),
        Arguments.of("events: [{action: search, status: proposed}]", false),
        Arguments.of(entry + ", description: 5}]", false),
        Arguments.of(entry + ", metadata: {k: }}]", true),
        Arguments.of(entry + ", metadata: {k: {}}}]", true),
        Arguments.of(entry + ", metadata: {k: {description: d, enum: {a: 0, b: -1}}}}]", true),
        Arguments.of(entry + ", metadata: {k: {enum: }}}]", true),
        Arguments.of(entry + ", metadata: []}]", false),
        Arguments.of(entry + ", metadata: {k: {enum: {a: x}}}}]", false),
        Arguments.of(entry + ", metadata: {k: {enum: {a: }}}}]", false),
        Arguments.of(entry + ", metadata: {k: {enum: [a]}}}]", false),
        Arguments.of(entry + ", metadata: {k: {other: 1}}}]", false),
        Arguments.of(entry + ", privateMetadata: {k: }}]", true),
        Arguments.of(entry + ", privateMetadata: {k: {export: false}}}]", true),
        Arguments.of(entry + ", privateMetadata: {k: {export: false, justification: }}}]", true),
        Arguments.of(entry + ", privateMetadata: {k: {export: true, justification: j}}}]", true),
        Arguments.of(entry + ", privateMetadata: {k: {}}}]", false),
        Arguments.of(entry + ", privateMetadata: {k: {export: no}}}]", false),
        Arguments.of(entry + ", privateMetadata: {k: {export: false, other: 1}}}]", false),
        Arguments.of(entry + ", billing: }]", true),
        Arguments.of(entry + ", billing: {product: p, category: c}}]", true),
        Arguments.of(entry + ", billing: {product: p}}]", false),
        Arguments.of(entry + ", billing: {product: p, category: }}]", false),
        Arguments.of(entry + ", billing: {product: p, category: c, other: d}}]", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void schema_acceptsExactlyWhatTheReaderReads(String document, boolean valid) {
    assertEquals(valid, schemaAccepts(document), "the schema");
    assertEquals(valid, readerAccepts(document), "Catalog.fromJson");
  }

  @Test
  void schema_andReaderDifferOnlyWhereTheyMust() {
    String entry = "events: [{feature: search, action: submitted";
    // The schema states two rules of an applied catalog that reading does not.
    String exported = entry + ", status: proposed, privateMetadata: {k: {export: true}}}]";
    String deprecated = entry + ", status: deprecated}]";
    // A code a double cannot hold exactly is refused by the schema; the reader takes any long.
    String huge = entry + ", status: proposed, metadata: {k: {enum: {a: 9007199254740992}}}}]";
    for (String document : List.of(exported, deprecated, huge)) {
      assertEquals(false, schemaAccepts(document), document);
      assertEquals(true, readerAccepts(document), document);
    }
    // JSON Schema takes 1.0 for an integer; the reader wants it written 1.
    String decimal = entry + ", status: proposed, metadata: {k: {enum: {a: 1.0}}}}]";
    assertEquals(true, schemaAccepts(decimal));
    assertEquals(false, readerAccepts(decimal));
  }

  @Test
  void schema_isAValidDraft2020_12Schema() {
    Schema meta =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));

    assertEquals(List.of(), meta.validate(CatalogSchema.get().document()));
    assertEquals(DraftWriter.SCHEMA_ID, CatalogSchema.get().document().get("$id").asText());
  }

  private static boolean schemaAccepts(String document) {
    return CatalogSchema.get().problems(CatalogFiles.tree(CatalogFiles.values(document))).isEmpty();
  }

  private static boolean readerAccepts(String document) {
    try {
      CatalogFiles.read(document);
      return true;
    } catch (InvalidCatalogException e) {
      return false;
    }
  }
}
