package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The offline schema check ({@code terraform/check}) fails on the mistakes it is there to catch:
 * each fault is injected alone into a copy of {@code terraform/}, and the check must exit 1 and
 * name it; the unmodified copy must pass. Faults are injected into the resources found by type and
 * name, not by line, so that the test follows changes to the modules.
 *
 * <p>Its cases run side by side: each is a node process over a copy of {@code terraform/} of its
 * own.
 */
@Execution(ExecutionMode.CONCURRENT)
class SchemaCheckTest {
  private static final Path TERRAFORM = DeployedFunctions.TERRAFORM;
  private static final Path CHECK = TERRAFORM.resolve("check");

  private static String node;

  @TempDir Path temp;

  @BeforeAll
  static void nodeAndTheCheckDependencies() throws Exception {
    node = findOnPath("node");
    String npm = findOnPath("npm");
    if (node == null || npm == null) {
      String install =
          "node and npm are not on PATH; install Node.js 20 or later (apt-get install nodejs npm,"
              + " or https://nodejs.org/en/download) to run the offline schema check";
      if ("true".equals(System.getenv("CI"))) {
        fail(install + " (CI=true: the check is required there)");
      }
      Assumptions.assumeTrue(false, install);
    }
    String missing = missingDependencies();
    if (!missing.isEmpty()) {
      // First run on a clean clone, or package.json changed: install what package-lock.json pins.
      Result install = run(CHECK, 900, npm, "ci", "--no-audit", "--no-fund");
      assertEquals(
          0, install.status(), "npm ci in " + CHECK + " failed (" + missing + "):\n" + install);
      assertEquals("", missingDependencies(), "npm ci did not install everything");
    }
  }

  @Test
  void unmodifiedTree_passes() {
    Result result = check(copyOfTerraform());

    assertEquals(0, result.status(), "the check fails on the unmodified tree:\n" + result);
    assertTrue(result.output().contains("no problems found"), result.toString());
  }

