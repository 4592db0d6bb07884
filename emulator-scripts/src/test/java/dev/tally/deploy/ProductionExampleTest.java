package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/complete/production.tfvars.example} is a production deployment: Terraform itself
 * reads it against the example's variables (every name declared, every validation passed), and what
 * it sets is what a production review asks for: point-in-time recovery, alerts routed to a channel,
 * deletion protection, a standby, the deployer's rights on its own accounts only. The database
 * settings it gives also pass the instance module's own validations, and the module enforces
 * connectors whatever the file says.
 */
class ProductionExampleTest {
  private static final Path EXAMPLE = DeployedFunctions.TERRAFORM.resolve("examples/complete");
  private static final Path PRODUCTION = EXAMPLE.resolve("production.tfvars.example");

  @TempDir Path temp;

  @Test
  void productionFile_isReadByTerraformAndSetsWhatProductionNeeds() throws Exception {
    Evaluation evaluation = evaluate(Files.readString(PRODUCTION));

    assertEquals("", evaluation.warnings(), "Terraform's warnings on the production file");
    assertEquals(List.of(), problems(evaluation.values()));
  }

  @Test
  void check_namesEachProductionSettingTakenAway() throws Exception {
    String weakened =
        Files.readString(PRODUCTION)
                .replace(
                    "database_point_in_time_recovery = true",
                    "database_point_in_time_recovery = false")
                .replace("\"REGIONAL\"", "\"ZONAL\"")
                .replace("deletion_protection             = true", "deletion_protection = false")
                .replaceAll("(?m)^deployer_member .*$", "")
            // A misspelt name sets nothing: Terraform warns, and the check requires no warning.
            + "\ndatabase_pitr = true\n";
    Evaluation evaluation = evaluate(weakened);

    assertTrue(
        evaluation.warnings().contains("Value for undeclared variable"), evaluation.warnings());
    assertEquals(
        List.of(
            "deletion_protection is false: a destroy would delete the database",
            "database_point_in_time_recovery is false: a restore loses up to a day of events",
            "database_availability_type is ZONAL: a zone's outage stops recording",
            "deployer_member is not set: the deployer needs Service Account User on the whole"
                + " project"),
        problems(evaluation.values()));
  }

  @Test
  void alertsWithoutAChannel_areRefusedByTerraform() throws Exception {
    String unrouted =
        Files.readString(PRODUCTION)
            .replaceAll("(?m)^notification_channels .*$", "notification_channels = []");

    AssertionError refused = null;
    try {
      evaluate(unrouted);
    } catch (AssertionError e) {
      refused = e;
    }

    assertTrue(
        refused != null && refused.getMessage().contains("notification_channels"),
        "an empty notification_channels with alerts on must be refused, naming it: " + refused);
  }

  @Test
  void databaseSettings_passTheInstanceModulesValidations_andConnectorsAreEnforced()
      throws Exception {
    JsonNode values = evaluate(Files.readString(PRODUCTION)).values();
    Map<String, Object> database = new LinkedHashMap<>();
    for (String name :
        List.of(
            "database_tier",
            "database_max_connections",
            "database_availability_type",
            "database_disk_size_gb",
            "database_point_in_time_recovery",
            "deletion_protection")) {
      JsonNode value = values.path(name);
      database.put(
          name,
          value.isNumber()
              ? value.numberValue()
              : value.isBoolean() ? (Object) value.booleanValue() : value.asText());
    }
    ModuleVariables instance =
        ModuleVariables.of(DeployedFunctions.TERRAFORM.resolve("modules/instance"));

    List<String> errors =
        VariableValidations.errors(
            temp.resolve("probes"), List.of(new VariableValidations.Probe(instance, database)));

    assertEquals(1, errors.size());
    assertEquals(null, errors.get(0), "the instance module refuses the production database");
    String module =
        Hcl.withoutComments(
            Files.readString(DeployedFunctions.TERRAFORM.resolve("modules/instance/main.tf")));
    assertTrue(
        module.matches("(?s).*\\bconnector_enforcement\\s*=\\s*\"REQUIRED\".*"),
        "the instance module sets connector_enforcement = \"REQUIRED\"");
  }

  /** What a production review would refuse in the evaluated variables. */
  static List<String> problems(JsonNode values) {
    List<String> problems = new ArrayList<>();
    if (!values.path("deletion_protection").asBoolean()) {
      problems.add("deletion_protection is false: a destroy would delete the database");
    }
    if (!values.path("database_point_in_time_recovery").asBoolean()) {
      problems.add(
          "database_point_in_time_recovery is false: a restore loses up to a day of events");
    }
    if (!"REGIONAL".equals(values.path("database_availability_type").asText())) {
      problems.add(
          "database_availability_type is "
              + values.path("database_availability_type").asText()
              + ": a zone's outage stops recording");
    }
    if (!values.path("alerts_enabled").asBoolean()
        || values.path("notification_channels").isEmpty()) {
      problems.add("alerts are off or notify nobody");
    }
    if (values.path("deployer_member").isNull() || values.path("deployer_member").isMissingNode()) {
      problems.add(
          "deployer_member is not set: the deployer needs Service Account User on the whole"
              + " project");
    }
    return problems;
  }

  record Evaluation(JsonNode values, String warnings) {}

  /**
   * The example's variables as Terraform evaluates them from {@code tfvars}: a root holding only
   * the example's {@code variables.tf} and one output of them all, applied (no resource, no
   * provider).
   */
  private Evaluation evaluate(String tfvars) throws Exception {
    Path dir = Files.createTempDirectory(temp, "example");
    String variables = Files.readString(EXAMPLE.resolve("variables.tf"));
    Files.writeString(dir.resolve("variables.tf"), variables);
    StringBuilder output = new StringBuilder("output \"variables\" {\n  value = {\n");
    for (Hcl.Item item : Hcl.items(Hcl.withoutComments(variables))) {
      if (item.block() && item.name().equals("variable")) {
        String name = item.labels().get(0);
        output.append("    ").append(name).append(" = var.").append(name).append("\n");
      }
    }
    Files.writeString(dir.resolve("outputs.tf"), output.append("  }\n}\n"));
    Files.writeString(dir.resolve("input.tfvars"), tfvars);

    String terraform = VariableValidations.terraform();
    String applied =
        DashboardTest.run(
            dir,
            terraform,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-var-file=input.tfvars");
    JsonNode outputs =
        new ObjectMapper().readTree(DashboardTest.run(dir, terraform, "output", "-json"));
    StringBuilder warnings = new StringBuilder();
    int at = applied.indexOf("Warning:");
    if (at >= 0) {
      warnings.append(applied.substring(at));
    }
    return new Evaluation(outputs.path("variables").path("value"), warnings.toString().trim());
  }
}
