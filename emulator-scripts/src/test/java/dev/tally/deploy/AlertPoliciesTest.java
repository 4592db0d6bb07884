package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.deploy.VariableValidations.Probe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every alert policy notifies someone, says how bad it is and what to do:
 *
 * <ul>
 *   <li>its {@code notification_channels} is a list variable that Terraform itself (the variable's
 *       validations, evaluated offline by {@link VariableValidations}) refuses to leave empty while
 *       the alerts are on, with an error that names the variable; with the alerts off the empty
 *       list is accepted, so that a deployment without alerts stays possible. "The alerts are on":
 *       the bool variables the policy's {@code count} or {@code for_each} depends on (through
 *       locals too) are all true;
 *   <li>it has a {@code severity} (CRITICAL, ERROR or WARNING) and a {@code documentation} block
 *       with content.
 * </ul>
 *
 * Each check is proven by injecting the fault it catches into a copy of the module.
 */
class AlertPoliciesTest {
  private static final String POLICY = "google_monitoring_alert_policy";
  private static final Set<String> SEVERITIES = Set.of("CRITICAL", "ERROR", "WARNING");
  private static final Pattern VARIABLE = Pattern.compile("var\\.(\\w+)");
  private static final String A_CHANNEL = "projects/p/notificationChannels/1";

  @TempDir Path temp;

  @Test
  void everyAlertPolicy_notifiesChannelsThatCannotBeEmptyWhileAlertsAreOn() throws Exception {
    Report report = notificationProblems(DeployedFunctions.TERRAFORM, temp);

    assertEquals(List.of(), report.problems());
    // Not vacuous: the monitoring module's policies are among those checked.
    assertTrue(
        report
            .policies()
            .containsAll(
                List.of(
                    "modules/monitoring: " + POLICY + ".export_backlog",
                    "modules/monitoring: " + POLICY + ".request_errors",
                    "modules/monitoring: " + POLICY + ".database_disk")),
        "checked: " + report.policies());
  }

  @Test
  void check_namesChannelsThatMayBeEmptyWhileAlertsAreOn() throws Exception {
    Path root = copyOfMonitoring();
    Path variables = root.resolve("modules/monitoring/variables.tf");
    String text = Files.readString(variables);
    // The fault: the validation that refuses an empty list while alerts are on is gone.
    Matcher validation =
        Pattern.compile(
                "\\n\\s*validation \\{\\s*\\n\\s*condition\\s*=\\s*!var\\.alerts_enabled[^\\n]*\\n"
                    + "[^\\n]*\\n\\s*\\}")
            .matcher(text);
    assertTrue(validation.find(), "no such validation in " + variables);
    Files.writeString(
        variables, text.substring(0, validation.start()) + text.substring(validation.end()));

    Report report = notificationProblems(root, temp.resolve("probes"));

    assertEquals(
        List.of(
            "modules/monitoring: its alert policies notify var.notification_channels, which"
                + " Terraform accepts empty while var.alerts_enabled is true: give"
                + " var.notification_channels a validation that refuses an empty list then and"
                + " names notification_channels"),
        report.problems());
  }

  @Test
  void check_namesAPolicyThatNotifiesALiteralList() throws Exception {
    Path root = copyOfMonitoring();
    Path alerts = root.resolve("modules/monitoring/alerts.tf");
    String text = Files.readString(alerts);
    Files.writeString(
        alerts,
        text.replaceFirst(
            "notification_channels = var\\.notification_channels", "notification_channels = []"));

    Report report = notificationProblems(root, temp.resolve("probes"));

    assertEquals(
        List.of(
            "modules/monitoring/alerts.tf: "
                + POLICY
                + ".export_backlog notifies [], not a variable: set notification_channels ="
                + " var.<a list variable that a validation keeps non-empty while alerts are on>"),
        report.problems());
  }

