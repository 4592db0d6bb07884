package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zips {@code terraform/scripts/build-function-sources.sh} writes are what Terraform uploads
 * and names by their MD5: the same build must give the same bytes wherever it runs (another time
 * zone, another checkout), or a plan made in one place uploads other bytes in another and every
 * apply redeploys. Packages what this build left under {@code functions/*}{@code /target}.
 */
class FunctionSourcesIT {
  private static final List<String> FUNCTIONS = List.of("record-event", "export", "gateway");

  @Test
  void zips_areByteIdenticalAcrossRunsAndTimeZones_andHoldTheLauncherAndItsClassPath(
      @TempDir Path first, @TempDir Path second) throws Exception {
    build(first, "UTC");
    build(second, "Pacific/Kiritimati");

    for (String function : FUNCTIONS) {
      Path zip = first.resolve(function + ".zip");
      assertArrayEquals(
          Files.readAllBytes(zip),
          Files.readAllBytes(second.resolve(function + ".zip")),
          function + ".zip differs between two runs");

      List<String> expected = new ArrayList<>();
      expected.add("tally-" + function + ".jar");
      try (var libs = Files.list(first.resolve(function).resolve("lib"))) {
        libs.map(lib -> "lib/" + lib.getFileName()).sorted().forEach(expected::add);
      }
      expected.sort(null);
      assertEquals(expected, entries(zip), function + ".zip's entries");
      assertEquals(
          expected.stream().filter(name -> name.startsWith("lib/")).toList(),
          launcherClassPath(first.resolve(function).resolve("tally-" + function + ".jar")),
          "the launcher of " + function + " names every jar of lib/");
    }
  }

  private static void build(Path out, String timeZone) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                "bash",
                DeployedFunctions.TERRAFORM.resolve("scripts/build-function-sources.sh").toString(),
                "--skip-maven",
                out.toString())
            .redirectErrorStream(true);
    builder.environment().put("TZ", timeZone);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("build-function-sources.sh did not finish:\n" + output);
    }
    assertEquals(0, process.exitValue(), output);
  }

  private static List<String> entries(Path zip) throws IOException {
    List<String> names = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        names.add(entry.getName());
      }
    }
    return names;
  }

  private static List<String> launcherClassPath(Path jar) throws IOException {
    try (InputStream file = Files.newInputStream(jar);
        JarInputStream in = new JarInputStream(file)) {
      String classPath = in.getManifest().getMainAttributes().getValue("Class-Path");
      return Arrays.stream(classPath.trim().split(" +")).sorted().toList();
    }
  }
}
