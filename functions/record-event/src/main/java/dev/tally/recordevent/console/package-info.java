/**
 * The administrators' console: web pages served by record-event under {@code /console} that show
 * what the instance recorded (usage), what export does (the switch, the queue, the runs, the
 * set-aside events), exactly what leaves (each exported payload, and a recorded event's stored form
 * beside its exported form), and the event catalog (the entries in force, the inbox of events it
 * does not plan with a draft entry for each, its counters, its versions with their diffs).
 *
 * <p>{@link dev.tally.recordevent.console.Console} routes a request to its page: each page is a
 * class that asks the {@link dev.tally.recordevent.console.ConsoleBackend} port for typed records
 * and hands a view record to its Mustache template (which escapes HTML); signing in and out is
 * {@link dev.tally.recordevent.console.SignIn}. The real backend, {@link
 * dev.tally.recordevent.console.GraphQlBackend}, is a client of the administrator's GraphQL fields,
 * run in-process through a {@link dev.tally.recordevent.console.GraphQlApi}: the same checks,
 * limits and data as any other client; the pages' tests use an in-memory one. Charts are drawn as
 * SVG on the server; a page needs no script, font or file from anywhere else. The one script, the
 * inbox's copy buttons ({@code console.js}), is the console's own file and only that page may run
 * it; without it the page still works. An administrator signs in with an access token, which opens
 * a server-side session: an {@code HttpOnly}, {@code SameSite=Strict} cookie holds the session's
 * ID, never the token. Sign-in attempts are limited per client address, and every change (sign-in
 * and sign-out included) is a form {@code POST} whose {@code Origin} must be the console's own.
 */
package dev.tally.recordevent.console;
