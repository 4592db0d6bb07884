package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.Console;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * The console's route: creates the console with its first request. Neither creating nor verifying
 * this class loads any of the console's classes (no lambda whose type names them, no conversion the
 * verifier checks), so that recording never pays for them; a test checks it.
 */
final class ConsoleRoute {
  private final RecordEventConfig config;
  private final Supplier<RecordEventService> service;
  private volatile Console console;

  ConsoleRoute(RecordEventConfig config, Supplier<RecordEventService> service) {
    this.config = config;
    this.service = service;
  }

  /** Answers a request under {@code /console}; returns the HTTP status. */
  int handle(HttpRequest request, HttpResponse response) throws IOException {
    Console created = console;
    if (created == null) {
      synchronized (this) {
        created = console;
        if (created == null) {
          created = ConsoleGraphQl.console(config, service);
          console = created;
        }
      }
    }
    return created.handle(request, response);
  }
}
