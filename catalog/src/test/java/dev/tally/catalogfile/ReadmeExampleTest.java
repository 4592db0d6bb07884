package dev.tally.catalogfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalog file the README shows is one a reader can copy and apply. */
class ReadmeExampleTest {
  @Test
  void readmeExample_passesEveryCheck_andMeansWhatTheReadmeSays() throws Exception {
    // The module's directory is the working directory of its tests; the README is beside it.
    String readme = Files.readString(Path.of("..", "README.md"));
    int section = readme.indexOf("## The event catalog");
    assertTrue(section >= 0, "the README has the catalog's section");
    int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
    String example = readme.substring(start, readme.indexOf("```", start));

    CatalogFiles.Checked checked = CatalogFiles.check(example, List.of());

    assertEquals(List.of(), checked.problems());
    assertEquals(
        new Policy(Policy.EventMode.HOLD, Policy.KeyMode.SHADOW, Policy.KeyMode.DROP),
        checked.catalog().policy());
    CatalogEntry search = checked.catalog().entries().get(0);
    assertEquals("search.query.submitted", search.name());
    assertTrue(search.privateMetadata().get("language").export());
    assertEquals(false, search.privateMetadata().get("query").export());
    assertEquals(3L, search.metadata().get("patternType").codes().get("structural"));
  }
}