  @Test
  void check_namesAPolicyThatCannotBeTurnedOff() throws Exception {
    Path root = copyOfMonitoring();
    Path alerts = root.resolve("modules/monitoring/alerts.tf");
    String text = Files.readString(alerts);
    Files.writeString(
        alerts,
        text.replaceFirst(
            "count                 = local.watch_export && var.alerts_enabled \\? 1 : 0",
            "count                 = local.watch_export ? 1 : 0"));

    Report report = notificationProblems(root, temp.resolve("probes"));

    assertEquals(
        List.of(
            "modules/monitoring/alerts.tf: "
                + POLICY
                + ".export_backlog: its count or for_each depends on no bool variable, so it cannot"
                + " be turned off: make it depend on the module's alerts switch (alerts_enabled)"),
        report.problems());
  }

  @Test
  void everyAlertPolicy_hasASeverityAndDocumentation() throws IOException {
    List<String> problems = new ArrayList<>();
    int policies = 0;
    for (Path file : DeployedFunctions.terraformFiles(DeployedFunctions.TERRAFORM)) {
      String text = Files.readString(file);
      problems.addAll(severityAndDocumentationProblems(file.getFileName().toString(), text));
      policies += policies(Hcl.withoutComments(text)).size();
    }

    assertEquals(List.of(), problems);
    assertTrue(policies >= 10, "only " + policies + " alert policies found");
  }

  @Test
  void check_namesAPolicyWithoutSeverityOrDocumentation() throws IOException {
    String text =
        Files.readString(DeployedFunctions.TERRAFORM.resolve("modules/monitoring/alerts.tf"));
    String code = Hcl.withoutComments(text);
    Hcl.Item errors = policy(code, "export_errors");
    Hcl.Item documentation = child(code, errors, "documentation");
    String withoutDocumentation =
        text.substring(0, documentation.start()) + text.substring(documentation.end());
    String injured =
        withoutDocumentation
            .replaceFirst("\\n\\s*severity\\s*=\\s*\"ERROR\"", "")
            .replaceFirst("severity(\\s*)= \"WARNING\"", "severity$1= \"SEVERE\"");

    assertEquals(
        List.of(
            "alerts.tf: " + POLICY + ".export_backlog has no severity (CRITICAL, ERROR or WARNING)",
            "alerts.tf: "
                + POLICY
                + ".export_errors has no documentation { content = ... } saying what to check and"
                + " do",
            "alerts.tf: "
                + POLICY
                + ".export_set_aside has severity \"SEVERE\": use CRITICAL, ERROR or WARNING"),
        severityAndDocumentationProblems("alerts.tf", injured));
  }

  @Test
  void everyAlertFilter_namesAMetricThatExists() throws IOException {
    List<String> problems = new ArrayList<>();
    int filters = 0;
    for (Path dir : moduleDirs(DeployedFunctions.TERRAFORM)) {
      Set<String> logMetrics = logMetrics(dir);
      for (Path file : tfFiles(dir)) {
        String text = Files.readString(file);
        problems.addAll(metricProblems(file.getFileName().toString(), text, logMetrics));
        filters += filters(Hcl.withoutComments(text)).size();
      }
    }

    assertEquals(List.of(), problems);
    assertTrue(filters >= 14, "only " + filters + " alert filters found");
  }

  @Test
  void check_namesAMisspelledMetricAndAWrongResourceType() throws IOException {
    Path monitoring = DeployedFunctions.TERRAFORM.resolve("modules/monitoring");
    String injured =
        Files.readString(monitoring.resolve("alerts.tf"))
            .replace("database/disk/utilization", "database/disk/utilisation")
            .replace(
                "resource.type=\\\"pubsub_subscription\\\" AND"
                    + " resource.label.subscription_id=${local.one_of.bigquery_subscriptions}",
                "resource.type=\\\"pubsub_topic\\\" AND"
                    + " resource.label.subscription_id=${local.one_of.bigquery_subscriptions}");

    assertEquals(
        List.of(
            "alerts.tf: "
                + POLICY
                + ".bigquery_subscription: metric"
                + " pubsub.googleapis.com/subscription/oldest_unacked_message_age belongs to"
                + " resource.type \"pubsub_subscription\", the filter says \"pubsub_topic\"",
            "alerts.tf: "
                + POLICY
                + ".database_disk: metric cloudsql.googleapis.com/database/disk/utilisation is"
                + " neither a log-based metric of the module nor a Google metric DashboardTest"
                + " lists"),
        metricProblems("alerts.tf", injured, logMetrics(monitoring)));
  }

