package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring module's dashboard charts metrics that exist. The schema check does not look into
 * {@code dashboard_json} (a string to the provider), so Terraform itself evaluates it offline: the
 * module's variables and the locals the dashboard is built from become a root module of their own,
 * together with the names of the log-based metrics the module creates under the same inputs (each
 * google_logging_metric's {@code name}, over its {@code count} or {@code for_each}); {@code
 * terraform apply} of that root (no resources, no provider) gives the JSON. Then every chart's data
 * set must have a filter that names exactly one metric type, which is a log-based metric the module
 * creates or one of the Google metrics listed here, with the resource type it belongs to.
 */
class DashboardTest {
  /** Google's metrics the dashboard may chart, with their monitored resource type. */
  static final Map<String, String> GOOGLE_METRICS =
      Map.of(
          "run.googleapis.com/request_count", "cloud_run_revision",
          "pubsub.googleapis.com/topic/send_request_count", "pubsub_topic",
          "pubsub.googleapis.com/subscription/num_undelivered_messages", "pubsub_subscription",
          "pubsub.googleapis.com/subscription/oldest_unacked_message_age", "pubsub_subscription",
          "cloudsql.googleapis.com/database/cpu/utilization", "cloudsql_database",
          "cloudsql.googleapis.com/database/disk/utilization", "cloudsql_database",
          "cloudsql.googleapis.com/database/postgresql/num_backends", "cloudsql_database");

  /** The log-based metrics count lines of the functions, which run on Cloud Run. */
  static final String LOG_METRIC_RESOURCE = "cloud_run_revision";

  static final String LOG_METRIC_PREFIX = "logging.googleapis.com/user/";

  /** Inputs for a deployment with everything: every chart is drawn. */
  static final String EVERYTHING =
      """
      {
        "project_id": "p",
        "export_function_names": ["tally-export"],
        "gateway_function_names": ["tally-gateway"],
        "record_event_function_names": ["tally-record-event"],
        "event_topic_names": ["tally-gateway-events"],
        "gateway_dead_letter_subscription_names": ["tally-gateway-dead-letter-inspect"],
        "bigquery_subscription_names": ["tally-gateway-bigquery"],
        "bigquery_dead_letter_subscription_names": ["tally-gateway-bigquery-dead-letter-inspect"],
        "database_instances": {"main": {"instance_name": "tally-0a1b", "max_connections": 25}},
        "notification_channels": ["projects/p/notificationChannels/1"]
      }
      """;

  /** Inputs for a deployment of an instance only, without alerts. */
  static final String EXPORT_ONLY =
      """
      {"project_id": "p", "export_function_names": ["tally-export"], "alerts_enabled": false}
      """;

  private static final Pattern METRIC_TYPE = Pattern.compile("metric\\.type\\s*=\\s*\"([^\"]*)\"");
  private static final Pattern RESOURCE_TYPE =
      Pattern.compile("resource\\.type\\s*=\\s*\"([^\"]*)\"");

  @TempDir Path temp;

  @Test
  void everyChart_namesAMetricThatExists() throws Exception {
    Path monitoring = DeployedFunctions.TERRAFORM.resolve("modules/monitoring");
    Evaluated dashboard = evaluate(monitoring, EVERYTHING, temp.resolve("everything"));

    assertEquals(List.of(), problems(dashboard));
    // Not vacuous: every Google metric listed is charted, and so are log-based ones.
    Set<String> charted = charted(dashboard.json());
    assertTrue(charted.containsAll(GOOGLE_METRICS.keySet()), "charted: " + charted);
    assertTrue(
        charted.containsAll(
            Set.of(
                LOG_METRIC_PREFIX + "tally_export_oldest_unexported_age",
                LOG_METRIC_PREFIX + "tally_export_set_aside",
                LOG_METRIC_PREFIX + "tally_gateway_requests")),
        "charted: " + charted);
  }

  /** Charts of what a deployment does not have are absent, and the rest still check. */
  @Test
  void aDeploymentWithoutGatewayOrDatabase_hasNoChartsOfThem() throws Exception {
    Path monitoring = DeployedFunctions.TERRAFORM.resolve("modules/monitoring");
    Evaluated dashboard = evaluate(monitoring, EXPORT_ONLY, temp.resolve("export-only"));

    assertEquals(List.of(), problems(dashboard));
    Set<String> charted = charted(dashboard.json());
    assertTrue(
        charted.stream()
            .noneMatch(
                m -> m.startsWith("cloudsql.") || m.startsWith("pubsub.") || m.contains("gateway")),
        "charted: " + charted);
    assertTrue(charted.contains(LOG_METRIC_PREFIX + "tally_export_backlog"), "charted: " + charted);
  }

