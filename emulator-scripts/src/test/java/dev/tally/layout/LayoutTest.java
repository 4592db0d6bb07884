package dev.tally.layout;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
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
          .importPackages("dev.tally");

  @Test
  void readsTheClassesOfEveryModule() {
    for (String function :
        List.of(
            "dev.tally.recordevent.RecordEventFunction",
            "dev.tally.gatewayfn.GatewayFunction",
            "dev.tally.exportfn.ExportFunction",
            "dev.tally.admin.TallyAdmin",
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
            "dev.tally.runtime..")
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