  // --- the metrics the policies watch ---

  private static final Pattern METRIC_TYPE = Pattern.compile("metric\\.type=\"([^\"]*)\"");
  private static final Pattern LOG_METRIC =
      Pattern.compile("^\\$\\{local\\.metric_type\\}/\\$\\{google_logging_metric\\.(\\w+)\\b.*");

  /**
   * Each filter of each alert policy names one metric: a google_logging_metric of the module (its
   * functions' logs: resource.type cloud_run_revision), or a Google metric {@link
   * DashboardTest#GOOGLE_METRICS} lists, with its resource type.
   */
  static List<String> metricProblems(String file, String text, Set<String> logMetrics) {
    String code = Hcl.withoutComments(text);
    List<String> problems = new ArrayList<>();
    for (Hcl.Item policy : policies(code)) {
      String where = file + ": " + POLICY + "." + policy.labels().get(1);
      for (String filter : filtersOf(code, policy)) {
        // The HCL string's text, its escaped quotes unescaped.
        String value = filter.substring(1, filter.length() - 1).replace("\\\"", "\"");
        List<String> metrics = all(METRIC_TYPE, value);
        if (metrics.size() != 1) {
          problems.add(where + ": a filter that names " + metrics.size() + " metrics: " + value);
          continue;
        }
        String metric = metrics.get(0);
        Matcher log = LOG_METRIC.matcher(metric);
        if (log.matches() && !logMetrics.contains(log.group(1))) {
          problems.add(where + ": the module has no google_logging_metric." + log.group(1));
          continue;
        }
        String problem = DashboardTest.resourceProblem(where, metric, log.matches(), value);
        if (problem != null) {
          problems.add(problem);
        }
      }
    }
    return problems;
  }

  /** The filter and denominator_filter arguments of a policy's conditions, as written. */
  private static List<String> filtersOf(String code, Hcl.Item block) {
    List<String> found = new ArrayList<>();
    for (Hcl.Item item : Hcl.items(code, block.bodyStart(), block.bodyEnd())) {
      if (item.block()) {
        found.addAll(filtersOf(code, item));
      } else if (item.name().equals("filter") || item.name().equals("denominator_filter")) {
        found.add(code.substring(item.valueStart(), item.end()).trim());
      }
    }
    return found;
  }

  private static List<String> filters(String code) {
    List<String> found = new ArrayList<>();
    for (Hcl.Item policy : policies(code)) {
      found.addAll(filtersOf(code, policy));
    }
    return found;
  }

  /** The names of the google_logging_metric resources of a module. */
  private static Set<String> logMetrics(Path dir) throws IOException {
    Set<String> names = new LinkedHashSet<>();
    for (Path file : tfFiles(dir)) {
      for (Hcl.Item item : Hcl.items(Hcl.withoutComments(Files.readString(file)))) {
        if (item.block()
            && item.name().equals("resource")
            && item.labels().get(0).equals("google_logging_metric")) {
          names.add(item.labels().get(1));
        }
      }
    }
    return names;
  }