  @Test
  void check_namesAMetricThatDoesNotExist() throws Exception {
    Path copy =
        copyWith(
            "dashboard.tf",
            "run.googleapis.com/request_count",
            "run.googleapis.com/request_counts");

    assertEquals(
        List.of(
            "chart \"Errors per function: HTTP 5xx responses per second\", data set 1: metric"
                + " run.googleapis.com/request_counts is neither a log-based metric of the module"
                + " nor a Google metric DashboardTest lists"),
        problems(evaluate(copy, EVERYTHING, temp.resolve("probe"))));
  }

  @Test
  void check_namesALogBasedMetricTheModuleNoLongerCreates() throws Exception {
    // The gateway_requests metric renamed in its resource, not in the dashboard.
    Path copy =
        copyWith(
            "main.tf",
            "name        = local.log_metric_names[\"gateway_requests\"]",
            "name        = \"${var.name_prefix}_gateway_calls\"");

    assertEquals(
        List.of(
            "chart \"Gateway: calls refused or failed per 5 minutes, by gRPC status\", data set 1:"
                + " metric logging.googleapis.com/user/tally_gateway_requests is neither a"
                + " log-based metric of the module nor a Google metric DashboardTest lists"),
        problems(evaluate(copy, EVERYTHING, temp.resolve("probe"))));
  }

  @Test
  void check_namesAFilterWithoutAMetricAndAWrongResourceType() throws Exception {
    Path copy =
        copyWith(
            "dashboard.tf",
            " AND metric.type=\\\"cloudsql.googleapis.com/database/disk/utilization\\\"",
            "");
    Files.writeString(
        copy.resolve("dashboard.tf"),
        Files.readString(copy.resolve("dashboard.tf"))
            .replace(
                "resource.type=\\\"pubsub_topic\\\"", "resource.type=\\\"pubsub_subscription\\\""));

    assertEquals(
        List.of(
            "chart \"Pub/Sub: publish requests per second to the events topic, by result\", data"
                + " set 1: metric pubsub.googleapis.com/topic/send_request_count belongs to"
                + " resource.type \"pubsub_topic\", the filter says \"pubsub_subscription\"",
            "chart \"Database: disk utilization\", data set 1: the filter names no metric"
                + " (metric.type=\"...\"): resource.type=\"cloudsql_database\" AND"
                + " resource.label.database_id=one_of(\"p:tally-0a1b\")"),
        problems(evaluate(copy, EVERYTHING, temp.resolve("probe"))));
  }

  // --- checking ---

  /** The dashboard's JSON and the log-based metric types the module creates with its inputs. */
  record Evaluated(JsonNode json, Set<String> logMetricTypes) {}

  static List<String> problems(Evaluated dashboard) {
    List<String> problems = new ArrayList<>();
    for (JsonNode tile : dashboard.json().path("mosaicLayout").path("tiles")) {
      JsonNode widget = tile.path("widget");
      if (!widget.has("xyChart")) {
        continue;
      }
      String chart = "chart \"" + widget.path("title").asText() + "\"";
      int n = 0;
      for (JsonNode set : widget.path("xyChart").path("dataSets")) {
        String where = chart + ", data set " + ++n;
        String filter =
            set.path("timeSeriesQuery").path("timeSeriesFilter").path("filter").asText("");
        List<String> metrics = all(METRIC_TYPE, filter);
        if (metrics.isEmpty()) {
          problems.add(where + ": the filter names no metric (metric.type=\"...\"): " + filter);
          continue;
        }
        if (metrics.size() > 1) {
          problems.add(where + ": the filter names several metrics: " + filter);
          continue;
        }
        String problem =
            resourceProblem(
                where, metrics.get(0), dashboard.logMetricTypes().contains(metrics.get(0)), filter);
        if (problem != null) {
          problems.add(problem);
        }
      }
    }
    return problems;
  }

  /**
   * Null when {@code metric} is a log-based metric of the module ({@code logMetric}) or a Google
   * metric {@link #GOOGLE_METRICS} lists, and {@code filter} names its resource type and no other;
   * else what is wrong, said of {@code where}.
   */
  static String resourceProblem(String where, String metric, boolean logMetric, String filter) {
    String resource;
    if (logMetric) {
      resource = LOG_METRIC_RESOURCE;
    } else if (GOOGLE_METRICS.containsKey(metric)) {
      resource = GOOGLE_METRICS.get(metric);
    } else {
      return where
          + ": metric "
          + metric
          + " is neither a log-based metric of the module nor a Google metric"
          + " DashboardTest lists";
    }
    List<String> resources = all(RESOURCE_TYPE, filter);
    if (resources.equals(List.of(resource))) {
      return null;
    }
    return where
        + ": metric "
        + metric
        + " belongs to resource.type \""
        + resource
        + "\", the filter says "
        + (resources.isEmpty() ? "none" : "\"" + String.join("\", \"", resources) + "\"");
  }

  static Set<String> charted(JsonNode dashboard) {
    Set<String> metrics = new TreeSet<>();
    for (JsonNode filter : dashboard.findValues("filter")) {
      metrics.addAll(all(METRIC_TYPE, filter.asText()));
    }
    return metrics;
  }

