package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Asks Terraform itself whether module variables' validations accept given values, offline: each
 * probe becomes a root module of its own (the variables it sets, the variables and locals their
 * validations refer to, all renamed with the probe's suffix) in one directory, and one {@code
 * terraform plan} evaluates them all. No provider is needed: the probes hold no resources.
 */
final class VariableValidations {
  private static final Pattern SUFFIX = Pattern.compile("__p(\\d+)\\b");
  private static final Pattern OUTSIDE =
      Pattern.compile("(?<![\\w.])(data|module|google_\\w+|random_\\w+|time_\\w+)\\.");

  private VariableValidations() {}

  /**
   * Values for variables of one module.
   *
   * @param module the module
   * @param values variable name (or {@code name.field} of an object variable) to its value: a
   *     Number, String, Boolean or a List of them
   */
  record Probe(ModuleVariables module, Map<String, Object> values) {
    static Probe of(ModuleVariables module, String variable, Object value) {
      return new Probe(module, Map.of(variable, value));
    }
  }

  /** For each probe, null when Terraform accepts its values, else its error messages. */
  static List<String> errors(Path workDir, List<Probe> probes)
      throws IOException, InterruptedException {
    String terraform = terraform();
    Files.createDirectories(workDir);
    Map<String, Object> tfvars = new LinkedHashMap<>();
    for (int i = 0; i < probes.size(); i++) {
      Files.writeString(workDir.resolve("__p" + i + ".tf"), root(probes.get(i), i, tfvars));
    }
    Files.writeString(workDir.resolve("probes.tfvars.json"), json(tfvars));

    Process process =
        new ProcessBuilder(
                terraform,
                "plan",
                "-input=false",
                "-no-color",
                "-json",
                "-var-file=probes.tfvars.json")
            .directory(workDir.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    process.getOutputStream().close();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("terraform plan did not finish in " + workDir);
    }

    List<String> errors = new ArrayList<>(java.util.Collections.nCopies(probes.size(), null));
    boolean anyError = false;
    for (String line : output.lines().toList()) {
      if (!line.contains("\"@level\":\"error\"")) {
        continue;
      }
      anyError = true;
      Set<Integer> owners = new LinkedHashSet<>();
      Matcher m = SUFFIX.matcher(line);
      while (m.find()) {
        owners.add(Integer.parseInt(m.group(1)));
      }
      if (owners.isEmpty()) {
        throw new AssertionError(
            "terraform plan failed outside the probes in " + workDir + ":\n" + output);
      }
      String message = messageOf(line);
      for (int owner : owners) {
        errors.set(owner, errors.get(owner) == null ? message : errors.get(owner) + "; " + message);
      }
    }
    if (!anyError && process.exitValue() != 0) {
      throw new AssertionError("terraform plan failed in " + workDir + ":\n" + output);
    }
    return errors;
  }

