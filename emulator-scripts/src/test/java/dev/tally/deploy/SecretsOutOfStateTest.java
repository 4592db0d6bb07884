package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No secret value reaches the Terraform state (or a plan file): the database password, the gateway
 * token, the instance tokens and the license key are ephemeral values that only write-only
 * arguments ({@code secret_data_wo}, {@code password_wo}) take. Checked on the configuration, as
 * Terraform would check it at plan time (which needs the providers, not available offline):
 *
 * <ul>
 *   <li>no {@code resource "random_password"}: its result is kept in the state; only the ephemeral
 *       one is allowed;
 *   <li>no {@code secret_data} on a secret version and no {@code password} on a SQL user: the state
 *       keeps both;
 *   <li>every variable marked {@code sensitive} is also {@code ephemeral};
 *   <li>a secret (an ephemeral or sensitive variable, an {@code ephemeral.} value, a local derived
 *       from one) reaches no argument but a write-only one ({@code ..._wo}): not another argument,
 *       an output, or a module variable that is not ephemeral. Conditions ({@code lifecycle}) may
 *       read secrets: Terraform keeps no condition;
 *   <li>a function or service reads a secret at the version Terraform wrote ({@code version =
 *       google_secret_manager_secret_version.X.version}), never {@code latest}: Terraform cannot
 *       see a write-only value change, so the new version it makes when a version number is raised
 *       is what rolls the functions out with the new value.
 * </ul>
 */
class SecretsOutOfStateTest {
  /** Per resource type, the arguments the state keeps a secret in and their write-only twins. */
  private static final Map<String, Map<String, String>> KEPT_IN_STATE =
      Map.of(
          "google_secret_manager_secret_version", Map.of("secret_data", "secret_data_wo"),
          "google_sql_user", Map.of("password", "password_wo"));

  /** Blocks that read a secret into a function or service, and what their version must be. */
  private static final Set<String> SECRET_READERS =
      Set.of("secret_environment_variables", "secret_key_ref");

  private static final Pattern PINNED_VERSION =
      Pattern.compile("google_secret_manager_secret_version\\.\\w+(\\[[^\\]]+\\])?\\.version");

  private static final Pattern REFERENCE =
      Pattern.compile("(?<![\\w.])(?:(var|local)\\.(\\w+)|ephemeral\\.\\w+\\.\\w+(?:\\.\\w+)?)");

  @Test
  void noSecret_reachesTheState() {
    assertEquals(List.of(), problems(tree()));
  }

  @Test
  void check_namesSecretDataPutBack() {
    Map<String, String> tree = tree();
    inject(
        tree,
        "modules/instance/main.tf",
        "secret_data_wo = ephemeral.random_password.database.result",
        "secret_data = ephemeral.random_password.database.result");

    assertEquals(
        List.of(
            "modules/instance/main.tf: google_secret_manager_secret_version.database_password sets"
                + " secret_data, which the state keeps: write it with secret_data_wo (and"
                + " secret_data_wo_version)",
            "modules/instance/main.tf: google_secret_manager_secret_version.database_password"
                + ".secret_data takes ephemeral.random_password.database.result, a secret: only a"
                + " write-only argument (..._wo) keeps it out of the state"),
        problems(tree));
  }

  @Test
  void check_namesARandomPasswordResource() {
    Map<String, String> tree = tree();
    inject(
        tree,
        "modules/instance/main.tf",
        "ephemeral \"random_password\" \"database\"",
        "resource \"random_password\" \"database\"");
    inject(
        tree,
        "modules/instance/main.tf",
        "ephemeral.random_password.database.result",
        "random_password.database.result");

    assertEquals(
        List.of(
            "modules/instance/main.tf: resource random_password.database keeps its result in the"
                + " state: declare it ephemeral \"random_password\" and pass its result to"
                + " write-only arguments only"),
        problems(tree));
  }

