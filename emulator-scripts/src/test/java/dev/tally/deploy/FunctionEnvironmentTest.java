package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.config.Env;
import dev.tally.deploy.Deployables.Deployable;
import dev.tally.deploy.DeployedFunctions.DeployedFunction;
import dev.tally.gateway.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every environment variable Terraform sets on a function is one that function's configuration
 * reads: a variable meant for another function, or one the code no longer reads, fails here instead
 * of being ignored at run time.
 */
class FunctionEnvironmentTest {

  @Test
  void eachFunction_setsOnlyVariablesItsConfigurationReads() {
    List<DeployedFunction> functions = DeployedFunctions.all();
    assertFalse(functions.isEmpty(), "no google_cloudfunctions2_function under terraform/");

    assertEquals(List.of(), problems(functions));
  }

  @Test
  void recordEvent_settingTheGatewaysProjectVariable_isReported() throws IOException {
    Path main = DeployedFunctions.TERRAFORM.resolve("modules/instance/main.tf");
    String text = Files.readString(main);
    String code = Hcl.withoutComments(text);
    Hcl.Item map = environmentOf(code, "record_event");
    String injected =
        text.substring(0, map.valueStart() + 1)
            + "\n      "
            + GatewayConfig.PROJECT_ID
            + " = var.project_id"
            + text.substring(map.valueStart() + 1);

    List<DeployedFunction> functions =
        DeployedFunctions.functionsIn(main, "modules/instance/main.tf", injected);

    assertEquals(
        List.of(
            "modules/instance/main.tf: google_cloudfunctions2_function.record_event sets"
                + " PUBSUB_PROJECT_ID, which the configuration of"
                + " dev.tally.recordevent.RecordEventFunction never reads"),
        problems(functions));
  }

  @Test
  void namesReadBy_recordsEveryLookupOfTheRunOnThisThreadOnly() throws Exception {
    Set<String> inner = new TreeSet<>();
    Set<String> names =
        Env.namesReadBy(
            () -> {
              Env env = Env.of(Map.of("SET", "1"));
              env.integer("SET", 0, 0, 10);
              env.bool("UNSET", false);
              inner.addAll(Env.namesReadBy(() -> env.string("NESTED", null)));
              Thread other = new Thread(() -> env.string("OTHER_THREAD", null));
              other.start();
              try {
                other.join();
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            });

    assertEquals(List.of("SET", "UNSET", "NESTED"), List.copyOf(names));
    assertEquals(Set.of("NESTED"), inner);
    assertTrue(Env.namesReadBy(() -> {}).isEmpty());
  }

  /** What is set but not read, per function. */
  static List<String> problems(List<DeployedFunction> functions) {
    List<String> problems = new ArrayList<>();
    for (DeployedFunction function : functions) {
      Deployable deployable = Deployables.of(function.entryPoint());
      if (deployable == null) {
        problems.add(
            function.where()
                + ": no configuration known for "
                + function.entryPoint()
                + " (add it to Deployables)");
        continue;
      }
      Set<String> read = new TreeSet<>();
      for (Map<String, String> environment : deployable.environments()) {
        read.addAll(Env.namesReadBy(() -> deployable.read().accept(environment)));
      }
      for (String name : function.allVariables()) {
        if (!read.contains(name)) {
          problems.add(
              function.where()
                  + " sets "
                  + name
                  + ", which the configuration of "
                  + function.entryPoint()
                  + " never reads");
        }
      }
    }
    return problems;
  }

  /** The environment_variables map of service_config of function {@code name}. */
  private static Hcl.Item environmentOf(String code, String name) {
    for (Hcl.Item resource : Hcl.items(code)) {
      if (resource.block()
          && resource.labels().equals(List.of("google_cloudfunctions2_function", name))) {
        for (Hcl.Item service : Hcl.items(code, resource.bodyStart(), resource.bodyEnd())) {
          if (service.block() && service.name().equals("service_config")) {
            for (Hcl.Item item : Hcl.items(code, service.bodyStart(), service.bodyEnd())) {
              if (!item.block() && item.name().equals("environment_variables")) {
                assertEquals('{', code.charAt(item.valueStart()), "a literal map");
                return item;
              }
            }
          }
        }
      }
    }
    throw new AssertionError("no environment_variables of google_cloudfunctions2_function." + name);
  }
}
