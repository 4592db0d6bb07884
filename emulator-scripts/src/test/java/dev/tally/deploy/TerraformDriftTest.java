package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tally.deploy.DeployedFunctions.DeployedFunction;
import dev.tally.export.ExporterConfig;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code terraform/} in step with the code: the functions it deploys exist, the variables the
 * code requires are set, credentials come from Secret Manager, and the files are formatted. That
 * each function sets only variables its configuration reads, and that the variables' validations
 * match the configuration's bounds, is checked where all three functions' code is on the class path
 * ({@code emulator-scripts}: {@code FunctionEnvironmentTest}, {@code VariableBoundsTest}).
 */
class TerraformDriftTest {
  private static final Path REPO = DeployedFunctions.REPO;
  private static final Path TERRAFORM = DeployedFunctions.TERRAFORM;

  /** Variables a function fails to start without, by entry point. */
  private static final Map<String, Set<String>> REQUIRED =
      Map.of(
          "dev.tally.recordevent.RecordEventFunction", Set.of("DATABASE_URL"),
          "dev.tally.exportfn.ExportFunction", Set.of("DATABASE_URL"),
          // Current Cloud Functions runtimes do not set GOOGLE_CLOUD_PROJECT, the fallback.
          "dev.tally.gatewayfn.GatewayFunction",
              Set.of("TELEMETRY_GATEWAY_TOPIC", "PUBSUB_PROJECT_ID"));

  /** Variables that hold credentials: only ever from Secret Manager, never in plain text. */
  private static final Set<String> SECRETS =
      Set.of(
          "DATABASE_PASSWORD",
          "TELEMETRY_GATEWAY_EXPORTER_TOKEN",
          "TELEMETRY_GATEWAY_EXPORTER_LICENSE_KEY",
          "TELEMETRY_GATEWAY_INSTANCE_TOKENS");