  @Test
  void check_namesASensitiveVariableThatIsNotEphemeral() {
    Map<String, String> tree = tree();
    String file = "modules/instance/variables.tf";
    String text = tree.get(file);
    int start = text.indexOf("variable \"gateway_token\" {");
    int end = Hcl.blockEnd(text, text.indexOf('{', start));
    tree.put(
        file,
        text.substring(0, start)
            + text.substring(start, end).replaceFirst("\\n\\s*ephemeral\\s*=\\s*true", "")
            + text.substring(end));

    assertEquals(
        List.of(
            "examples/complete/main.tf: module.instance.gateway_token takes"
                + " ephemeral.random_password.gateway_token.result, a secret, but variable"
                + " gateway_token of ../../modules/instance is not ephemeral",
            "modules/instance/variables.tf: variable gateway_token is sensitive but not ephemeral:"
                + " declare it ephemeral = true, so that Terraform keeps it out of the state and"
                + " plan files and refuses it anywhere but a write-only argument"),
        problems(tree));
  }

  @Test
  void check_namesASecretInAnEnvironmentVariable() {
    Map<String, String> tree = tree();
    inject(
        tree,
        "modules/instance/main.tf",
        "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID               = var.instance_id",
        "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID               = var.instance_id\n"
            + "      LEAKED_TOKEN = var.gateway_token");

    assertEquals(
        List.of(
            "modules/instance/main.tf: google_cloudfunctions2_function.export.service_config"
                + ".environment_variables takes var.gateway_token, a secret: only a write-only"
                + " argument (..._wo) keeps it out of the state"),
        problems(tree));
  }

  @Test
  void check_namesAFunctionThatReadsTheLatestVersion() {
    Map<String, String> tree = tree();
    inject(
        tree,
        "modules/instance/main.tf",
        "version    = google_secret_manager_secret_version.gateway_token[0].version",
        "version    = \"latest\"");

    assertEquals(
        List.of(
            "modules/instance/main.tf: google_cloudfunctions2_function.export.service_config"
                + ".secret_environment_variables.version is \"latest\": pin the version Terraform"
                + " writes (google_secret_manager_secret_version.<name>.version), so that a new"
                + " value rolls the function out"),
        problems(tree));
  }

  // --- the check ---

  /** The variables of a module: name => [sensitive, ephemeral]. */
  private record Variable(String file, boolean sensitive, boolean ephemeral) {}

  /** One module directory's declarations. */
  private static final class Module {
    final Map<String, Variable> variables = new TreeMap<>();
    final Map<String, String> locals = new LinkedHashMap<>();
    final Set<String> secretLocals = new HashSet<>();
    final List<String[]> files = new ArrayList<>(); // {relative path, code without comments}
  }

