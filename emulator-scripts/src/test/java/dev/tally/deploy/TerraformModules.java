package dev.tally.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resources, locals and outputs of the Terraform modules under {@code terraform/}, read from
 * their text with {@link Hcl}, and which resources each one refers to (through locals too): enough
 * to follow grants, waits and their users without {@code terraform init}.
 */
final class TerraformModules {
  private static final Pattern LOCAL_REF = Pattern.compile("(?<![\\w.])local\\.(\\w+)");
  private static final Pattern RESOURCE_REF =
      Pattern.compile("(?<![\\w.])([a-z][a-z0-9]*_[a-z0-9_]+)\\.([A-Za-z_][\\w-]*)");

  /** A resource block, or an output block (type "output"). */
  record Block(String file, String type, String name, String code, Hcl.Item item) {
    String address() {
      return type + "." + name;
    }

    String body() {
      return code.substring(item.bodyStart(), item.bodyEnd());
    }

    /** The text of argument {@code name} of the body, or null. */
    String argument(String argument) {
      for (Hcl.Item child : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
        if (!child.block() && child.name().equals(argument)) {
          return code.substring(child.valueStart(), child.end());
        }
      }
      return null;
    }

    /** The direct child block {@code name} of the body (or a dynamic block of it), or null. */
    Hcl.Item childBlock(String name) {
      for (Hcl.Item child : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
        if (child.block()
            && (child.name().equals(name)
                || (child.name().equals("dynamic") && child.labels().equals(List.of(name))))) {
          return child;
        }
      }
      return null;
    }

    /** The text of block {@code child} of this block, or null. */
    String childBody(String child) {
      Hcl.Item block = childBlock(child);
      return block == null ? null : code.substring(block.bodyStart(), block.bodyEnd());
    }
  }

  /** One module directory: its resources and outputs by address, its locals' expressions. */
  record Module(
      String dir,
      Map<String, Block> resources,
      Map<String, Block> outputs,
      Map<String, String> locals) {
    /** A root configuration (an example), whose outputs a deployer hands on to scripts. */
    boolean root() {
      return dir.startsWith("examples/");
    }

    /** The resources of this module {@code text} refers to, directly or through locals. */
    Set<String> references(String text) {
      Set<String> found = new LinkedHashSet<>();
      Set<String> seenLocals = new LinkedHashSet<>();
      Deque<String> texts = new ArrayDeque<>(List.of(text));
      while (!texts.isEmpty()) {
        String t = texts.pop();
        Matcher r = RESOURCE_REF.matcher(t);
        while (r.find()) {
          String address = r.group(1) + "." + r.group(2);
          if (resources.containsKey(address)) {
            found.add(address);
          }
        }
        Matcher l = LOCAL_REF.matcher(t);
        while (l.find()) {
          if (seenLocals.add(l.group(1)) && locals.containsKey(l.group(1))) {
            texts.push(locals.get(l.group(1)));
          }
        }
      }
      return found;
    }

    /** Every resource {@code address} depends on, through references and depends_on, itself not. */
    Set<String> dependencies(String address) {
      Set<String> seen = new LinkedHashSet<>();
      Deque<String> todo = new ArrayDeque<>(references(resources.get(address).body()));
      while (!todo.isEmpty()) {
        String next = todo.pop();
        if (!next.equals(address) && seen.add(next)) {
          todo.addAll(references(resources.get(next).body()));
        }
      }
      return seen;
    }
  }

  private TerraformModules() {}

  /** The .tf files under {@code terraform/}, by path relative to it. */
  static Map<String, String> read(Path terraform) {
    Map<String, String> files = new TreeMap<>();
    for (Path file : DeployedFunctions.terraformFiles(terraform)) {
      try {
        files.put(terraform.relativize(file).toString().replace('\\', '/'), Files.readString(file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return files;
  }

  /** The modules of {@code files} (path relative to terraform/ → text), by directory. */
  static Map<String, Module> of(Map<String, String> files) {
    Map<String, Module> modules = new TreeMap<>();
    for (Map.Entry<String, String> file : files.entrySet()) {
      if (file.getKey().startsWith("check/")) {
        continue;
      }
      int slash = file.getKey().lastIndexOf('/');
      String dir = slash < 0 ? "" : file.getKey().substring(0, slash);
      Module module =
          modules.computeIfAbsent(
              dir,
              d ->
                  new Module(
                      d, new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>()));
      String code = Hcl.withoutComments(file.getValue());
      for (Hcl.Item item : Hcl.items(code)) {
        if (!item.block()) {
          continue;
        }
        if (item.name().equals("resource") && item.labels().size() == 2) {
          Block block =
              new Block(file.getKey(), item.labels().get(0), item.labels().get(1), code, item);
          module.resources().put(block.address(), block);
        } else if (item.name().equals("output") && item.labels().size() == 1) {
          Block block = new Block(file.getKey(), "output", item.labels().get(0), code, item);
          module.outputs().put(block.address(), block);
        } else if (item.name().equals("locals")) {
          for (Hcl.Item local : Hcl.items(code, item.bodyStart(), item.bodyEnd())) {
            module.locals().put(local.name(), code.substring(local.valueStart(), local.end()));
          }
        }
      }
    }
    return modules;
  }

  /** The quoted strings of {@code text} (without their quotes) that start with {@code prefix}. */
  static List<String> literals(String text, String prefix) {
    List<String> found = new ArrayList<>();
    Matcher m = Pattern.compile("\"(" + Pattern.quote(prefix) + "[^\"$]*)\"").matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /**
   * {@code text} with {@code from}, which must stand in it exactly once, replaced: a fault
   * injected.
   */
  static String replaceOnce(String text, String from, String to) {
    int at = text.indexOf(from);
    if (at < 0 || text.indexOf(from, at + 1) >= 0) {
      throw new AssertionError("not exactly once in the file: " + from);
    }
    return text.substring(0, at) + to + text.substring(at + from.length());
  }
}
