package dev.tally.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A function running in the real Functions Framework invoker, in a process of its own, exactly as
 * Cloud Functions runs it: {@code java -jar java-function-invoker.jar --classpath ... --target ...
 * --port ...} with the function's configuration in the environment.
 *
 * <p>The function modules' builds write the invoker jar and the function's runtime classpath under
 * {@code target/} and pass their paths as system properties to the {@code *IT} tests.
 */
public final class FunctionProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final int port;
  private final Path output;
  private final Thread killOnExit;

  private FunctionProcess(Process process, int port, Path output) {
    this.process = process;
    this.port = port;
    this.output = output;
    // Never leave a function running when the test JVM ends, whatever happened.
    this.killOnExit = new Thread(process::destroyForcibly, "stop-function");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /**
   * Starts the invoker with {@code target} of the module {@code functions/<module>} on a free
   * loopback port and waits until it answers. The module must have been built ({@code package}).
   *
   * @param environment the function's configuration; nothing else of the test's environment but
   *     {@code PATH} and {@code HOME} is passed on
   */
  public static FunctionProcess start(String module, String target, Map<String, String> environment)
      throws IOException {
    return start(
        module,
        target,
        environment,
        freePort(),
        logFile("function-" + target.replaceAll(".*\\.", "")));
  }

  /** Starts a function on a given port, its output going to {@code output}. */
  public static FunctionProcess start(
      String module, String target, Map<String, String> environment, int port, Path output)
      throws IOException {
    return launch(functionClasspath(module), target, environment, port, output);
  }

  /** Starts a function whose classes and dependencies are {@code classpath}. */
  public static FunctionProcess launch(
      String classpath, String target, Map<String, String> environment, int port, Path output)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(required("tally.invoker.jar"));
    command.add("--classpath");
    command.add(classpath);
    command.add("--target");
    command.add(target);
    command.add("--port");
    command.add(String.valueOf(port));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().retainAll(List.of("PATH", "HOME"));
    builder.environment().putAll(environment);
    builder.redirectErrorStream(true);
    builder.redirectOutput(output.toFile());
    FunctionProcess function = new FunctionProcess(builder.start(), port, output);
    function.awaitListening();
    return function;
  }

  /**
   * Starts the {@code main} of {@code mainClass} of the module {@code functions/<module>} with its
   * runtime classpath, as a container would run it: on a free loopback port passed as {@code PORT},
   * and waits until it listens.
   */
  public static FunctionProcess startMain(
      String module, String mainClass, Map<String, String> environment) throws IOException {
    int port = freePort();
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            functionClasspath(module),
            mainClass);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().retainAll(List.of("PATH", "HOME"));
    builder.environment().putAll(environment);
    builder.environment().put("PORT", String.valueOf(port));
    builder.redirectErrorStream(true);
    Path output = logFile(mainClass.replaceAll(".*\\.", ""));
    builder.redirectOutput(output.toFile());
    FunctionProcess process = new FunctionProcess(builder.start(), port, output);
    process.awaitListening();
    return process;
  }

  /**
   * A new log file for a process a test starts, named {@code PREFIX-N.log}, in the module's {@code
   * target/test-logs} (the build's {@code tally.test.logs}): kept after the run for a failed test
   * to be read, removed with the rest of {@code target/}.
   */
  public static Path logFile(String prefix) throws IOException {
    return Files.createTempFile(logDirectory(), prefix + "-", ".log");
  }

  /** The module's {@code target/test-logs}, created if need be. */
  public static Path logDirectory() throws IOException {
    return Files.createDirectories(
        Path.of(System.getProperty("tally.test.logs", "target/test-logs")));
  }

  /** The process ID of the function's JVM. */
  public long pid() {
    return process.pid();
  }

  /** The port the function listens on. */
  public int port() {
    return port;
  }

  /** The function's URL for {@code path}, on 127.0.0.1. */
  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** Everything the function printed so far: its log lines. */
  public String output() {
    try {
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the function's output", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the function exited with " + process.exitValue() + " before listening:\n" + output());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the function", e);
        }
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException(
        "the function did not listen within " + START_TIMEOUT + ":\n" + output());
  }

  private static String functionClasspath(String module) throws IOException {
    Path target = Path.of(required("tally.functions.dir"), module, "target");
    Path classpathFile = target.resolve("function-classpath.txt");
    if (!Files.exists(classpathFile)) {
      throw new IllegalStateException(
          classpathFile + " is missing: build functions/" + module + " first (./mvnw verify)");
    }
    String classes = target.resolve("classes").toString();
    String dependencies = Files.readString(classpathFile, StandardCharsets.UTF_8).trim();
    return dependencies.isEmpty() ? classes : classes + File.pathSeparator + dependencies;
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      throw new IllegalStateException(
          "system property "
              + property
              + " is not set: run the *IT tests through Maven (./mvnw verify), which sets it");
    }
    return value;
  }

  /** A TCP port nothing listens on right now. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