  private static List<String> all(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  // --- notification channels ---

  /** The problems found, and the policies checked ("modules/monitoring: TYPE.NAME"). */
  record Report(List<String> problems, List<String> policies) {}

  /**
   * For every module under {@code terraformRoot} (modules/*, examples/*) with alert policies: each
   * policy notifies a variable, depends on a bool switch, and Terraform refuses that variable empty
   * while the switches are on.
   */
  static Report notificationProblems(Path terraformRoot, Path workDir) throws Exception {
    List<String> problems = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    int run = 0;
    for (Path dir : moduleDirs(terraformRoot)) {
      String module = terraformRoot.relativize(dir).toString();
      ModuleVariables variables = ModuleVariables.of(dir);
      // channels variable -> the switches of the policies that notify it
      Map<String, Set<String>> notified = new TreeMap<>();
      for (Path file : tfFiles(dir)) {
        String where = module + "/" + file.getFileName();
        String code = Hcl.withoutComments(Files.readString(file));
        for (Hcl.Item policy : policies(code)) {
          String address = POLICY + "." + policy.labels().get(1);
          checked.add(module + ": " + address);
          String channels = argument(code, policy, "notification_channels");
          if (channels == null) {
            problems.add(where + ": " + address + " has no notification_channels");
            continue;
          }
          Matcher variable = VARIABLE.matcher(channels);
          if (!variable.matches()) {
            problems.add(
                where
                    + ": "
                    + address
                    + " notifies "
                    + channels
                    + ", not a variable: set notification_channels = var.<a list variable that a"
                    + " validation keeps non-empty while alerts are on>");
            continue;
          }
          String repeat = argument(code, policy, "count");
          if (repeat == null) {
            repeat = argument(code, policy, "for_each");
          }
          Set<String> switches = new LinkedHashSet<>();
          for (String name : repeat == null ? Set.<String>of() : variablesOf(variables, repeat)) {
            if ("bool".equals(variables.variable(name).type())) {
              switches.add(name);
            }
          }
          if (switches.isEmpty()) {
            problems.add(
                where
                    + ": "
                    + address
                    + ": its count or for_each depends on no bool variable, so it cannot be turned"
                    + " off: make it depend on the module's alerts switch (alerts_enabled)");
            continue;
          }
          notified.computeIfAbsent(variable.group(1), k -> new LinkedHashSet<>()).addAll(switches);
        }
      }
      for (Map.Entry<String, Set<String>> entry : notified.entrySet()) {
        problems.addAll(
            probe(
                module, variables, entry.getKey(), entry.getValue(), workDir.resolve("" + run++)));
      }
    }
    return new Report(problems, checked);
  }

  /**
   * Asks Terraform: refused empty with the switches on (naming the variable), accepted empty with
   * them off, accepted with one channel.
   */
  private static List<String> probe(
      String module, ModuleVariables variables, String channels, Set<String> switches, Path dir)
      throws Exception {
    Map<String, Object> on = new LinkedHashMap<>();
    Map<String, Object> off = new LinkedHashMap<>();
    for (String name : switches) {
      on.put(name, true);
      off.put(name, false);
    }
    Map<String, Object> emptyOn = new LinkedHashMap<>(on);
    emptyOn.put(channels, List.of());
    Map<String, Object> emptyOff = new LinkedHashMap<>(off);
    emptyOff.put(channels, List.of());
    Map<String, Object> oneOn = new LinkedHashMap<>(on);
    oneOn.put(channels, List.of(A_CHANNEL));
    List<String> errors =
        VariableValidations.errors(
            dir,
            List.of(
                new Probe(variables, emptyOn),
                new Probe(variables, emptyOff),
                new Probe(variables, oneOn)));

    String when =
        String.join(" and ", switches.stream().map(s -> "var." + s + " is true").toList());
    List<String> problems = new ArrayList<>();
    if (errors.get(0) == null) {
      problems.add(
          module
              + ": its alert policies notify var."
              + channels
              + ", which Terraform accepts empty while "
              + when
              + ": give var."
              + channels
              + " a validation that refuses an empty list then and names "
              + channels);
    } else if (!errors.get(0).contains(channels)) {
      problems.add(
          module
              + ": Terraform refuses an empty var."
              + channels
              + " while "
              + when
              + ", but its error does not name "
              + channels
              + ": "
              + errors.get(0));
    }
    if (errors.get(1) != null) {
      problems.add(
          module
              + ": with the alerts off ("
              + String.join(", ", switches)
              + " false) Terraform still refuses an empty var."
              + channels
              + ", so no deployment without alerts is possible: "
              + errors.get(1));
    }
    if (errors.get(2) != null) {
      problems.add(
          module
              + ": Terraform refuses var."
              + channels
              + " = [\""
              + A_CHANNEL
              + "\"]: "
              + errors.get(2));
    }
    return problems;
  }

  /** The variables an expression depends on, through locals too. */
  private static Set<String> variablesOf(ModuleVariables module, String expression) {
    Set<String> found = new LinkedHashSet<>(ModuleVariables.varRefs(expression));
    Set<String> seen = new LinkedHashSet<>();
    List<String> pending = new ArrayList<>(ModuleVariables.localRefs(expression));
    while (!pending.isEmpty()) {
      String local = pending.remove(pending.size() - 1);
      String value = module.locals.get(local);
      if (value != null && seen.add(local)) {
        found.addAll(ModuleVariables.varRefs(value));
        pending.addAll(ModuleVariables.localRefs(value));
      }
    }
    return found;
  }

  // --- severity and documentation ---

  static List<String> severityAndDocumentationProblems(String file, String text) {
    String code = Hcl.withoutComments(text);
    List<String> problems = new ArrayList<>();
    for (Hcl.Item policy : policies(code)) {
      String address = POLICY + "." + policy.labels().get(1);
      String severity = argument(code, policy, "severity");
      if (severity == null) {
        problems.add(file + ": " + address + " has no severity (CRITICAL, ERROR or WARNING)");
      } else if (severity.startsWith("\"")
          && !SEVERITIES.contains(severity.substring(1, severity.length() - 1))) {
        problems.add(
            file
                + ": "
                + address
                + " has severity "
                + severity
                + ": use CRITICAL, ERROR or WARNING");
      }
      Hcl.Item documentation = child(code, policy, "documentation");
      String content = documentation == null ? null : argument(code, documentation, "content");
      if (content == null || content.equals("\"\"")) {
        problems.add(
            file
                + ": "
                + address
                + " has no documentation { content = ... } saying what to check and do");
      }
    }
    return problems;
  }

  // --- reading the modules ---

  private static List<Hcl.Item> policies(String code) {
    return Hcl.items(code).stream()
        .filter(i -> i.block() && i.name().equals("resource") && i.labels().get(0).equals(POLICY))
        .toList();
  }

  private static Hcl.Item policy(String code, String name) {
    return policies(code).stream()
        .filter(p -> p.labels().get(1).equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + POLICY + "." + name));
  }