  @Test
  void entryPoints_nameHttpFunctionsOfTheFunctionModules() throws IOException {
    List<DeployedFunction> functions = deployedFunctions();
    assertFalse(functions.isEmpty(), "no google_cloudfunctions2_function found under " + TERRAFORM);

    List<String> problems = new ArrayList<>();
    for (DeployedFunction function : functions) {
      String problem = entryPointProblem(function.entryPoint());
      if (problem != null) {
        problems.add(function.where() + ": entry_point " + function.entryPoint() + " " + problem);
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void requiredVariables_areSetForEveryFunctionThatNeedsThem() throws IOException {
    List<DeployedFunction> functions = deployedFunctions();
    List<String> problems = new ArrayList<>();
    REQUIRED.forEach(
        (entryPoint, required) -> {
          List<DeployedFunction> deployments =
              functions.stream().filter(f -> f.entryPoint().equals(entryPoint)).toList();
          if (deployments.isEmpty()) {
            problems.add("no function deploys " + entryPoint);
          }
          for (DeployedFunction function : deployments) {
            Set<String> missing = new TreeSet<>(required);
            missing.removeAll(function.allVariables());
            if (!missing.isEmpty()) {
              problems.add(function.where() + " (" + entryPoint + ") does not set " + missing);
            }
          }
        });
    assertEquals(List.of(), problems);
  }

  /**
   * The export function derives its time budget from its own timeout and checks it at start-up:
   * Terraform must tell it the timeout it deploys it with.
   */
  @Test
  void exportFunction_isToldTheTimeoutItIsDeployedWith() throws IOException {
    Pattern timeout = Pattern.compile("\\btimeout_seconds\\s*=\\s*(\\S+)");
    Pattern told =
        Pattern.compile("\\b" + ExporterConfig.FUNCTION_TIMEOUT + "\\s*=\\s*\"\\$\\{([^}]+)\\}s\"");
    List<String> problems = new ArrayList<>();
    List<DeployedFunction> exports =
        deployedFunctions().stream()
            .filter(f -> f.entryPoint().equals("dev.tally.exportfn.ExportFunction"))
            .toList();
    assertFalse(exports.isEmpty(), "no export function deployed");
    for (DeployedFunction function : exports) {
      Matcher deployed = timeout.matcher(function.serviceConfig());
      Matcher set = told.matcher(function.serviceConfig());
      if (!deployed.find()) {
        problems.add(function.where() + " sets no timeout_seconds");
      } else if (!set.find() || !set.group(1).trim().equals(deployed.group(1))) {
        problems.add(
            function.where()
                + " must set "
                + ExporterConfig.FUNCTION_TIMEOUT
                + " = \"${"
                + deployed.group(1)
                + "}s\"");
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void secrets_comeFromSecretManagerOnly() throws IOException {
    List<String> problems = new ArrayList<>();
    for (DeployedFunction function : deployedFunctions()) {
      for (String name : function.environment().keySet()) {
        if (SECRETS.contains(name)) {
          problems.add(function.where() + " sets " + name + " in environment_variables");
        }
      }
    }
    assertEquals(List.of(), problems, "use secret_environment_variables for credentials");
  }

  @Test
  void terraformFiles_areFormatted() throws Exception {
    String terraform = findOnPath("terraform");
    if (terraform == null) {
      String install =
          "terraform is not on PATH; install Terraform 1.5 or later"
              + " (https://developer.hashicorp.com/terraform/install) to check formatting";
      if ("true".equals(System.getenv("CI"))) {
        fail(install + " (CI=true: the check is required there)");
      }
      Assumptions.assumeTrue(false, install);
    }
    Process process =
        new ProcessBuilder(terraform, "fmt", "-check", "-recursive", "-diff", "-no-color")
            .directory(TERRAFORM.toFile())
            .redirectErrorStream(true)
            .start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "terraform fmt did not finish");
    assertEquals(
        0,
        process.exitValue(),
        "terraform fmt -check -recursive failed in "
            + TERRAFORM
            + "; run `terraform fmt -recursive terraform`:\n"
            + output);
  }

  @Test
  void parser_readsLiteralMapsMergesDynamicBlocksAndSkipsCommentsAndBuildVariables() {
    String hcl =
        """
        # resource "google_cloudfunctions2_function" "commented" { entry_point = "no.Such" }
        resource "google_cloudfunctions2_function" "f" {
          build_config {
            entry_point           = "a.b.Fn"
            environment_variables = { GOOGLE_BUILDABLE = "x" }
          }
          description = "braces } in a string, ${join("}", ["{"])}"
          service_config {
            environment_variables = merge({
              PLAIN = "${var.a}-${lookup(local.m, "k}", "d")}"
              // COMMENTED = "no"
              "QUOTED" = <<-EOT
                heredoc { with braces
              EOT
            }, var.on ? { CONDITIONAL = "1" } : {})

            secret_environment_variables {
              key    = "SECRET"
              secret = "s"
            }
            dynamic "secret_environment_variables" {
              for_each = var.on ? [1] : []
              content {
                key = "DYNAMIC_SECRET"
              }
            }
          }
        }
        """;

    List<DeployedFunction> functions =
        DeployedFunctions.functionsIn(Path.of("test.tf"), "test.tf", hcl);

    assertEquals(1, functions.size());
    DeployedFunction function = functions.get(0);
    assertEquals("a.b.Fn", function.entryPoint());
    assertEquals(Set.of("PLAIN", "QUOTED", "CONDITIONAL"), function.environment().keySet());
    assertEquals(
        "\"${var.a}-${lookup(local.m, \"k}\", \"d\")}\"", function.environment().get("PLAIN"));
    assertEquals("\"1\"", function.environment().get("CONDITIONAL"));
    assertEquals(Set.of("SECRET", "DYNAMIC_SECRET"), function.secretEnvironment());
  }

  private static List<DeployedFunction> deployedFunctions() {
    return DeployedFunctions.all();
  }

  // --- what the code has ---

  /** Why {@code entryPoint} cannot be run by the Functions Framework, or null when it can. */
  private static String entryPointProblem(String entryPoint) throws IOException {
    String relative = entryPoint.replace('.', '/') + ".java";
    List<Path> sources;
    try (Stream<Path> modules = Files.list(REPO.resolve("functions"))) {
      sources =
          modules
              .map(module -> module.resolve("src/main/java").resolve(relative))
              .filter(Files::isRegularFile)
              .toList();
    }
    if (sources.size() != 1) {
      return "must be one file functions/*/src/main/java/" + relative + ", found " + sources;
    }
    String source = Files.readString(sources.get(0));
    String simpleName = entryPoint.substring(entryPoint.lastIndexOf('.') + 1);
    boolean implementsHttpFunction =
        Pattern.compile(
                "\\bclass\\s+" + simpleName + "\\b[^{]*\\bimplements\\b[^{]*\\bHttpFunction\\b")
            .matcher(source)
            .find();
    if (!implementsHttpFunction || !source.contains("com.google.cloud.functions.HttpFunction")) {
      return "does not implement com.google.cloud.functions.HttpFunction (" + sources.get(0) + ")";
    }
    if (!Pattern.compile("\\bpublic\\s+" + simpleName + "\\s*\\(\\s*\\)").matcher(source).find()) {
      return "has no public no-arg constructor, which the Functions Framework calls";
    }
    return null;
  }

  private static String findOnPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }
}
