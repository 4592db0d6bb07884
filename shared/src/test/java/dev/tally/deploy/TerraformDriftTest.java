package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tally.export.ExporterConfig;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code terraform/} in step with the code: the functions it deploys exist, every variable it
 * sets is one the code reads, the variables the code requires are set, and the files are formatted.
 */
class TerraformDriftTest {
  private static final Path REPO = repositoryRoot();
  private static final Path TERRAFORM = REPO.resolve("terraform");

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
  void environmentVariables_areReadByTheCode() throws IOException {
    Set<String> literals = javaStringLiterals();
    Map<String, Set<String>> unknown = new TreeMap<>();
    for (DeployedFunction function : deployedFunctions()) {
      for (String name : function.allVariables()) {
        if (!literals.contains(name)) {
          unknown.computeIfAbsent(name, n -> new TreeSet<>()).add(function.where());
        }
      }
    }
    assertEquals(
        Map.of(),
        unknown,
        "set in Terraform but never named by shared/src/main/java or functions/*/src/main/java");
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
      for (String name : function.environment()) {
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

    List<DeployedFunction> functions = functionsIn("test.tf", hcl);

    assertEquals(1, functions.size());
    DeployedFunction function = functions.get(0);
    assertEquals("a.b.Fn", function.entryPoint());
    assertEquals(Set.of("PLAIN", "QUOTED", "CONDITIONAL"), function.environment());
    assertEquals(Set.of("SECRET", "DYNAMIC_SECRET"), function.secretEnvironment());
  }

  // --- what Terraform deploys ---

  /**
   * A {@code google_cloudfunctions2_function} as written in a {@code .tf} file.
   *
   * @param where file and resource address, for messages
   * @param entryPoint the {@code build_config.entry_point}
   * @param environment keys of {@code service_config.environment_variables}
   * @param secretEnvironment keys of {@code service_config.secret_environment_variables} blocks
   * @param serviceConfig the text of the {@code service_config} block, comments blanked
   */
  record DeployedFunction(
      String where,
      String entryPoint,
      Set<String> environment,
      Set<String> secretEnvironment,
      String serviceConfig) {
    Set<String> allVariables() {
      Set<String> all = new TreeSet<>(environment);
      all.addAll(secretEnvironment);
      return all;
    }
  }

  private static final Pattern FUNCTION_RESOURCE =
      Pattern.compile("resource\\s+\"google_cloudfunctions2_function\"\\s+\"([^\"]+)\"\\s*\\{");
  private static final Pattern ENTRY_POINT = Pattern.compile("\\bentry_point\\s*=\\s*(\\S+)");
  private static final Pattern SERVICE_CONFIG = Pattern.compile("\\bservice_config\\s*\\{");
  private static final Pattern ENVIRONMENT = Pattern.compile("\\benvironment_variables\\s*=\\s*");
  private static final Pattern SECRET_BLOCK =
      Pattern.compile("(?:dynamic\\s+\")?\\bsecret_environment_variables\"?\\s*\\{");
  private static final Pattern SECRET_KEY = Pattern.compile("\\bkey\\s*=\\s*(\\S+)");
  private static final Pattern MAP_KEY =
      Pattern.compile("(?m)(?:^|[{,(])\\s*\"?([A-Za-z_][A-Za-z0-9_]*)\"?\\s*=(?![=>])");
  private static final Pattern LITERAL = Pattern.compile("\"([^\"\\\\$%]*)\"");

  private static List<DeployedFunction> deployedFunctions() throws IOException {
    List<DeployedFunction> functions = new ArrayList<>();
    for (Path file : terraformFiles()) {
      String where = TERRAFORM.relativize(file).toString();
      functions.addAll(functionsIn(where, Files.readString(file)));
    }
    return functions;
  }

  /** The .tf files under terraform/, leaving out .terraform/ working dirs and node_modules/. */
  private static List<Path> terraformFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    Files.walkFileTree(
        TERRAFORM,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
            String name = dir.getFileName().toString();
            boolean skip =
                !dir.equals(TERRAFORM) && (name.startsWith(".") || name.equals("node_modules"));
            return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
            if (file.toString().endsWith(".tf") && attributes.isRegularFile()) {
              files.add(file);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    files.sort(null);
    return files;
  }

  static List<DeployedFunction> functionsIn(String file, String hcl) {
    String text = Hcl.withoutComments(hcl);
    List<DeployedFunction> functions = new ArrayList<>();
    Matcher resource = FUNCTION_RESOURCE.matcher(text);
    while (resource.find()) {
      String where = file + ": google_cloudfunctions2_function." + resource.group(1);
      String body = Hcl.blockBody(text, resource.end() - 1);
      String entryPoint = literal(where, "entry_point", ENTRY_POINT.matcher(body));
      Matcher service = SERVICE_CONFIG.matcher(body);
      if (!service.find()) {
        throw new AssertionError(where + " has no service_config block");
      }
      String serviceConfig = Hcl.blockBody(body, service.end() - 1);

      Set<String> environment = new TreeSet<>();
      Matcher env = ENVIRONMENT.matcher(serviceConfig);
      while (env.find()) {
        String map = Hcl.expressionAt(serviceConfig, env.end());
        if (map == null) {
          throw new AssertionError(
              where
                  + ": environment_variables must be a literal map (or merge of maps) so that"
                  + " its keys can be checked");
        }
        Matcher key = MAP_KEY.matcher(map);
        while (key.find()) {
          environment.add(key.group(1));
        }
      }

      Set<String> secrets = new TreeSet<>();
      Matcher block = SECRET_BLOCK.matcher(serviceConfig);
      while (block.find()) {
        String secret = Hcl.blockBody(serviceConfig, block.end() - 1);
        secrets.add(literal(where, "secret_environment_variables key", SECRET_KEY.matcher(secret)));
      }
      functions.add(new DeployedFunction(where, entryPoint, environment, secrets, serviceConfig));
    }
    return functions;
  }

  private static String literal(String where, String what, Matcher matcher) {
    if (!matcher.find()) {
      throw new AssertionError(where + " has no " + what);
    }
    Matcher literal = LITERAL.matcher(matcher.group(1));
    if (!literal.matches()) {
      throw new AssertionError(
          where + ": " + what + " must be a string literal, got " + matcher.group(1));
    }
    return literal.group(1);
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

  private static Set<String> javaStringLiterals() throws IOException {
    List<Path> roots = new ArrayList<>();
    roots.add(REPO.resolve("shared/src/main/java"));
    try (Stream<Path> modules = Files.list(REPO.resolve("functions"))) {
      modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).forEach(roots::add);
    }
    Pattern literal = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");
    Set<String> literals = new TreeSet<>();
    for (Path root : roots) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = literal.matcher(Files.readString(file));
          while (m.find()) {
            literals.add(m.group(1));
          }
        }
      }
    }
    return literals;
  }

  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("terraform"))
          && Files.isDirectory(dir.resolve("functions"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no directory with terraform/ and functions/ above the cwd");
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

  /**
   * Just enough of HCL's lexical structure to find where a block or expression ends: strings with
   * {@code ${...}} interpolations (which may hold strings and braces), heredocs and comments.
   */
  static final class Hcl {
    private static final Pattern HEREDOC = Pattern.compile("<<-?([A-Za-z_][A-Za-z0-9_]*)\\r?\\n");

    private Hcl() {}

    /** The text with every comment replaced by spaces (line breaks kept). */
    static String withoutComments(String text) {
      char[] out = text.toCharArray();
      scan(text, 0, '\0', out);
      return new String(out);
    }

    /** The text between the brace at {@code open} and its match. */
    static String blockBody(String text, int open) {
      if (text.charAt(open) != '{') {
        throw new IllegalArgumentException("no block at " + open);
      }
      return text.substring(open + 1, scan(text, open + 1, '}', null) - 1);
    }

    /**
     * The map expression starting at {@code start}: a literal {@code {...}} or a call such as
     * {@code merge(...)}; null for anything else (a reference, a conditional).
     */
    static String expressionAt(String text, int start) {
      if (text.charAt(start) == '{') {
        return text.substring(start, scan(text, start + 1, '}', null));
      }
      Matcher call = Pattern.compile("[a-z_]+\\s*\\(").matcher(text).region(start, text.length());
      if (call.lookingAt()) {
        return text.substring(start, scan(text, call.end(), ')', null));
      }
      return null;
    }

    /**
     * Scans from {@code i} to just past the {@code close} that ends the current nesting level (or
     * to the end when {@code close} is NUL), blanking comments in {@code blank} when given.
     */
    private static int scan(String s, int i, char close, char[] blank) {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == close) {
          return i + 1;
        } else if (c == '"') {
          i = string(s, i + 1, blank);
        } else if (c == '#' || s.startsWith("//", i)) {
          int end = s.indexOf('\n', i);
          end = end < 0 ? s.length() : end;
          blank(blank, i, end);
          i = end;
        } else if (s.startsWith("/*", i)) {
          int end = s.indexOf("*/", i + 2);
          end = end < 0 ? s.length() : end + 2;
          blank(blank, i, end);
          i = end;
        } else if (s.startsWith("<<", i) && HEREDOC.matcher(s).region(i, s.length()).lookingAt()) {
          Matcher heredoc = HEREDOC.matcher(s).region(i, s.length());
          heredoc.lookingAt();
          Matcher end =
              Pattern.compile("(?m)^[ \\t]*" + Pattern.quote(heredoc.group(1)) + "[ \\t]*$")
                  .matcher(s);
          if (!end.find(heredoc.end())) {
            throw new IllegalArgumentException("unterminated heredoc " + heredoc.group(1));
          }
          i = end.end();
        } else if (c == '{') {
          i = scan(s, i + 1, '}', blank);
        } else if (c == '[') {
          i = scan(s, i + 1, ']', blank);
        } else if (c == '(') {
          i = scan(s, i + 1, ')', blank);
        } else {
          i++;
        }
      }
      if (close != '\0') {
        throw new IllegalArgumentException("unbalanced: no closing " + close);
      }
      return s.length();
    }

    /** From just after an opening quote to just after the closing one. */
    private static int string(String s, int i, char[] blank) {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '\\' || s.startsWith("$${", i) || s.startsWith("%%{", i)) {
          i += 2;
        } else if (c == '"') {
          return i + 1;
        } else if (s.startsWith("${", i) || s.startsWith("%{", i)) {
          i = scan(s, i + 2, '}', blank);
        } else {
          i++;
        }
      }
      throw new IllegalArgumentException("unterminated string");
    }

    private static void blank(char[] out, int from, int to) {
      if (out != null) {
        for (int i = from; i < to; i++) {
          if (out[i] != '\n') {
            out[i] = ' ';
          }
        }
      }
    }
  }
}
