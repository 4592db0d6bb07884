package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * How the console answers: a page with the headers that keep it to itself (nothing loaded from
 * elsewhere, never framed, never cached), a redirect after a change, an error page, the style
 * sheet. Each method returns the HTTP status it answered with.
 */
final class Responses {
  /** What a page may load and where its forms may go: nothing but the console itself. */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
          + " frame-ancestors 'none'; base-uri 'none'";

  /**
   * The policy of a page that runs the console's own script ({@code console.js}), and no other: no
   * inline script, nothing from elsewhere.
   */
  static final String CONTENT_SECURITY_POLICY_WITH_SCRIPT =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self';"
          + " frame-ancestors 'none'; base-uri 'none'";

  private final Pages pages = new Pages();
  private final byte[] css;
  private final byte[] script;

  Responses() {
    this.css = resource("/console/static/console.css", "style sheet");
    this.script = resource("/console/static/console.js", "script");
  }

  private static byte[] resource(String path, String what) {
    try (InputStream in = Responses.class.getResourceAsStream(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console's " + what, e);
    }
  }

  /** The page {@code template} (a template {@code template.mustache}) of {@code view}. */
  int page(HttpResponse response, int status, String template, Layout layout, Object view)
      throws IOException {
    return page(response, status, template, layout, view, CONTENT_SECURITY_POLICY);
  }

  /** A page that runs the console's script: its copy buttons. */
  int pageWithScript(HttpResponse response, int status, String template, Layout layout, Object view)
      throws IOException {
    return page(response, status, template, layout, view, CONTENT_SECURITY_POLICY_WITH_SCRIPT);
  }

  private int page(
      HttpResponse response,
      int status,
      String template,
      Layout layout,
      Object view,
      String contentSecurityPolicy)
      throws IOException {
    byte[] html = pages.render(template, layout, view).getBytes(StandardCharsets.UTF_8);
    response.setStatusCode(status);
    response.setContentType("text/html; charset=utf-8");
    response.appendHeader("Cache-Control", "no-store");
    response.appendHeader("Content-Security-Policy", contentSecurityPolicy);
    response.appendHeader("X-Content-Type-Options", "nosniff");
    response.appendHeader("X-Frame-Options", "DENY");
    // Not no-referrer: a page with it sends its forms with "Origin: null".
    response.appendHeader("Referrer-Policy", "same-origin");
    try (OutputStream out = response.getOutputStream()) {
      out.write(html);
    }
    return status;
  }

  /** The error page's view. */
  record ErrorView(int status, String message) {}

  /** An error page that says {@code message}. */
  int error(HttpResponse response, int status, String message) throws IOException {
    return page(
        response,
        status,
        "error",
        Layout.signedOut("Error " + status),
        new ErrorView(status, message));
  }

  /**
   * The error page of a request the API refused or failed: its status (400 for an error in a
   * GraphQL answer), {@code Retry-After} for a rate limit, and its message.
   */
  int failed(HttpResponse response, BackendException failure) throws IOException {
    int status = failure.status() == 200 ? 400 : failure.status();
    if (status == 429) {
      response.appendHeader("Retry-After", String.valueOf(failure.retryAfterSeconds()));
    }
    String message = failure.getMessage() == null ? "The request failed." : failure.getMessage();
    return error(response, status, sentence(message) + ".");
  }

  /** A {@code 303 See Other} to {@code location}: where a form's change is seen. */
  static int redirect(HttpResponse response, String location) {
    response.setStatusCode(303);
    response.appendHeader("Location", location);
    response.appendHeader("Cache-Control", "no-store");
    return 303;
  }

  /** The style sheet, which browsers may keep for an hour. */
  int stylesheet(HttpResponse response) throws IOException {
    return staticFile(response, "text/css; charset=utf-8", css);
  }

  /** The console's script, which browsers may keep for an hour. */
  int script(HttpResponse response) throws IOException {
    return staticFile(response, "text/javascript; charset=utf-8", script);
  }

  private static int staticFile(HttpResponse response, String contentType, byte[] content)
      throws IOException {
    response.setStatusCode(200);
    response.setContentType(contentType);
    response.appendHeader("Cache-Control", "public, max-age=3600");
    response.appendHeader("X-Content-Type-Options", "nosniff");
    try (OutputStream out = response.getOutputStream()) {
      out.write(content);
    }
    return 200;
  }

  /**
   * A file to save rather than show ({@code Content-Disposition: attachment}), never cached.
   *
   * @param fileName the name the browser saves it under: letters, digits, {@code .-_} only
   */
  static int download(HttpResponse response, String contentType, String fileName, byte[] content)
      throws IOException {
    if (!fileName.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("not a plain file name: " + fileName);
    }
    response.setStatusCode(200);
    response.setContentType(contentType);
    response.appendHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
    response.appendHeader("Cache-Control", "no-store");
    response.appendHeader("X-Content-Type-Options", "nosniff");
    response.appendHeader("Content-Security-Policy", "default-src 'none'; sandbox");
    try (OutputStream out = response.getOutputStream()) {
      out.write(content);
    }
    return 200;
  }

  /**
   * An API's message as the start of a sentence: capitalized, without its full stop (the caller
   * ends the sentence); "The request failed" when there is none.
   */
  static String sentence(String text) {
    if (text == null || text.isEmpty()) {
      return "The request failed";
    }
    String trimmed = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    return Character.toUpperCase(trimmed.charAt(0)) + trimmed.substring(1);
  }
}
