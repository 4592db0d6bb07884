package dev.tally.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvFileTest {
  private static final Map<String, String> ENV = new LinkedHashMap<>();

  static {
    ENV.put("DATABASE_URL", "jdbc:postgresql://127.0.0.1:5433/tally");
    ENV.put("DATABASE_USER", "");
    ENV.put("DATABASE_PASSWORD", "it's $HOME \"quoted\"");
  }

  @Test
  void sourcingTheFile_exportsEveryValueAsWritten(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("env");
    Files.writeString(file, EnvFile.text("a test", ENV));

    // A child of the shell sees the variables only when they are exported.
    Process shell =
        new ProcessBuilder(
                "bash",
                "-c",
                "source \"$1\" && bash -c 'printf \"%s|%s|%s\" \"$DATABASE_URL\" \"$DATABASE_USER\""
                    + " \"$DATABASE_PASSWORD\"'",
                "bash",
                file.toString())
            .redirectErrorStream(true)
            .start();
    String seen = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertEquals(0, shell.waitFor());
    assertEquals(String.join("|", ENV.values()), seen);
  }

  @Test
  void read_givesBackWhatWasWritten(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("env");
    Files.writeString(file, EnvFile.text("a test\n# over two lines", ENV));

    assertEquals(ENV, EnvFile.read(file));
  }
}
