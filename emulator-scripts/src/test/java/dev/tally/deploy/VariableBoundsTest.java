package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.config.ConfigException;
import dev.tally.deploy.Deployables.Deployable;
import dev.tally.deploy.DeployedFunctions.DeployedFunction;
import dev.tally.deploy.VariableValidations.Probe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Terraform variable that ends up in an environment variable the Java configuration bounds
 * (an integer range, a duration's minimum or maximum, a boolean) has the same bounds in its {@code
 * validation}, so that a value the function would refuse at cold start fails the plan instead.
 *
 * <p>How: for each function under {@code terraform/modules}, each environment variable set from
 * {@code var.X}, {@code var.X.field}, {@code tostring(...)} of one, or {@code "${var.X}s"}, the
 * configuration's {@code fromEnv} is probed (binary search, with the other variables at their
 * Terraform defaults) for what it accepts; then Terraform itself evaluates the variable's
 * validations (see {@link VariableValidations}) at the bounds: it must refuse every value just
 * outside them, a fractional number, and malformed values the code refuses, and accept the bounds
 * themselves, unless {@link #STRICTER} says why Terraform's bounds are narrower. An environment
 * variable the code bounds but Terraform derives in another way fails until it is handled here.
 */
class VariableBoundsTest {

  /**
   * Where Terraform deliberately accepts less than the code, keyed by module/variable: the bounds
   * its validation must have, which must lie inside the code's, and why.
   */
  static final Map<String, Stricter> STRICTER =
      Map.of(
          "instance/export_timeout_seconds",
          new Stricter(
              120,
              1770,
              "the scheduler waits 30 s longer than the function and Cloud Scheduler at most 30"
                  + " minutes for an HTTP target, and a run keeps at least a minute to export"
                  + " after one call"),
          "gateway/max_request_bytes",
          new Stricter(
              1024, 32 * 1024 * 1024, "Cloud Functions refuses HTTP/1 requests over 32 MiB"));

  /** Terraform's bounds for a variable where they are narrower than the code's, and why. */
  record Stricter(long min, long max, String why) {}

  @TempDir Path temp;

  @Test
  void everyBoundedVariable_hasTheCodesBoundsInItsValidation() throws Exception {
    Report report = check(DeployedFunctions.TERRAFORM, temp);

    assertEquals(List.of(), report.problems());
    // Not vacuous: the pairs this test exists for are among those checked.
    assertTrue(
        report
            .checked()
            .containsAll(
                Set.of(
                    "instance/database_connect_timeout -> DATABASE_CONNECT_TIMEOUT",
                    "gateway/publish_timeout -> TELEMETRY_GATEWAY_PUBLISH_TIMEOUT",
                    "instance/export_timeout_seconds -> TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT",
                    "instance/recording_limits.max_request_bytes -> TELEMETRY_MAX_REQUEST_BYTES",
                    "instance/rate_limits.trusted_proxies -> TELEMETRY_TRUSTED_PROXIES",
                    "gateway/publish_threads -> TELEMETRY_GATEWAY_PUBLISH_THREADS")),
        "checked: " + report.checked());
  }

  /** The check fails when a validation lets through what the code refuses. */
  @Test
  void aValidationLooserThanTheCode_isReported() throws Exception {
    Path terraform = temp.resolve("terraform");
    Path modules = terraform.resolve("modules");
    for (String module : List.of("instance", "gateway", "monitoring")) {
      Path from = DeployedFunctions.TERRAFORM.resolve("modules").resolve(module);
      Files.createDirectories(modules.resolve(module));
      try (var files = Files.list(from)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".tf")).toList()) {
          Files.copy(file, modules.resolve(module).resolve(file.getFileName()));
        }
      }
    }
    Path variables = modules.resolve("instance/variables.tf");
    String text = Files.readString(variables);
    String code = Hcl.withoutComments(text);
    Hcl.Item condition = validationCondition(code, "database_connect_timeout");
    // What the validation said before it followed the code: any duration, 0s included.
    Files.writeString(
        variables,
        text.substring(0, condition.valueStart())
            + "can(regex(\"^[0-9]+(ms|s|m)$\", var.database_connect_timeout))"
            + text.substring(condition.end()));

    Report report = check(terraform, temp.resolve("probes"));

    String problems = String.join("\n", report.problems());
    assertTrue(
        report.problems().stream()
            .allMatch(
                p -> p.startsWith("instance/database_connect_timeout -> DATABASE_CONNECT_TIMEOUT")),
        problems);
    assertTrue(
        report
            .problems()
            .contains(
                "instance/database_connect_timeout -> DATABASE_CONNECT_TIMEOUT: Terraform accepts"
                    + " \"249ms\", which the code refuses (it needs a duration of at least 250ms)"),
        problems);
  }

  /**
   * A Terraform-only rule: minimum instances above maximum instances fail the plan, for every pair
   * of *min_instances / *max_instances variables of a module.
   */
  @Test
  void minInstancesAboveMaxInstances_failTheValidation() throws Exception {
    List<Probe> probes = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (Path dir : moduleDirs(DeployedFunctions.TERRAFORM)) {
      ModuleVariables module = ModuleVariables.of(dir);
      for (String min : module.variables.keySet()) {
        if (!min.endsWith("min_instances")) {
          continue;
        }
        String max = min.replaceFirst("min_instances$", "max_instances");
        if (!module.variables.containsKey(max)) {
          continue;
        }
        String pair = module.name + "/" + min + " <= " + max;
        probes.add(new Probe(module, Map.of(min, 3, max, 2)));
        expected.add(pair + " with 3 > 2: refused");
        probes.add(new Probe(module, Map.of(min, 2, max, 2)));
        expected.add(pair + " with 2 = 2: accepted");
        if ("null".equals(module.variable(max).defaultValue())) {
          // Left unset, the maximum is computed (record-event: from the connection budget).
          probes.add(new Probe(module, Map.of(min, 100_000)));
          expected.add(pair + " with 100000 > computed: refused");
        }
      }
    }
    assertTrue(expected.size() >= 5, "no min/max instance pairs found: " + expected);

    List<String> errors = VariableValidations.errors(temp, probes);
    List<String> actual = new ArrayList<>();
    for (int i = 0; i < probes.size(); i++) {
      String label = expected.get(i).substring(0, expected.get(i).lastIndexOf(':'));
      actual.add(label + (errors.get(i) == null ? ": accepted" : ": refused"));
    }
    assertEquals(expected, actual);
  }

  /**
   * A Terraform-only rule: the database disk's growth cap is off (0) or lies between the disk's
   * initial size and Cloud SQL's largest disk, in whole GB; the default caps it.
   */
  @Test
  void diskAutoresizeLimit_isOffOrBetweenTheDiskSizeAndCloudSqlsLargest() throws Exception {
    ModuleVariables instance =
        ModuleVariables.of(DeployedFunctions.TERRAFORM.resolve("modules/instance"));
    String limit = "database_disk_autoresize_limit_gb";
    String size = "database_disk_size_gb";
    Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
    cases.put("the default, 100 GB", Map.of(limit, 100));
    cases.put("0: no cap", Map.of(limit, 0));
    cases.put("the disk size itself", Map.of(limit, 50, size, 50));
    cases.put("65536 GB", Map.of(limit, 65_536));
    cases.put("below the disk size", Map.of(limit, 40, size, 50));
    cases.put("above Cloud SQL's largest disk", Map.of(limit, 65_537));
    cases.put("a fraction", Map.of(limit, 100.5));
    cases.put("negative", Map.of(limit, -1));
    List<Probe> probes = new ArrayList<>();
    cases.values().forEach(values -> probes.add(new Probe(instance, values)));

    List<String> errors = VariableValidations.errors(temp, probes);
    List<String> actual = new ArrayList<>();
    List<String> names = List.copyOf(cases.keySet());
    for (int i = 0; i < names.size(); i++) {
      actual.add(names.get(i) + (errors.get(i) == null ? ": accepted" : ": refused"));
    }

    assertEquals(
        List.of(
            "the default, 100 GB: accepted",
            "0: no cap: accepted",
            "the disk size itself: accepted",
            "65536 GB: accepted",
            "below the disk size: refused",
            "above Cloud SQL's largest disk: refused",
            "a fraction: refused",
            "negative: refused"),
        actual);
    assertEquals("100", instance.variable(limit).defaultValue(), "capped by default");
  }

  // --- the check ---

  /** What was checked ("module/variable -> ENV") and what is wrong. */
  record Report(Set<String> checked, List<String> problems) {}

  /** How Terraform turns the variable into the environment variable. */
  enum Transform {
    /** The value itself, or tostring() of it. */
    AS_IS,
    /** A number of seconds: "${var.x}s". */
    SECONDS
  }

  /** Where an environment variable's value comes from: var.variable[.field], transformed. */
  record Source(String variable, String field, Transform transform) {
    String key() {
      return variable + (field == null ? "" : "." + field);
    }
  }

  private static final Pattern AS_IS =
      Pattern.compile("(tostring\\()?var\\.(\\w+)(?:\\.(\\w+))?(\\))?");
  private static final Pattern SECONDS =
      Pattern.compile("\"\\$\\{var\\.(\\w+)(?:\\.(\\w+))?\\}s\"");

  /** The variable an environment value is set from, or null when it is set otherwise. */
  static Source sourceOf(String expression) {
    Matcher asIs = AS_IS.matcher(expression);
    if (asIs.matches() && (asIs.group(1) == null) == (asIs.group(4) == null)) {
      return new Source(asIs.group(2), asIs.group(3), Transform.AS_IS);
    }
    Matcher seconds = SECONDS.matcher(expression);
    if (seconds.matches()) {
      return new Source(seconds.group(1), seconds.group(2), Transform.SECONDS);
    }
    return null;
  }

  /** One value to show Terraform, and what the validation must do with it. */
  private record Case(Object value, boolean mustRefuse, String acceptGroup) {}

  /** One variable's bounds to compare, with the values that compare them. */
  private record Pair(
      String label, ModuleVariables module, Source source, String code, List<Case> cases) {}

  static Report check(Path terraformRoot, Path workDir) throws IOException, InterruptedException {
    List<String> problems = new ArrayList<>();
    Set<String> checked = new TreeSet<>();
    Map<String, Pair> pairs = new LinkedHashMap<>();
    for (DeployedFunction function : DeployedFunctions.in(terraformRoot)) {
      if (!function.file().getParent().getParent().getFileName().toString().equals("modules")) {
        continue;
      }
      Deployable deployable = Deployables.of(function.entryPoint());
      if (deployable == null) {
        problems.add(function.where() + ": no configuration known for " + function.entryPoint());
        continue;
      }
      ModuleVariables module = ModuleVariables.of(function.file().getParent());
      Map<String, String> defaults = terraformDefaults(function, module);
      for (Map.Entry<String, String> entry : function.environment().entrySet()) {
        String name = entry.getKey();
        Source source = sourceOf(entry.getValue());
        Map<String, String> base = deployable.minimalWith(defaults);
        Bound bound = Bound.probe(deployable, base, name);
        if (bound instanceof Bound.Unbounded) {
          continue;
        }
        String where = function.where() + " " + name;
        if (source == null) {
          problems.add(
              where
                  + " is "
                  + bound
                  + " in the code, but Terraform sets it from `"
                  + entry.getValue()
                  + "`, not from one variable: check its bounds by hand and teach this test the"
                  + " expression");
          continue;
        }
        String label = module.name + "/" + source.key() + " -> " + name;
        checked.add(label);
        String type = typeOf(module, source);
        List<Case> cases = cases(bound, source, type, deployable, base, name, problems, label);
        String key = label + " " + bound;
        pairs.putIfAbsent(key, new Pair(label, module, source, bound.toString(), cases));
      }
    }

    List<Probe> probes = new ArrayList<>();
    List<Pair> owners = new ArrayList<>();
    List<Case> probeCases = new ArrayList<>();
    for (Pair pair : pairs.values()) {
      for (Case c : pair.cases()) {
        probes.add(Probe.of(pair.module(), pair.source().key(), c.value()));
        owners.add(pair);
        probeCases.add(c);
      }
    }
    List<String> errors =
        probes.isEmpty() ? List.of() : VariableValidations.errors(workDir, probes);

    Map<String, List<String>> refusedInGroup = new LinkedHashMap<>();
    Map<String, Boolean> acceptedInGroup = new LinkedHashMap<>();
    for (int i = 0; i < probes.size(); i++) {
      Pair pair = owners.get(i);
      Case c = probeCases.get(i);
      boolean accepted = errors.get(i) == null;
      String shown = c.value() instanceof String s ? "\"" + s + "\"" : String.valueOf(c.value());
      if (c.mustRefuse() && accepted) {
        problems.add(
            pair.label()
                + ": Terraform accepts "
                + shown
                + ", which the code refuses (it needs "
                + pair.code()
                + ")");
      }
      if (c.acceptGroup() != null) {
        String group = pair.label() + ": " + c.acceptGroup();
        acceptedInGroup.merge(group, accepted, Boolean::logicalOr);
        if (!accepted) {
          refusedInGroup
              .computeIfAbsent(group, g -> new ArrayList<>())
              .add(shown + " (" + errors.get(i) + ")");
        }
      }
    }
    acceptedInGroup.forEach(
        (group, accepted) -> {
          if (!accepted) {
            problems.add(
                group
                    + ": Terraform refuses "
                    + String.join(", ", refusedInGroup.get(group))
                    + "; make the validation follow the code, or list the variable in STRICTER"
                    + " with the reason");
          }
        });
    for (String stale : STRICTER.keySet()) {
      if (checked.stream().noneMatch(label -> label.startsWith(stale + " -> "))) {
        problems.add("STRICTER lists " + stale + ", which sets no bounded variable any more");
      }
    }
    return new Report(checked, List.copyOf(new LinkedHashSet<>(problems)));
  }

  /** The values to show Terraform for one pair. */
  private static List<Case> cases(
      Bound bound,
      Source source,
      String type,
      Deployable deployable,
      Map<String, String> base,
      String name,
      List<String> problems,
      String label) {
    List<Case> cases = new ArrayList<>();
    Stricter stricter = STRICTER.get(label.substring(0, label.indexOf(" -> ")));
    if (bound instanceof Bound.Flag) {
      if (!type.equals("bool")) {
        problems.add(label + ": the code reads a boolean; declare the variable with type = bool");
      }
    } else if (bound instanceof Bound.Whole whole) {
      if (source.transform() != Transform.AS_IS) {
        problems.add(label + ": an integer in the code, but Terraform appends a unit");
      } else {
        addWholeCases(cases, whole.min(), whole.max(), type, stricter, label, problems);
      }
    } else if (bound instanceof Bound.Span span) {
      if (source.transform() == Transform.SECONDS) {
        long min = ceilDiv(span.minMillis(), 1000);
        long max =
            span.maxMillis() == null ? Long.MAX_VALUE : Math.floorDiv(span.maxMillis(), 1000);
        addWholeCases(cases, min, max, "number", stricter, label, problems);
      } else if (stricter != null) {
        problems.add(label + ": STRICTER only covers whole numbers");
      } else {
        addDurationCases(cases, span, deployable, base, name);
      }
    }
    return cases;
  }

  private static void addWholeCases(
      List<Case> cases,
      long min,
      long max,
      String type,
      Stricter stricter,
      String label,
      List<String> problems) {
    java.util.function.LongFunction<Object> value =
        n -> type.equals("string") ? String.valueOf(n) : (Object) n;
    // Outside the code's bounds, and not whole: always refused.
    if (min > Long.MIN_VALUE) {
      cases.add(new Case(value.apply(min - 1), true, null));
    }
    if (max < Long.MAX_VALUE) {
      cases.add(new Case(value.apply(max + 1), true, null));
    }
    if (type.equals("number")) {
      cases.add(new Case(min + 0.5, true, null));
    }
    if (stricter == null) {
      cases.add(new Case(value.apply(min), false, "the code's minimum " + min));
      if (max < Long.MAX_VALUE) {
        cases.add(new Case(value.apply(max), false, "the code's maximum " + max));
      }
      return;
    }
    if (stricter.min() < min || stricter.max() > max) {
      problems.add(
          label
              + ": STRICTER says "
              + stricter.min()
              + ".."
              + stricter.max()
              + ", which is not inside the code's "
              + min
              + ".."
              + (max == Long.MAX_VALUE ? "" : max));
    }
    cases.add(new Case(value.apply(stricter.min() - 1), true, null));
    cases.add(new Case(value.apply(stricter.max() + 1), true, null));
    cases.add(new Case(value.apply(stricter.min()), false, "STRICTER's minimum " + stricter.min()));
    cases.add(new Case(value.apply(stricter.max()), false, "STRICTER's maximum " + stricter.max()));
  }

  private static final long[] UNITS = {1, 1000, 60_000, 3_600_000, 86_400_000};
  private static final String[] UNIT_NAMES = {"ms", "s", "m", "h", "d"};

  private static void addDurationCases(
      List<Case> cases,
      Bound.Span span,
      Deployable deployable,
      Map<String, String> base,
      String name) {
    long min = span.minMillis();
    for (int u = 0; u < UNITS.length; u++) {
      long below = ceilDiv(min, UNITS[u]) - 1;
      if (below >= 0) {
        cases.add(new Case(below + UNIT_NAMES[u], true, null));
      }
      if (min % UNITS[u] == 0) {
        cases.add(
            new Case(
                min / UNITS[u] + UNIT_NAMES[u], false, "the code's minimum " + Bound.human(min)));
      }
      if (span.maxMillis() != null) {
        long max = span.maxMillis();
        cases.add(new Case(Math.floorDiv(max, UNITS[u]) + 1 + UNIT_NAMES[u], true, null));
        if (max % UNITS[u] == 0) {
          cases.add(
              new Case(
                  max / UNITS[u] + UNIT_NAMES[u], false, "the code's maximum " + Bound.human(max)));
        }
      }
    }
    // Malformed values: Terraform must refuse whatever of these the code refuses.
    for (String malformed : List.of("-1s", "1.5s", "10", "1w", "soon", "1 s")) {
      if (!Bound.accepts(deployable, base, name, malformed)) {
        cases.add(new Case(malformed, true, null));
      }
    }
  }

  private static long ceilDiv(long x, long y) {
    return -Math.floorDiv(-x, y);
  }

  /** The Terraform type of the source: number, string or bool. */
  private static String typeOf(ModuleVariables module, Source source) {
    ModuleVariables.Variable variable = module.variable(source.variable());
    String type = source.field() == null ? variable.type() : variable.fieldType(source.field());
    if (type == null) {
      throw new AssertionError("no type for " + source.key() + " in modules/" + module.name);
    }
    return type;
  }

  /**
   * The environment values the function gets when every variable keeps its default (those that are
   * literals): the other variables' values while one is probed.
   */
  private static Map<String, String> terraformDefaults(
      DeployedFunction function, ModuleVariables module) {
    Map<String, String> env = new HashMap<>();
    for (Map.Entry<String, String> entry : function.environment().entrySet()) {
      Source source = sourceOf(entry.getValue());
      if (source == null) {
        continue;
      }
      ModuleVariables.Variable variable = module.variable(source.variable());
      String literal =
          source.field() == null ? variable.defaultValue() : variable.fieldDefault(source.field());
      if (literal == null || literal.equals("null")) {
        continue;
      }
      String value =
          literal.startsWith("\"") ? literal.substring(1, literal.length() - 1) : literal;
      if (literal.startsWith("\"") && value.contains("${")) {
        continue;
      }
      if (literal.startsWith("[") || literal.startsWith("{")) {
        continue;
      }
      env.put(entry.getKey(), source.transform() == Transform.SECONDS ? value + "s" : value);
    }
    return env;
  }

  private static List<Path> moduleDirs(Path terraformRoot) throws IOException {
    try (var dirs = Files.list(terraformRoot.resolve("modules"))) {
      return dirs.filter(Files::isDirectory).sorted().toList();
    }
  }

  /** The condition of the first validation of {@code variable} in {@code code}. */
  private static Hcl.Item validationCondition(String code, String variable) {
    for (Hcl.Item item : Hcl.items(code)) {
      if (item.block()
          && item.name().equals("variable")
          && item.labels().equals(List.of(variable))) {
        for (Hcl.Item validation : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
          if (validation.block() && validation.name().equals("validation")) {
            for (Hcl.Item condition :
                Hcl.items(code, validation.bodyStart(), validation.bodyEnd())) {
              if (!condition.block() && condition.name().equals("condition")) {
                return condition;
              }
            }
          }
        }
      }
    }
    throw new AssertionError("no validation condition for " + variable);
  }

  // --- what the code accepts ---

  /** What the configuration accepts for one environment variable, found by probing it. */
  sealed interface Bound {
    /** Free text, or a format this test does not compare (a URL, a list). */
    record Unbounded() implements Bound {}

    /** true or false. */
    record Flag() implements Bound {
      @Override
      public String toString() {
        return "a boolean";
      }
    }

    /** An integer in [min, max]. */
    record Whole(long min, long max) implements Bound {
      @Override
      public String toString() {
        return "an integer between " + min + " and " + max;
      }
    }

    /** A duration in [minMillis, maxMillis]; maxMillis null: no maximum. */
    record Span(long minMillis, Long maxMillis) implements Bound {
      @Override
      public String toString() {
        return "a duration of at least "
            + human(minMillis)
            + (maxMillis == null ? "" : " and at most " + human(maxMillis));
      }
    }

    static String human(long millis) {
      for (int u = UNITS.length - 1; u > 0; u--) {
        if (millis % UNITS[u] == 0) {
          return millis / UNITS[u] + UNIT_NAMES[u];
        }
      }
      return millis + "ms";
    }

    long INT_MAX = Integer.MAX_VALUE;
    long INT_MIN = Integer.MIN_VALUE;
    long LONGEST = 100L * 365 * 86_400_000; // a century, in milliseconds

    static Bound probe(Deployable deployable, Map<String, String> base, String name) {
      if (!accepts(deployable, base, name, null)) {
        throw new AssertionError(
            deployable.entryPoint()
                + " refuses the Terraform defaults: "
                + base
                + " ("
                + name
                + " unset)");
      }
      if (accepts(deployable, base, name, "not-a-number-or-duration")) {
        return new Unbounded();
      }
      if (accepts(deployable, base, name, "true") && accepts(deployable, base, name, "false")) {
        return new Flag();
      }
      for (long n :
          new long[] {
            0,
            1,
            2,
            3,
            10,
            100,
            1000,
            1024,
            10_000,
            65_536,
            100_000,
            1_000_000,
            10_000_000,
            100_000_000,
            INT_MAX
          }) {
        if (accepts(deployable, base, name, String.valueOf(n))) {
          long min =
              smallest(n, INT_MIN - 1, v -> accepts(deployable, base, name, String.valueOf(v)));
          long max =
              -smallest(
                  -n, -(INT_MAX + 1), v -> accepts(deployable, base, name, String.valueOf(-v)));
          return new Whole(min, max);
        }
      }
      for (long ms :
          new long[] {0, 1, 100, 1000, 10_000, 60_000, 300_000, 3_600_000, 86_400_000, LONGEST}) {
        if (accepts(deployable, base, name, ms + "ms")) {
          long min = smallest(ms, -1, v -> accepts(deployable, base, name, v + "ms"));
          boolean unbounded = accepts(deployable, base, name, LONGEST + "ms");
          Long max =
              unbounded
                  ? null
                  : -smallest(-ms, -LONGEST, v -> accepts(deployable, base, name, -v + "ms"));
          return new Span(min, max);
        }
      }
      return new Unbounded();
    }

    /**
     * The smallest accepted value in (refused, accepted], by binary search: {@code accepted} is
     * accepted, {@code refused} is not (or out of range), and acceptance is monotonic in between.
     */
    private static long smallest(
        long accepted, long refused, java.util.function.LongPredicate accepts) {
      long lo = refused;
      long hi = accepted;
      while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        if (accepts.test(mid)) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
      return hi;
    }

    /** Whether the configuration starts with {@code name} set to {@code value} (null: unset). */
    static boolean accepts(
        Deployable deployable, Map<String, String> base, String name, String value) {
      Map<String, String> env = new HashMap<>(base);
      if (value != null) {
        env.put(name, value);
      }
      try {
        deployable.read().accept(env);
        return true;
      } catch (ConfigException e) {
        return false;
      }
    }
  }
}
