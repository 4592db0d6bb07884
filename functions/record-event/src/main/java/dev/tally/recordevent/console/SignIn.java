package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.ratelimit.RateLimiter;
import dev.tally.store.ConsoleSessions;
import java.io.IOException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Signing in and out: the sign-in form, the sign-in that opens a console session and sets its
 * cookie ({@link SessionCookie}), the sign-out that ends it, and what a page answers when its
 * session no longer works. Sign-in attempts are limited per client address ({@link
 * SignInAttempts}), and both forms must come from the console's own page ({@link SameOrigin}).
 */
final class SignIn {
  static final String PATH = Console.ROOT + "/sign-in";
  static final String SIGN_OUT_PATH = Console.ROOT + "/sign-out";

  /** What an access token may look like; other text is refused without a look at the database. */
  private static final Pattern TOKEN_FORM = Pattern.compile("[A-Za-z0-9_.~+/=-]{16,512}");

  private static final String NOT_AN_ADMINISTRATOR =
      "This token is not an administrator's: sign in with a token that has the site-admin scope.";

  private final ConsoleBackend backend;
  private final SignInAttempts attempts;
  private final Responses responses;

  SignIn(ConsoleBackend backend, SignInAttempts attempts, Responses responses) {
    this.backend = backend;
    this.attempts = attempts;
    this.responses = responses;
  }

  /**
   * The sign-in form's view.
   *
   * @param message why the form is shown, or {@code null}
   */
  record View(String message, long sessionHours, long idleMinutes) {}

  /** The sign-in form, saying {@code message} ({@code null}: nothing) above it. */
  int form(HttpResponse response, int status, String message) throws IOException {
    return responses.page(
        response,
        status,
        "sign-in",
        Layout.signedOut("Sign in"),
        new View(
            message, ConsoleSessions.LIFETIME.toHours(), ConsoleSessions.IDLE_TIMEOUT.toMinutes()));
  }

  /** Signs in with the form's token: a session and its cookie, then to the usage page. */
  int signIn(HttpRequest request, HttpResponse response) throws IOException {
    // Counted first: before the form is read and before its token is looked up.
    RateLimiter.Decision attempt = attempts.count(request);
    if (!attempt.allowed()) {
      response.appendHeader("Retry-After", String.valueOf(attempt.retryAfterSeconds()));
      return form(response, 429, attempts.refusal(attempt));
    }
    if (!SameOrigin.check(request)) {
      return form(
          response, 403, "Sign in from the console's own page: this form came from elsewhere.");
    }
    Optional<Form> form = Form.read(request);
    if (form.isEmpty()) {
      return form(response, 413, "The form was too large.");
    }
    String token = form.get().first("token").map(String::trim).orElse("");
    if (!TOKEN_FORM.matcher(token).matches()) {
      return form(response, 401, "That is not an access token of this instance.");
    }
    String sessionId;
    try {
      sessionId = backend.signIn(request, token);
    } catch (BackendException refused) {
      if (refused.unauthenticated()) {
        return form(response, 401, Responses.sentence(refused.getMessage()) + ".");
      }
      if (refused.forbidden()) {
        return form(response, 403, NOT_AN_ADMINISTRATOR);
      }
      return responses.failed(response, refused);
    }
    response.appendHeader("Set-Cookie", SessionCookie.keep(sessionId, request));
    return Responses.redirect(response, Console.ROOT);
  }

  /**
   * Ends the session server-side and removes the cookie; refused, with the session untouched, when
   * the form came from another origin.
   */
  int signOut(HttpRequest request, HttpResponse response) throws IOException {
    if (!SameOrigin.check(request)) {
      return Console.notSameOrigin(responses, response);
    }
    response.appendHeader("Set-Cookie", SessionCookie.remove(request));
    Optional<String> sessionId = SessionCookie.read(request);
    if (sessionId.isPresent()) {
      try {
        backend.signOut(sessionId.get());
      } catch (BackendException failed) {
        return responses.failed(response, failed);
      }
    }
    return Responses.redirect(response, SignIn.PATH);
  }

  /**
   * A page's request the API refused: a session or token that no longer works, or a token that is
   * not an administrator's, is answered with the sign-in form and the cookie removed; any other
   * failure with its error page.
   */
  int refused(HttpRequest request, HttpResponse response, BackendException refused)
      throws IOException {
    if (refused.unauthenticated()) {
      response.appendHeader("Set-Cookie", SessionCookie.remove(request));
      return form(response, 401, Responses.sentence(refused.getMessage()) + "; sign in again.");
    }
    if (refused.forbidden()) {
      response.appendHeader("Set-Cookie", SessionCookie.remove(request));
      return form(response, 403, NOT_AN_ADMINISTRATOR);
    }
    return responses.failed(response, refused);
  }
}