  /** Problems of a tree of .tf files (path relative to terraform/ => text). */
  static List<String> problems(Map<String, String> tree) {
    Map<String, Module> modules = new TreeMap<>();
    for (Map.Entry<String, String> file : tree.entrySet()) {
      String dir = parent(file.getKey());
      Module module = modules.computeIfAbsent(dir, d -> new Module());
      String code = Hcl.withoutComments(file.getValue());
      module.files.add(new String[] {file.getKey(), code});
      for (Hcl.Item item : Hcl.items(code)) {
        if (item.block() && item.name().equals("variable")) {
          boolean sensitive = false;
          boolean ephemeral = false;
          for (Hcl.Item setting : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            String value = code.substring(setting.valueStart(), setting.end()).trim();
            sensitive |= setting.name().equals("sensitive") && value.equals("true");
            ephemeral |= setting.name().equals("ephemeral") && value.equals("true");
          }
          module.variables.put(
              item.labels().get(0), new Variable(file.getKey(), sensitive, ephemeral));
        } else if (item.block() && item.name().equals("locals")) {
          for (Hcl.Item local : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            module.locals.put(local.name(), code.substring(local.valueStart(), local.end()));
          }
        }
      }
    }

    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Module> entry : modules.entrySet()) {
      Module module = entry.getValue();
      // A local is secret when its expression reads a secret, also through other locals.
      boolean grew = true;
      while (grew) {
        grew = false;
        for (Map.Entry<String, String> local : module.locals.entrySet()) {
          if (!module.secretLocals.contains(local.getKey())
              && secretIn(module, local.getValue()) != null) {
            grew = module.secretLocals.add(local.getKey());
          }
        }
      }
      for (Map.Entry<String, Variable> variable : module.variables.entrySet()) {
        if (variable.getValue().sensitive() && !variable.getValue().ephemeral()) {
          problems.add(
              variable.getValue().file()
                  + ": variable "
                  + variable.getKey()
                  + " is sensitive but not ephemeral: declare it ephemeral = true, so that"
                  + " Terraform keeps it out of the state and plan files and refuses it anywhere"
                  + " but a write-only argument");
        }
      }
      for (String[] file : module.files) {
        problems.addAll(fileProblems(file[0], file[1], entry.getKey(), module, modules));
      }
    }
    problems.sort(null);
    return problems;
  }

  private static List<String> fileProblems(
      String file, String code, String dir, Module module, Map<String, Module> modules) {
    List<String> problems = new ArrayList<>();
    for (Hcl.Item item : Hcl.items(code)) {
      if (!item.block()) {
        continue;
      }
      switch (item.name()) {
        case "resource", "data" -> {
          String type = item.labels().get(0);
          String address = type + "." + item.labels().get(1);
          if (item.name().equals("resource") && type.equals("random_password")) {
            problems.add(
                file
                    + ": resource "
                    + address
                    + " keeps its result in the state: declare it ephemeral \"random_password\""
                    + " and pass its result to write-only arguments only");
          }
          for (Hcl.Item argument : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            String writeOnly = KEPT_IN_STATE.getOrDefault(type, Map.of()).get(argument.name());
            if (!argument.block() && writeOnly != null) {
              problems.add(
                  file
                      + ": "
                      + address
                      + " sets "
                      + argument.name()
                      + ", which the state keeps: write it with "
                      + writeOnly
                      + " (and "
                      + writeOnly
                      + "_version)");
            }
          }
          secretsInArguments(file, code, item, address, module, problems);
          unpinnedVersions(file, code, item, address, item.name(), problems);
        }
        case "output" -> {
          boolean ephemeralOutput = false;
          String value = null;
          for (Hcl.Item setting : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            String text = code.substring(setting.valueStart(), setting.end());
            ephemeralOutput |= setting.name().equals("ephemeral") && text.trim().equals("true");
            value = setting.name().equals("value") ? text : value;
          }
          String secret = value == null ? null : secretIn(module, value);
          if (secret != null && !ephemeralOutput) {
            problems.add(
                file
                    + ": output "
                    + item.labels().get(0)
                    + " takes "
                    + secret
                    + ", a secret: outputs are kept in the state");
          }
        }
        case "module" -> {
          String source = null;
          for (Hcl.Item setting : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            if (setting.name().equals("source")) {
              source = code.substring(setting.valueStart(), setting.end()).trim();
              source = source.substring(1, source.length() - 1);
            }
          }
          Module callee =
              source == null
                  ? null
                  : modules.get(normalize(dir.isEmpty() ? source : dir + "/" + source));
          for (Hcl.Item argument : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            if (argument.block() || callee == null) {
              continue;
            }
            Variable variable = callee.variables.get(argument.name());
            String secret = secretIn(module, code.substring(argument.valueStart(), argument.end()));
            if (secret != null && (variable == null || !variable.ephemeral())) {
              problems.add(
                  file
                      + ": module."
                      + item.labels().get(0)
                      + "."
                      + argument.name()
                      + " takes "
                      + secret
                      + ", a secret, but variable "
                      + argument.name()
                      + " of "
                      + source
                      + " is not ephemeral");
            }
          }
        }
        default -> {
          // variables (their validations), locals (checked where they are used), ephemeral
          // blocks (ephemeral values may feed them), terraform and provider blocks
        }
      }
    }
    return problems;
  }

  /**
   * Every argument of the block (nested blocks included) that reads a secret but is not write-only.
   */
  private static void secretsInArguments(
      String file, String code, Hcl.Item block, String path, Module module, List<String> problems) {
    for (Hcl.Item item : Hcl.items(code, block.bodyStart(), block.bodyEnd())) {
      if (item.block()) {
        if (!item.name().equals("lifecycle")) {
          String name = item.name().equals("dynamic") ? item.labels().get(0) : item.name();
          secretsInArguments(file, code, item, path + "." + name, module, problems);
        }
        continue;
      }
      if (item.name().endsWith("_wo")) {
        continue;
      }
      String secret = secretIn(module, code.substring(item.valueStart(), item.end()));
      if (secret != null) {
        problems.add(
            file
                + ": "
                + path
                + "."
                + item.name()
                + " takes "
                + secret
                + ", a secret: only a write-only argument (..._wo) keeps it out of the state");
      }
    }
  }

  /** Every secret_environment_variables or secret_key_ref block whose version is not pinned. */
  private static void unpinnedVersions(
      String file, String code, Hcl.Item block, String path, String name, List<String> problems) {
    for (Hcl.Item item : Hcl.items(code, block.bodyStart(), block.bodyEnd())) {
      if (item.block()) {
        // A dynamic block's content is the block its label names.
        String inner =
            item.name().equals("dynamic")
                ? item.labels().get(0)
                : item.name().equals("content") ? name : item.name();
        String innerPath = item.name().equals("content") ? path : path + "." + inner;
        unpinnedVersions(file, code, item, innerPath, inner, problems);
      } else if (SECRET_READERS.contains(name)
          && item.name().equals("version")
          && !PINNED_VERSION
              .matcher(code.substring(item.valueStart(), item.end()).trim())
              .matches()) {
        problems.add(
            file
                + ": "
                + path
                + ".version is "
                + code.substring(item.valueStart(), item.end()).trim()
                + ": pin the version Terraform writes"
                + " (google_secret_manager_secret_version.<name>.version), so that a new value"
                + " rolls the function out");
      }
    }
  }

  /** The first secret an expression reads, or null. */
  private static String secretIn(Module module, String expression) {
    Matcher m = REFERENCE.matcher(expression);
    while (m.find()) {
      if (m.group(1) == null) {
        return m.group(); // ephemeral.<type>.<name>[.<attribute>]
      }
      if (m.group(1).equals("var")) {
        Variable variable = module.variables.get(m.group(2));
        if (variable != null && (variable.sensitive() || variable.ephemeral())) {
          return m.group();
        }
      } else if (module.secretLocals.contains(m.group(2))) {
        return m.group();
      }
    }
    return null;
  }

  // --- the tree ---

  /** The .tf files under terraform/, by path relative to it. */
  private static Map<String, String> tree() {
    Map<String, String> tree = new TreeMap<>();
    Path root = DeployedFunctions.TERRAFORM;
    for (Path file : DeployedFunctions.terraformFiles(root)) {
      try {
        tree.put(root.relativize(file).toString().replace('\\', '/'), Files.readString(file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return tree;
  }

  private static void inject(Map<String, String> tree, String file, String from, String to) {
    String text = tree.get(file);
    if (!text.contains(from)) {
      throw new AssertionError(file + " no longer holds " + from + ": update the injected fault");
    }
    tree.put(file, text.replace(from, to));
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  private static String normalize(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.equals("..") && !parts.isEmpty()) {
        parts.remove(parts.size() - 1);
      } else if (!part.equals(".") && !part.isEmpty()) {
        parts.add(part);
      }
    }
    return String.join("/", parts);
  }
}