  static Stream<Arguments> faults() {
    return Stream.of(
        fault(
            "retry_config = {…}: a block written as an argument",
            root -> blockAsArgument(root, "google_cloud_scheduler_job", "retry_config"),
            "google_cloud_scheduler_job.",
            "\"retry_config\" is a block, not an argument"),
        fault(
            "headers {…}: a map argument written as a block",
            root -> argumentAsBlock(root, "google_cloud_scheduler_job", "http_target", "headers"),
            ".http_target:",
            "\"headers\" is an argument (a map of string), not a block"),
        fault(
            "google_cloudfunctions2_function.export.uri: no such top-level attribute",
            root -> addOutput(root, "google_cloudfunctions2_function.export.uri"),
            "google_cloudfunctions2_function.export has no attribute \"uri\""),
        fault(
            "build_config[0].uri: no such attribute of the build block",
            root -> addOutput(root, "google_cloudfunctions2_function.export.build_config[0].uri"),
            "google_cloudfunctions2_function.export.build_config[0] has no attribute \"uri\""),
        fault(
            "ingress_settings = \"ALLOW_EVERYTHING\": not one of the provider's values",
            root ->
                setArgument(
                    root,
                    "google_cloudfunctions2_function",
                    "service_config",
                    "ingress_settings",
                    "\"ALLOW_EVERYTHING\""),
            "\"ingress_settings\" = \"ALLOW_EVERYTHING\" is not one of the provider's values:"
                + " ALLOW_ALL,"),
        fault(
            "disk_autoresize = \"maybe\": not a boolean",
            root ->
                setArgument(
                    root,
                    "google_sql_database_instance",
                    "settings",
                    "disk_autoresize",
                    "\"maybe\""),
            "google_sql_database_instance.",
            "\"disk_autoresize\" must be a boolean (true or false), got \"maybe\""),
        fault(
            "keepers in an ephemeral random_password: an argument of the resource only",
            root -> {
              Located block = ephemeral(root, "random_password");
              block.insertInto(block.item(), "keepers = { version = \"1\" }");
            },
            "ephemeral.random_password.",
            "\"keepers\" is an argument of resource random_password, not of ephemeral"
                + " random_password"),
        fault(
            "ephemeral.random_password.X.id: the ephemeral random_password returns no id",
            root -> {
              Located block = ephemeral(root, "random_password");
              block.write(
                  block.text()
                      + "\nlocals {\n  injected_fault = ephemeral.random_password."
                      + block.item().labels().get(1)
                      + ".id\n}\n");
            },
            "ephemeral random_password has no attribute \"id\" (it returns result,"
                + " bcrypt_hash)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("faults")
  void injectedFault_isReportedByName(String fault, Consumer<Path> inject, List<String> expected) {
    Path root = copyOfTerraform();
    Map<Path, String> before = tfFiles(root);
    inject.accept(root);
    assertTrue(!before.equals(tfFiles(root)), "the fault was not injected: " + fault);

    Result result = check(root);

    assertEquals(1, result.status(), "the check passed with " + fault + ":\n" + result);
    List<String> problems =
        result.output().lines().filter(l -> l.startsWith("  ")).map(String::trim).toList();
    assertTrue(
        problems.stream().anyMatch(p -> expected.stream().allMatch(p::contains)),
        "no problem names " + expected + ":\n" + result);
  }

  /**
   * What the modules are about to use (the time and google-beta providers, a Cloud Run service) is
   * checked, not refused: written correctly it passes, and a google-beta-only resource without
   * {@code provider = google-beta} is unknown.
   */
  @Test
  void timeGoogleBetaAndCloudRunResources_areCheckedAgainstTheirProviders() throws IOException {
    Path root = copyOfTerraform();
    Path file = root.resolve("modules/gateway/injected_additions.tf");
    Files.writeString(
        file,
        """
        resource "google_project_service_identity" "injected" {
          provider = google-beta
          project  = var.project_id
          service  = "pubsub.googleapis.com"
        }

        resource "time_sleep" "injected" {
          create_duration = "60s"
          triggers        = { member = google_project_service_identity.injected.member }
        }

        resource "google_cloud_run_v2_service" "injected" {
          project  = var.project_id
          location = var.region
          name     = "injected"
          ingress  = "INGRESS_TRAFFIC_ALL"

          template {
            scaling {
              max_instance_count = 2
            }
            containers {
              image = "us-docker.pkg.dev/p/r/gateway:1"
              env {
                name  = "TELEMETRY_GATEWAY_TOPIC"
                value = google_pubsub_topic.events.name
              }
            }
          }
          depends_on = [time_sleep.injected]
        }

        output "injected" {
          value = [
            google_cloud_run_v2_service.injected.uri,
            google_project_service_identity.injected.email,
            time_sleep.injected.id,
          ]
        }
        """);

    Result correct = check(root);
    assertEquals(0, correct.status(), "correct additions were refused:\n" + correct);

    Files.writeString(
        file, Files.readString(file).replace("provider = google-beta", "provider = google"));
    Result withoutBeta = check(root);
    assertEquals(1, withoutBeta.status(), withoutBeta.toString());
    assertTrue(
        withoutBeta
            .output()
            .contains("unknown resource type google_project_service_identity (provider google)"),
        withoutBeta.toString());
  }

  // --- injecting faults ---

  private static Arguments fault(String name, Consumer<Path> inject, String... expected) {
    return Arguments.of(name, inject, List.of(expected));
  }

  /** {@code name {…}} in the first resource of {@code type} becomes {@code name = {…}}. */
  private static void blockAsArgument(Path root, String type, String name) {
    Located resource = resource(root, type);
    Hcl.Item block = child(resource, resource.item(), true, name);
    if (block != null) {
      resource.write(
          resource.text().substring(0, block.valueStart())
              + "= "
              + resource.rest(block.valueStart()));
    } else {
      resource.insertInto(resource.item(), name + " = {}");
    }
  }

  /**
   * {@code name = {…}} in block {@code parent} of the first resource of {@code type} becomes {@code
   * name {…}}.
   */
  private static void argumentAsBlock(Path root, String type, String parent, String name) {
    Located resource = resource(root, type);
    Hcl.Item container = child(resource, resource.item(), true, parent);
    if (container == null) {
      throw new AssertionError(resource.where() + " has no " + parent + " block");
    }
    Hcl.Item argument = child(resource, container, false, name);
    String block = name + " {\n      Content-Type = \"application/json\"\n    }";
    if (argument != null) {
      resource.write(
          resource.text().substring(0, argument.start()) + block + resource.rest(argument.end()));
    } else {
      resource.insertInto(container, block);
    }
  }

  /** Sets {@code name = value} in block {@code parent} of the first resource of {@code type}. */
  private static void setArgument(
      Path root, String type, String parent, String name, String value) {
    Located resource = resource(root, type);
    Hcl.Item container = child(resource, resource.item(), true, parent);
    if (container == null) {
      throw new AssertionError(resource.where() + " has no " + parent + " block");
    }
    Hcl.Item argument = child(resource, container, false, name);
    if (argument != null) {
      resource.write(
          resource.text().substring(0, argument.valueStart())
              + value
              + resource.rest(argument.end()));
    } else {
      resource.insertInto(container, name + " = " + value);
    }
  }

  /** Adds an output reading {@code reference} to the file that declares the resource it names. */
  private static void addOutput(Path root, String reference) {
    String[] parts = reference.split("\\.");
    Located resource = resource(root, parts[0], parts[1]);
    resource.write(
        resource.text() + "\noutput \"injected_fault\" {\n  value = " + reference + "\n}\n");
  }

  /** A resource block found in a .tf file of the copy, and that file's text. */
  private record Located(Path file, String text, String code, Hcl.Item item) {
    String where() {
      return file + ": " + item.labels();
    }

    String rest(int from) {
      return text.substring(from);
    }

    void write(String newText) {
      try {
        Files.writeString(file, newText);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Inserts a line right after the opening brace of {@code block}. */
    void insertInto(Hcl.Item block, String line) {
      write(text.substring(0, block.bodyStart()) + "\n" + line + "\n" + rest(block.bodyStart()));
    }
  }

  private static Located resource(Path root, String type) {
    return resource(root, type, null);
  }

  /** The first {@code ephemeral "type"} block under modules/. */
  private static Located ephemeral(Path root, String type) {
    for (Path file : DeployedFunctions.terraformFiles(root.resolve("modules"))) {
      String text = read(file);
      String code = Hcl.withoutComments(text);
      for (Hcl.Item item : Hcl.items(code)) {
        if (item.block() && item.name().equals("ephemeral") && item.labels().get(0).equals(type)) {
          return new Located(file, text, code, item);
        }
      }
    }
    throw new AssertionError("no ephemeral " + type + " under " + root);
  }

  /** The resource {@code type.name} (the first of its type when name is null) under modules/. */
  private static Located resource(Path root, String type, String name) {
    for (Path file : DeployedFunctions.terraformFiles(root.resolve("modules"))) {
      String text = read(file);
      String code = Hcl.withoutComments(text);
      for (Hcl.Item item : Hcl.items(code)) {
        if (item.block()
            && item.name().equals("resource")
            && item.labels().get(0).equals(type)
            && (name == null || item.labels().get(1).equals(name))) {
          return new Located(file, text, code, item);
        }
      }
    }
    throw new AssertionError(
        "no resource " + type + (name == null ? "" : "." + name) + " under " + root);
  }

  private static Hcl.Item child(Located resource, Hcl.Item parent, boolean block, String name) {
    for (Hcl.Item item : Hcl.items(resource.code(), parent.bodyStart(), parent.bodyEnd())) {
      if (item.block() == block && item.name().equals(name)) {
        return item;
      }
    }
    return null;
  }

  // --- running the check ---

  private record Result(int status, String output) {
    @Override
    public String toString() {
      return "exit " + status + "\n" + output;
    }
  }

  private static Result check(Path terraformCopy) {
    try {
      return run(
          CHECK, 300, node, CHECK.resolve("check-schema.mjs").toString(), terraformCopy.toString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("could not run the check", e);
    }
  }

  private static Result run(Path dir, int timeoutSeconds, String... command)
      throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish:\n" + output);
    }
    return new Result(process.exitValue(), output);
  }

  /** The dependencies of package.json not installed at their pinned versions, or "". */
  private static String missingDependencies() throws IOException {
    String manifest = Files.readString(CHECK.resolve("package.json"));
    Matcher section = Pattern.compile("\"dependencies\"\\s*:\\s*\\{([^}]*)\\}").matcher(manifest);
    if (!section.find()) {
      throw new AssertionError("no dependencies in " + CHECK.resolve("package.json"));
    }
    List<String> missing = new ArrayList<>();
    Matcher dependency =
        Pattern.compile("\"([^\"]+)\"\\s*:\\s*\"([^\"]+)\"").matcher(section.group(1));
    while (dependency.find()) {
      Path installed =
          CHECK.resolve("node_modules").resolve(dependency.group(1)).resolve("package.json");
      String version = "\"version\": \"" + dependency.group(2) + "\"";
      if (!Files.isRegularFile(installed) || !Files.readString(installed).contains(version)) {
        missing.add(dependency.group(1) + "@" + dependency.group(2));
      }
    }
    return missing.isEmpty() ? "" : "missing or other versions: " + String.join(", ", missing);
  }

  // --- the copy ---

  /** terraform/ without node_modules/, .terraform/ and prepared builds, in a fresh directory. */
  private Path copyOfTerraform() {
    Path target = temp.resolve("terraform");
    try {
      Files.walkFileTree(
          TERRAFORM,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes)
                throws IOException {
              String name = dir.getFileName().toString();
              if (!dir.equals(TERRAFORM)
                  && (name.startsWith(".")
                      || name.equals("node_modules")
                      || name.equals("build"))) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              Files.createDirectories(target.resolve(TERRAFORM.relativize(dir).toString()));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                throws IOException {
              if (attributes.isRegularFile()) {
                Files.copy(file, target.resolve(TERRAFORM.relativize(file).toString()));
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }

  private static Map<Path, String> tfFiles(Path root) {
    Map<Path, String> files = new TreeMap<>();
    for (Path file : DeployedFunctions.terraformFiles(root)) {
      files.put(file, read(file));
    }
    return files;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
