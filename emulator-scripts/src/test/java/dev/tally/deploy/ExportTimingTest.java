package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tally.export.ExporterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The export run's timing as Terraform derives it agrees with the code: a run's deadline is the
 * function's timeout less a call timeout and the code's margin ({@link
 * ExporterConfig#BUDGET_MARGIN}), and the scheduler waits longer than the function's timeout (which
 * a run ends before), and at most Cloud Scheduler's 30 minutes for the largest timeout the
 * variable's validation admits ({@link VariableBoundsTest#STRICTER}, which that test holds to the
 * validation).
 */
class ExportTimingTest {
  private static final Path MAIN = DeployedFunctions.TERRAFORM.resolve("modules/instance/main.tf");

  /** The longest attempt deadline Cloud Scheduler accepts for an HTTP target. */
  private static final long CLOUD_SCHEDULER_MAX_SECONDS = 1800;

  @Test
  void exportTiming_inTerraform_agreesWithTheCode() throws IOException {
    assertEquals(List.of(), problems(Files.readString(MAIN)));
  }

  @Test
  void check_catchesAnAttemptDeadlineThatIsTheFunctionsTimeout() throws IOException {
    String injured =
        Files.readString(MAIN)
            .replace(
                "attempt_deadline = \"${local.export_attempt_deadline_seconds}s\"",
                "attempt_deadline = \"${var.export_timeout_seconds}s\"");

    assertEquals(
        List.of(
            "google_cloud_scheduler_job.export: attempt_deadline is"
                + " \"${var.export_timeout_seconds}s\"; set it to"
                + " \"${local.export_attempt_deadline_seconds}s\", so that the scheduler waits"
                + " longer than the function's timeout"),
        problems(injured));
  }

  @Test
  void check_catchesAMarginThatIsNotTheCodes() throws IOException {
    String injured =
        Files.readString(MAIN)
            .replaceFirst(
                "export_budget_margin_seconds( +)= 15", "export_budget_margin_seconds$1= 10");

    assertEquals(
        List.of(
            "locals: export_budget_margin_seconds is 10, but the code leaves 15 s after the last"
                + " call (ExporterConfig.BUDGET_MARGIN): make them equal"),
        problems(injured));
  }

  @Test
  void check_catchesASlackThatTakesTheLongestTimeoutPastCloudSchedulersLimit() throws IOException {
    String injured =
        Files.readString(MAIN)
            .replaceFirst(
                "export_scheduler_slack_seconds( +)= 30", "export_scheduler_slack_seconds$1= 60");

    assertEquals(
        List.of(
            "locals: the longest export_timeout_seconds the validation admits (1770) plus"
                + " export_scheduler_slack_seconds (60) is 1830 s, past Cloud Scheduler's 1800 s:"
                + " lower the validation's maximum to 1740"),
        problems(injured));
  }

  /** What is wrong with the export timing of the instance module's main.tf. */
  static List<String> problems(String text) {
    String code = Hcl.withoutComments(text);
    List<String> problems = new ArrayList<>();
    Map<String, String> locals = new LinkedHashMap<>();
    String attemptDeadline = null;
    for (Hcl.Item item : Hcl.items(code)) {
      if (item.block() && item.name().equals("locals")) {
        for (Hcl.Item local : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
          locals.put(local.name(), code.substring(local.valueStart(), local.end()).trim());
        }
      }
      if (item.block()
          && item.name().equals("resource")
          && item.labels().equals(List.of("google_cloud_scheduler_job", "export"))) {
        for (Hcl.Item setting : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
          if (!setting.block() && setting.name().equals("attempt_deadline")) {
            attemptDeadline = code.substring(setting.valueStart(), setting.end()).trim();
          }
        }
      }
    }
    expect(
        locals,
        "export_run_budget_seconds",
        "var.export_timeout_seconds - var.export_call_timeout_seconds"
            + " - local.export_budget_margin_seconds",
        problems);
    expect(
        locals,
        "export_attempt_deadline_seconds",
        "var.export_timeout_seconds + local.export_scheduler_slack_seconds",
        problems);
    long codeMargin = ExporterConfig.BUDGET_MARGIN.toSeconds();
    Long margin = number(locals, "export_budget_margin_seconds", problems);
    if (margin != null && margin != codeMargin) {
      problems.add(
          "locals: export_budget_margin_seconds is "
              + margin
              + ", but the code leaves "
              + codeMargin
              + " s after the last call (ExporterConfig.BUDGET_MARGIN): make them equal");
    }
    Long slack = number(locals, "export_scheduler_slack_seconds", problems);
    long longest = VariableBoundsTest.STRICTER.get("instance/export_timeout_seconds").max();
    if (slack != null && slack < 1) {
      problems.add(
          "locals: export_scheduler_slack_seconds is "
              + slack
              + "; the scheduler must wait longer than the function's timeout");
    } else if (slack != null && longest + slack > CLOUD_SCHEDULER_MAX_SECONDS) {
      problems.add(
          "locals: the longest export_timeout_seconds the validation admits ("
              + longest
              + ") plus export_scheduler_slack_seconds ("
              + slack
              + ") is "
              + (longest + slack)
              + " s, past Cloud Scheduler's "
              + CLOUD_SCHEDULER_MAX_SECONDS
              + " s: lower the validation's maximum to "
              + (CLOUD_SCHEDULER_MAX_SECONDS - slack));
    }
    String wanted = "\"${local.export_attempt_deadline_seconds}s\"";
    if (attemptDeadline == null) {
      problems.add("google_cloud_scheduler_job.export: no attempt_deadline; set it to " + wanted);
    } else if (!attemptDeadline.equals(wanted)) {
      problems.add(
          "google_cloud_scheduler_job.export: attempt_deadline is "
              + attemptDeadline
              + "; set it to "
              + wanted
              + ", so that the scheduler waits longer than the function's timeout");
    }
    return problems;
  }

  private static void expect(
      Map<String, String> locals, String name, String expression, List<String> problems) {
    String actual = locals.get(name);
    if (!expression.equals(actual == null ? null : actual.replaceAll("\\s+", " "))) {
      problems.add("locals: " + name + " is " + actual + "; it must be " + expression);
    }
  }

  private static Long number(Map<String, String> locals, String name, List<String> problems) {
    String value = locals.get(name);
    if (value == null || !value.matches("\\d+")) {
      problems.add("locals: " + name + " must be a whole number of seconds, got " + value);
      return null;
    }
    return Long.parseLong(value);
  }
}
