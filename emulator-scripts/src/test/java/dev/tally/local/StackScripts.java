package dev.tally.local;

import dev.tally.testing.FunctionProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The local stack's scripts and tally-admin as a user runs them, for a stack of a test's own: its
 * state in the test's directory, on free ports, exporting every 2 s.
 */
final class StackScripts {
  static final Path ROOT = Path.of(System.getProperty("tally.root")).toAbsolutePath();

  /** What a script printed (standard output and error together) and how it exited. */
  record Result(int exitCode, String output) {}

  private final Path localDir;
  private final Map<String, String> environment = new LinkedHashMap<>();

  /**
   * @param localDir where the stack keeps its state, env file and logs
   */
  StackScripts(Path localDir) throws IOException {
    this.localDir = localDir;
    environment.put("TALLY_LOCAL_DIR", localDir.toString());
    for (String port :
        List.of(
            "RECORD_EVENT_PORT", "GATEWAY_PORT", "EXPORT_PORT", "PUBSUB_PORT", "POSTGRES_PORT")) {
      environment.put(port, String.valueOf(FunctionProcess.freePort()));
    }
    environment.put("EXPORT_INTERVAL", "2s");
  }

  /** The port a script was given for {@code name} (such as {@code RECORD_EVENT_PORT}). */
  int port(String name) {
    return Integer.parseInt(environment.get(name));
  }

  /** The env file the running stack wrote: its addresses, tokens and database. */
  Path envFile() {
    return localDir.resolve("env");
  }

  /** {@code emulator-scripts/NAME ARGS...}, with the stack's settings in its environment. */
  Result script(String name, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("emulator-scripts").resolve(name).toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    return run(builder);
  }

  /**
   * {@code admin/tally-admin ARGUMENTS} in a shell that sourced the stack's env file, as a new user
   * types it: nothing of the database is set beforehand.
   */
  Result admin(String arguments) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                "bash",
                "-c",
                "source \"$1\" && admin/tally-admin " + arguments,
                "bash",
                envFile().toString())
            .directory(ROOT.toFile())
            .redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("DATABASE_"));
    return run(builder);
  }

  static Result run(ProcessBuilder builder) throws IOException, InterruptedException {
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
