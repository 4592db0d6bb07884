package dev.tally.recordevent.console;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.MustacheFactory;
import java.io.StringWriter;

/**
 * The console's Mustache templates, from {@code console/templates} in the jar, compiled once each.
 * Every {@code {{value}}} is HTML-escaped by the engine; the templates use no unescaped output.
 */
final class Pages {
  private final MustacheFactory factory = new DefaultMustacheFactory("console/templates");

  /** The page {@code name} (a template {@code name.mustache}) rendered with {@code scope}. */
  String render(String name, Object scope) {
    StringWriter out = new StringWriter();
    factory.compile(name + ".mustache").execute(out, scope);
    return out.toString();
  }
}