  /** The text of argument {@code name} of a block, or null. */
  private static String argument(String code, Hcl.Item block, String name) {
    for (Hcl.Item item : Hcl.items(code, block.bodyStart(), block.bodyEnd())) {
      if (!item.block() && item.name().equals(name)) {
        return code.substring(item.valueStart(), item.end()).trim();
      }
    }
    return null;
  }

  private static Hcl.Item child(String code, Hcl.Item block, String name) {
    for (Hcl.Item item : Hcl.items(code, block.bodyStart(), block.bodyEnd())) {
      if (item.block() && item.name().equals(name)) {
        return item;
      }
    }
    return null;
  }

  /** modules/* and examples/* directories that hold .tf files. */
  private static List<Path> moduleDirs(Path terraformRoot) throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (String parent : List.of("modules", "examples")) {
      Path base = terraformRoot.resolve(parent);
      if (!Files.isDirectory(base)) {
        continue;
      }
      try (Stream<Path> list = Files.list(base)) {
        list.filter(Files::isDirectory)
            .sorted()
            .filter(d -> !tfFiles(d).isEmpty())
            .forEach(dirs::add);
      }
    }
    return dirs;
  }

  private static List<Path> tfFiles(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> p.toString().endsWith(".tf")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of terraform/modules/monitoring under temp/terraform. */
  private Path copyOfMonitoring() throws IOException {
    Path root = temp.resolve("terraform");
    Path to = root.resolve("modules/monitoring");
    Files.createDirectories(to);
    for (Path file : tfFiles(DeployedFunctions.TERRAFORM.resolve("modules/monitoring"))) {
      Files.copy(file, to.resolve(file.getFileName()));
    }
    return root;
  }
}