  private static List<String> all(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  // --- evaluating the module offline ---

  /**
   * Evaluates, with Terraform and the given tfvars (JSON), the dashboard of the module in {@code
   * moduleDir} and the metric types of its google_logging_metric resources.
   */
  static Evaluated evaluate(Path moduleDir, String tfvars, Path workDir) throws Exception {
    ModuleVariables module = ModuleVariables.of(moduleDir);
    StringBuilder root = new StringBuilder();
    for (ModuleVariables.Variable variable : module.variables.values()) {
      root.append(variable.block()).append("\n\n");
    }
    List<String> expressions = new ArrayList<>();
    expressions.add("local.dashboard");
    StringBuilder outputs = new StringBuilder();
    outputs.append("output \"dashboard\" {\n  value = jsonencode(local.dashboard)\n}\n\n");
    List<String> names = new ArrayList<>();
    for (Path file : tfFiles(moduleDir)) {
      String code = Hcl.withoutComments(Files.readString(file));
      for (Hcl.Item item : Hcl.items(code)) {
        if (!item.block()
            || !item.name().equals("resource")
            || !item.labels().get(0).equals("google_logging_metric")) {
          continue;
        }
        Map<String, String> arguments = new LinkedHashMap<>();
        for (Hcl.Item argument : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
          if (!argument.block()) {
            arguments.put(
                argument.name(), code.substring(argument.valueStart(), argument.end()).trim());
          }
        }
        String name = arguments.get("name");
        String created;
        if (arguments.containsKey("for_each")) {
          created =
              "[for k, v in ("
                  + arguments.get("for_each")
                  + ") : "
                  + name.replace("each.key", "k").replace("each.value", "v")
                  + "]";
        } else if (arguments.containsKey("count")) {
          created =
              "(("
                  + arguments.get("count")
                  + ") > 0 ? ["
                  + name.replace("count.index", "0")
                  + "] : [])";
        } else {
          created = "[" + name + "]";
        }
        names.add(created);
        expressions.add(created);
      }
    }
    outputs
        .append("output \"log_metric_names\" {\n  value = concat(")
        .append(String.join(",\n    ", names))
        .append(")\n}\n");

    // The locals these expressions need, transitively; none may read a resource.
    Set<String> locals = new LinkedHashSet<>();
    List<String> pending = new ArrayList<>();
    for (String expression : expressions) {
      pending.addAll(ModuleVariables.localRefs(expression));
    }
    while (!pending.isEmpty()) {
      String local = pending.remove(pending.size() - 1);
      if (locals.add(local)) {
        String value = module.locals.get(local);
        if (value == null) {
          throw new AssertionError(moduleDir + " declares no local " + local);
        }
        pending.addAll(ModuleVariables.localRefs(value));
      }
    }
    root.append("locals {\n");
    for (String local : locals) {
      root.append("  ").append(local).append(" = ").append(module.locals.get(local)).append("\n");
    }
    root.append("}\n\n").append(outputs);

    Files.createDirectories(workDir);
    Files.writeString(workDir.resolve("main.tf"), root);
    Files.writeString(workDir.resolve("inputs.tfvars.json"), tfvars);
    String terraform = VariableValidations.terraform();
    String applied =
        run(
            workDir,
            terraform,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-var-file=inputs.tfvars.json");
    String output = run(workDir, terraform, "output", "-json");
    ObjectMapper mapper = new ObjectMapper();
    JsonNode values = mapper.readTree(output);
    if (!values.has("dashboard")) {
      throw new AssertionError("terraform apply gave no dashboard:\n" + applied + "\n" + output);
    }
    Set<String> types = new TreeSet<>();
    for (JsonNode name : values.path("log_metric_names").path("value")) {
      types.add(LOG_METRIC_PREFIX + name.asText());
    }
    return new Evaluated(mapper.readTree(values.path("dashboard").path("value").asText()), types);
  }

  static String run(Path dir, String... command) throws IOException, InterruptedException {
    // Standard error apart: Terraform warns there about a missing CLI configuration file.
    Path errors = dir.resolve("stderr.txt");
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectError(errors.toFile()).start();
    process.getOutputStream().close();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in " + dir);
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          String.join(" ", command)
              + " failed in "
              + dir
              + ":\n"
              + output
              + Files.readString(errors));
    }
    return output;
  }

  private static List<Path> tfFiles(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> p.toString().endsWith(".tf")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of the monitoring module with {@code from} replaced by {@code to} in one file. */
  private Path copyWith(String file, String from, String to) throws IOException {
    Path copy = temp.resolve("monitoring");
    Files.createDirectories(copy);
    for (Path source : tfFiles(DeployedFunctions.TERRAFORM.resolve("modules/monitoring"))) {
      Files.copy(source, copy.resolve(source.getFileName()));
    }
    Path target = copy.resolve(file);
    String text = Files.readString(target);
    assertTrue(text.contains(from), file + " has no " + from);
    Files.writeString(target, text.replace(from, to));
    return copy;
  }
}
