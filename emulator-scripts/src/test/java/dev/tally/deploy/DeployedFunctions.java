package dev.tally.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code google_cloudfunctions2_function} resources of the Terraform under {@code terraform/},
 * read from the {@code .tf} text: what each one runs and which environment it gets.
 */
public final class DeployedFunctions {
  /**
   * The repository: the first directory above the working directory with terraform/ and functions/.
   */
  public static final Path REPO = repositoryRoot();

  public static final Path TERRAFORM = REPO.resolve("terraform");

  private DeployedFunctions() {}

  /**
   * A {@code google_cloudfunctions2_function} as written in a {@code .tf} file.
   *
   * @param file the {@code .tf} file
   * @param where file (relative to {@code terraform/}) and resource address, for messages
   * @param entryPoint the {@code build_config.entry_point}
   * @param environment {@code service_config.environment_variables}: each key with the text of its
   *     value expression
   * @param secretEnvironment keys of {@code service_config.secret_environment_variables} blocks
   * @param serviceConfig the text of the {@code service_config} block, comments blanked
   */
  public record DeployedFunction(
      Path file,
      String where,
      String entryPoint,
      Map<String, String> environment,
      Set<String> secretEnvironment,
      String serviceConfig) {
    /** The keys of both environments. */
    public Set<String> allVariables() {
      Set<String> all = new TreeSet<>(environment.keySet());
      all.addAll(secretEnvironment);
      return all;
    }
  }

  /** Every function under {@code terraformRoot}. */
  public static List<DeployedFunction> in(Path terraformRoot) {
    List<DeployedFunction> functions = new ArrayList<>();
    for (Path file : terraformFiles(terraformRoot)) {
      try {
        functions.addAll(
            functionsIn(file, terraformRoot.relativize(file).toString(), Files.readString(file)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return functions;
  }

  /** Every function under the repository's {@code terraform/}. */
  public static List<DeployedFunction> all() {
    return in(TERRAFORM);
  }

  /** The .tf files under {@code root}, leaving out .terraform/ working dirs and node_modules/. */
  public static List<Path> terraformFiles(Path root) {
    List<Path> files = new ArrayList<>();
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
              String name = dir.getFileName().toString();
              boolean skip =
                  !dir.equals(root) && (name.startsWith(".") || name.equals("node_modules"));
              return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
              if (file.toString().endsWith(".tf") && attributes.isRegularFile()) {
                files.add(file);
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.sort(null);
    return files;
  }

  private static final Pattern FUNCTION_RESOURCE =
      Pattern.compile("resource\\s+\"google_cloudfunctions2_function\"\\s+\"([^\"]+)\"\\s*\\{");
  private static final Pattern ENTRY_POINT = Pattern.compile("\\bentry_point\\s*=\\s*(\\S+)");
  private static final Pattern SERVICE_CONFIG = Pattern.compile("\\bservice_config\\s*\\{");
  private static final Pattern ENVIRONMENT = Pattern.compile("\\benvironment_variables\\s*=\\s*");
  private static final Pattern SECRET_BLOCK =
      Pattern.compile("(?:dynamic\\s+\")?\\bsecret_environment_variables\"?\\s*\\{");
  private static final Pattern SECRET_KEY = Pattern.compile("\\bkey\\s*=\\s*(\\S+)");
  private static final Pattern MAP_KEY =
      Pattern.compile("(?m)(?:^|[{,(])\\s*\"?([A-Za-z_][A-Za-z0-9_]*)\"?\\s*=(?![=>])\\s*");
  private static final Pattern LITERAL = Pattern.compile("\"([^\"\\\\$%]*)\"");

  /** The functions declared in {@code hcl}, the text of {@code file}. */
  public static List<DeployedFunction> functionsIn(Path file, String name, String hcl) {
    String text = Hcl.withoutComments(hcl);
    List<DeployedFunction> functions = new ArrayList<>();
    Matcher resource = FUNCTION_RESOURCE.matcher(text);
    while (resource.find()) {
      String where = name + ": google_cloudfunctions2_function." + resource.group(1);
      String body = Hcl.blockBody(text, resource.end() - 1);
      String entryPoint = literal(where, "entry_point", ENTRY_POINT.matcher(body));
      Matcher service = SERVICE_CONFIG.matcher(body);
      if (!service.find()) {
        throw new AssertionError(where + " has no service_config block");
      }
      String serviceConfig = Hcl.blockBody(body, service.end() - 1);

      Map<String, String> environment = new LinkedHashMap<>();
      Matcher env = ENVIRONMENT.matcher(serviceConfig);
      while (env.find()) {
        String map = Hcl.expressionAt(serviceConfig, env.end());
        if (map == null) {
          throw new AssertionError(
              where
                  + ": environment_variables must be a literal map (or merge of maps) so that"
                  + " its keys can be checked");
        }
        Matcher key = MAP_KEY.matcher(map);
        while (key.find()) {
          environment.put(
              key.group(1), map.substring(key.end(), Hcl.expressionEnd(map, key.end())).trim());
        }
      }

      Set<String> secrets = new TreeSet<>();
      Matcher block = SECRET_BLOCK.matcher(serviceConfig);
      while (block.find()) {
        String secret = Hcl.blockBody(serviceConfig, block.end() - 1);
        secrets.add(literal(where, "secret_environment_variables key", SECRET_KEY.matcher(secret)));
      }
      functions.add(
          new DeployedFunction(file, where, entryPoint, environment, secrets, serviceConfig));
    }
    return functions;
  }

  private static String literal(String where, String what, Matcher matcher) {
    if (!matcher.find()) {
      throw new AssertionError(where + " has no " + what);
    }
    Matcher literal = LITERAL.matcher(matcher.group(1));
    if (!literal.matches()) {
      throw new AssertionError(
          where + ": " + what + " must be a string literal, got " + matcher.group(1));
    }
    return literal.group(1);
  }

  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("terraform"))
          && Files.isDirectory(dir.resolve("functions"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no directory with terraform/ and functions/ above the cwd");
  }
}
