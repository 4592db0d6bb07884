package dev.tally.recordevent.console;

import dev.tally.recordevent.console.ConsoleBackend.Page;

/**
 * The link to a list's next page.
 *
 * @param after the cursor the next page starts after
 */
record Next(String after) {
  /** The link to the page after {@code page}; {@code null} when it is the last. */
  static Next of(Page<?> page) {
    return page.hasNextPage() ? new Next(page.endCursor()) : null;
  }
}
