package dev.tally.recordevent.console;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.MustacheFactory;
import java.io.StringWriter;

/**
 * The console's Mustache templates, from {@code console/templates} in the jar, compiled once each.
 * Every {@code {{value}}} is HTML-escaped by the engine; the templates use no unescaped output.
 * Templates read the components of records (a record's accessor {@code name()} for {@code
 * {{name}}}).
 */
final class Pages {
  private final MustacheFactory factory = new DefaultMustacheFactory("console/templates");

  /**
   * The page {@code name} (a template {@code name.mustache}) with its layout (the header's title
   * and navigation) and its view: a name is looked up in the view first, then in the layout.
   */
  String render(String name, Layout layout, Object view) {
    StringWriter out = new StringWriter();
    factory.compile(name + ".mustache").execute(out, new Object[] {layout, view});
    return out.toString();
  }
}
