package dev.tally.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files the local stack writes for other tools ({@code .local/env}, {@code .local/MODULE.env}):
 * one {@code export NAME='value'} line a variable, so that {@code source} exports them to the
 * commands run after it (TallyAdmin, curl, a function).
 */
final class EnvFile {
  private EnvFile() {}

  /** The text of a file about {@code about} (a comment line or more) that sets {@code env}. */
  static String text(String about, Map<String, String> env) {
    StringBuilder text = new StringBuilder("# Written by emulator-scripts/run-local.sh: ");
    text.append(about).append('\n');
    env.forEach(
        (key, value) ->
            text.append("export ")
                .append(key)
                .append("='")
                .append(value.replace("'", "'\\''"))
                .append("'\n"));
    return text.toString();
  }

  /** The variables of a file {@link #text} wrote. */
  static Map<String, String> read(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      String assignment = line.replaceFirst("^export ", "");
      int equals = assignment.indexOf('=');
      if (!assignment.startsWith("#") && equals > 0) {
        String quoted = assignment.substring(equals + 1);
        env.put(
            assignment.substring(0, equals),
            quoted.substring(1, quoted.length() - 1).replace("'\\''", "'"));
      }
    }
    return env;
  }
}
