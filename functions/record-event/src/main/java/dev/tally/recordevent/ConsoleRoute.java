package dev.tally.recordevent;

import dev.tally.recordevent.console.Console;
import java.util.function.Supplier;

/**
 * Creates the console on its first request. A class of its own, so that verifying {@link
 * RecordEventFunction} loads none of the console's classes.
 */
final class ConsoleRoute {
  private ConsoleRoute() {}

  static Console create(Supplier<RecordEventService> service) {
    return new Console(new ConsoleGraphQl(service));
  }
}
