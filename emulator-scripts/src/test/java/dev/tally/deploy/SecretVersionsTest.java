package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A secret's new version is created before the version a function pins is destroyed: without {@code
 * create_before_destroy}, changing a secret's value (adding a sender to the gateway's instance
 * tokens is routine) destroys the pinned version first, and new function instances fail to start
 * until the function moves to the new one.
 */
class SecretVersionsTest {
  @Test
  void everySecretVersion_isCreatedBeforeTheOneItReplacesIsDestroyed() throws IOException {
    List<String> problems = new ArrayList<>();
    try (Stream<Path> files = Files.walk(DeployedFunctions.TERRAFORM.resolve("modules"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".tf")).sorted().toList()) {
        problems.addAll(withoutCreateBeforeDestroy(file.toString(), Files.readString(file)));
      }
    }

    assertEquals(List.of(), problems);
  }

  @Test
  void check_namesASecretVersionThatLostIt() throws IOException {
    Path instance = DeployedFunctions.TERRAFORM.resolve("modules/instance/main.tf");
    String text = Files.readString(instance);
    String block = "resource \"google_secret_manager_secret_version\" \"database_password\" {";
    int start = text.indexOf(block);
    int end = Hcl.blockEnd(text, start + block.length() - 1);
    String injured =
        text.substring(0, start)
            + text.substring(start, end).replace("create_before_destroy = true", "")
            + text.substring(end);

    assertEquals(
        List.of(
            "main.tf: google_secret_manager_secret_version.database_password has no"
                + " lifecycle { create_before_destroy = true }"),
        withoutCreateBeforeDestroy("main.tf", injured));
  }

  /** Each secret version of a file without {@code create_before_destroy = true}. */
  static List<String> withoutCreateBeforeDestroy(String file, String text) {
    String code = Hcl.withoutComments(text);
    List<String> problems = new ArrayList<>();
    for (Hcl.Item resource : Hcl.items(code)) {
      if (!resource.block()
          || !resource.name().equals("resource")
          || !resource.labels().get(0).equals("google_secret_manager_secret_version")) {
        continue;
      }
      boolean created = false;
      for (Hcl.Item item : Hcl.items(code, resource.bodyStart(), resource.bodyEnd())) {
        if (item.block() && item.name().equals("lifecycle")) {
          for (Hcl.Item setting : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            created |=
                setting.name().equals("create_before_destroy")
                    && code.substring(setting.valueStart(), setting.end()).trim().equals("true");
          }
        }
      }
      if (!created) {
        problems.add(
            file
                + ": google_secret_manager_secret_version."
                + resource.labels().get(1)
                + " has no lifecycle { create_before_destroy = true }");
      }
    }
    return problems;
  }
}
