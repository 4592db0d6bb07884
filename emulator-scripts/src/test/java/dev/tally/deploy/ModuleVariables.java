package dev.tally.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The input variables and locals of one Terraform module, read from its {@code .tf} text. */
final class ModuleVariables {
  private static final Pattern VAR_REF = Pattern.compile("(?<![\\w.])var\\.(\\w+)");
  private static final Pattern LOCAL_REF = Pattern.compile("(?<![\\w.])local\\.(\\w+)");
  private static final Pattern OBJECT_FIELD =
      Pattern.compile(
          "\\b(\\w+)\\s*=\\s*(?:optional\\(\\s*(\\w+)\\s*(?:,\\s*([^)\\n]+?))?\\s*\\)|(\\w+))");

  /**
   * One {@code variable} block.
   *
   * @param name its name
   * @param block its text as written
   * @param type the text of its {@code type}
   * @param defaultValue the text of its {@code default}, or null when it has none
   */
  record Variable(String name, String block, String type, String defaultValue) {
    /** The variables its validations (or anything else in it) refer to, itself included. */
    Set<String> variables() {
      return refs(VAR_REF, block);
    }

    Set<String> locals() {
      return refs(LOCAL_REF, block);
    }

    /** The type of {@code field} of an object variable (number, string, bool), or null. */
    String fieldType(String field) {
      Matcher m = OBJECT_FIELD.matcher(type);
      while (m.find()) {
        if (m.group(1).equals(field)) {
          return m.group(2) != null ? m.group(2) : m.group(4);
        }
      }
      return null;
    }

    /**
     * The default of {@code field} of an object variable ({@code optional(type, default)}), or
     * null.
     */
    String fieldDefault(String field) {
      Matcher m = OBJECT_FIELD.matcher(type);
      while (m.find()) {
        if (m.group(1).equals(field)) {
          return m.group(3);
        }
      }
      return null;
    }
  }

  final Path dir;
  final String name;
  final Map<String, Variable> variables = new LinkedHashMap<>();
  final Map<String, String> locals = new LinkedHashMap<>();

  private ModuleVariables(Path dir) {
    this.dir = dir;
    this.name = dir.getFileName().toString();
  }

  /** The variables and locals of the module in {@code dir} (its .tf files, not subdirectories). */
  static ModuleVariables of(Path dir) {
    ModuleVariables module = new ModuleVariables(dir);
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".tf")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path file : files) {
      String text;
      try {
        text = Files.readString(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String code = Hcl.withoutComments(text);
      for (Hcl.Item item : Hcl.items(code)) {
        if (item.block() && item.name().equals("variable")) {
          String type = null;
          String defaultValue = null;
          for (Hcl.Item argument : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            if (!argument.block() && argument.name().equals("type")) {
              type = code.substring(argument.valueStart(), argument.end()).trim();
            } else if (!argument.block() && argument.name().equals("default")) {
              defaultValue = code.substring(argument.valueStart(), argument.end()).trim();
            }
          }
          String name = item.labels().get(0);
          module.variables.put(
              name,
              new Variable(
                  name,
                  text.substring(item.start(), item.end()),
                  type == null ? "any" : type,
                  defaultValue));
        } else if (item.block() && item.name().equals("locals")) {
          for (Hcl.Item local : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            module.locals.put(local.name(), code.substring(local.valueStart(), local.end()).trim());
          }
        }
      }
    }
    return module;
  }

  Variable variable(String name) {
    Variable variable = variables.get(name);
    if (variable == null) {
      throw new AssertionError("modules/" + this.name + " declares no variable " + name);
    }
    return variable;
  }

  static Set<String> refs(Pattern pattern, String text) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  static Set<String> varRefs(String text) {
    return refs(VAR_REF, text);
  }

  static Set<String> localRefs(String text) {
    return refs(LOCAL_REF, text);
  }
}
