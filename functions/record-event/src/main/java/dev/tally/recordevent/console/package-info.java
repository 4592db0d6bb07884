/**
 * The administrators' console: web pages served by record-event under {@code /console} that show
 * what the instance recorded (usage), what export does (the switch, the queue, the runs, the
 * set-aside events) and exactly what leaves (each exported payload, and a recorded event's stored
 * form beside its exported form).
 *
 * <p>It is a client of the administrator's GraphQL fields, run in-process through a {@link
 * dev.tally.recordevent.console.ConsoleBackend}: the same checks, limits and data as any other
 * client. Pages are rendered on the server from Mustache templates (which escape HTML) with charts
 * drawn as SVG; they need no script, font or file from anywhere else. An administrator signs in
 * with an access token, which opens a server-side session: an {@code HttpOnly}, {@code
 * SameSite=Strict} cookie holds the session's ID, never the token. Sign-in attempts are limited per
 * client address, and every change (sign-in and sign-out included) is a form {@code POST} whose
 * {@code Origin} must be the console's own.
 */
package dev.tally.recordevent.console;
