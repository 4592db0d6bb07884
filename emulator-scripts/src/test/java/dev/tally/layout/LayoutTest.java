package dev.tally.layout;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The layout the modules promise, checked on the main classes of all of them (this module's tests
 * see every module): packages import downwards only, and no deployable's code uses the test
 * fixtures.
 */
class LayoutTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importLocations(modules());

  /**
   * The project's modules on the class path (their {@code target/classes} or {@code tally-*} jars):
   * reading only them, not every library's jar, keeps the test to about a second.
   */
  private static List<Location> modules() {
    List<Location> modules = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      String name = path.getFileName().toString();
      if (Files.isDirectory(path) && path.endsWith(Path.of("target", "classes"))) {
        modules.add(Location.of(path));
      } else if (name.startsWith("tally-") && name.endsWith(".jar")) {
        try {
          modules.add(Location.of(new JarFile(path.toFile())));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + path, e);
        }
      }
    }
    return modules;
  }

  @Test
  void readsTheClassesOfEveryModule() {
    for (String function :
        List.of(
            "dev.tally.recordevent.RecordEventFunction",
            "dev.tally.gatewayfn.GatewayFunction",
            "dev.tally.exportfn.ExportFunction",
            "dev.tally.admin.TallyAdmin",
            "dev.tally.catalogfile.CatalogFiles",
            "dev.tally.store.Jdbc",
            "dev.tally.testing.TestDatabase")) {
      assertTrue(MAIN.contain(function), function + " was not read");
    }
  }

  @Test
  void noPackageDependsOnOneThatDependsOnIt() {
    slices().matching("dev.tally.(**)").should().beFreeOfCycles().check(MAIN);
  }

  @Test
  void onlyTheLocalStackRunsTheTestFixtures() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.tally.testing..", "dev.tally.local..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.tally.testing..")
        .check(MAIN);
  }

  @Test
  void theSharedCoreKnowsNoDeployable() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.tally.event..",
            "dev.tally.legacy..",
            "dev.tally.record..",
            "dev.tally.redact..",
            "dev.tally.privacy..",
            "dev.tally.ratelimit..",
            "dev.tally.store..",
            "dev.tally.usage..",
            "dev.tally.grpcweb..",
            "dev.tally.config..",
            "dev.tally.log..",
            "dev.tally.json..",
            "dev.tally.runtime..",
            "dev.tally.catalog..",
            "dev.tally.catalogstore..",
            "dev.tally.egress..",
            "dev.tally.catalogfile..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.tally.recordevent..",
            "dev.tally.gateway..",
            "dev.tally.gatewayfn..",
            "dev.tally.export..",
            "dev.tally.exportfn..",
            "dev.tally.admin..",
            "dev.tally.local..")
        .check(MAIN);
  }
}