  /** The root module of probe {@code i}: its variables and locals renamed with suffix __p{i}. */
  private static String root(Probe probe, int i, Map<String, Object> tfvars) {
    ModuleVariables module = probe.module();
    Set<String> variables = new LinkedHashSet<>();
    Set<String> locals = new LinkedHashSet<>();
    for (String key : probe.values().keySet()) {
      variables.add(key.split("\\.")[0]);
    }
    // Everything the validations refer to, transitively: other variables (Terraform 1.9+) and
    // locals.
    boolean grew = true;
    while (grew) {
      int before = variables.size() + locals.size();
      for (String name : List.copyOf(variables)) {
        ModuleVariables.Variable variable = module.variable(name);
        variables.addAll(variable.variables());
        locals.addAll(variable.locals());
      }
      for (String name : List.copyOf(locals)) {
        String expression = module.locals.get(name);
        if (expression == null) {
          throw new AssertionError("modules/" + module.name + " declares no local " + name);
        }
        if (OUTSIDE.matcher(expression).find()) {
          throw new AssertionError(
              "local."
                  + name
                  + " of modules/"
                  + module.name
                  + " reads resources or data, so a validation that uses it cannot be checked"
                  + " offline: "
                  + expression);
        }
        variables.addAll(ModuleVariables.varRefs(expression));
        locals.addAll(ModuleVariables.localRefs(expression));
      }
      grew = variables.size() + locals.size() > before;
    }

    String suffix = "__p" + i;
    StringBuilder out = new StringBuilder();
    for (String name : variables) {
      ModuleVariables.Variable variable = module.variable(name);
      if (variable.defaultValue() == null && !probe.values().containsKey(name)) {
        throw new AssertionError(
            "var."
                + name
                + " of modules/"
                + module.name
                + " has no default; a probe must set it: "
                + probe.values());
      }
      String block =
          variable
              .block()
              .replaceFirst(
                  "variable\\s+\"" + Pattern.quote(name) + "\"",
                  "variable \"" + name + suffix + "\"");
      out.append(rename(block, variables, locals, suffix)).append("\n\n");
    }
    if (!locals.isEmpty()) {
      out.append("locals {\n");
      for (String name : locals) {
        out.append("  ")
            .append(name)
            .append(suffix)
            .append(" = ")
            .append(rename(module.locals.get(name), variables, locals, suffix))
            .append("\n");
      }
      out.append("}\n");
    }
    for (Map.Entry<String, Object> value : probe.values().entrySet()) {
      String[] path = value.getKey().split("\\.", 2);
      if (path.length == 1) {
        tfvars.put(path[0] + suffix, value.getValue());
      } else {
        @SuppressWarnings("unchecked")
        Map<String, Object> object =
            (Map<String, Object>)
                tfvars.computeIfAbsent(path[0] + suffix, k -> new LinkedHashMap<String, Object>());
        object.put(path[1], value.getValue());
      }
    }
    return out.toString();
  }

  private static String rename(
      String text, Set<String> variables, Set<String> locals, String suffix) {
    String renamed =
        Pattern.compile("(?<![\\w.])var\\.(\\w+)")
            .matcher(text)
            .replaceAll(
                m -> variables.contains(m.group(1)) ? "var." + m.group(1) + suffix : m.group());
    return Pattern.compile("(?<![\\w.])local\\.(\\w+)")
        .matcher(renamed)
        .replaceAll(m -> locals.contains(m.group(1)) ? "local." + m.group(1) + suffix : m.group());
  }

  /** The summary and detail of a diagnostic line, without the probe suffixes. */
  private static String messageOf(String line) {
    Matcher summary = Pattern.compile("\"summary\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(line);
    Matcher detail = Pattern.compile("\"detail\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(line);
    String text =
        (summary.find() ? summary.group(1) : "error")
            + (detail.find() ? ": " + detail.group(1).split("\\\\n")[0] : "");
    return SUFFIX
        .matcher(text.replace("\\u003e", ">").replace("\\u003c", "<").replace("\\\"", "\""))
        .replaceAll("");
  }

  @SuppressWarnings("unchecked")
  private static String json(Object value) {
    if (value instanceof Map<?, ?> map) {
      List<String> entries = new ArrayList<>();
      ((Map<String, Object>) map).forEach((k, v) -> entries.add(json(k) + ": " + json(v)));
      // One top-level entry per line: a diagnostic quotes the line of the value it is about.
      return "{" + String.join(",\n", entries) + "}";
    }
    if (value instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    if (value instanceof List<?> list) {
      List<String> elements = new ArrayList<>();
      list.forEach(e -> elements.add(json(e)));
      return "[" + String.join(", ", elements) + "]";
    }
    return String.valueOf(value);
  }

  /** The terraform executable; the check is skipped without it, except on CI, where it fails. */
  static String terraform() {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        Path candidate = Path.of(dir, "terraform");
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    String install =
        "terraform is not on PATH; install Terraform 1.9 or later"
            + " (https://developer.hashicorp.com/terraform/install) to check the variables'"
            + " validations";
    if ("true".equals(System.getenv("CI"))) {
      fail(install + " (CI=true: the check is required there)");
    }
    Assumptions.assumeTrue(false, install);
    return null;
  }
}
