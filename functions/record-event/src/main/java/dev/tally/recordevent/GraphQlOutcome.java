package dev.tally.recordevent;

/**
 * What executing one GraphQL request did, for the HTTP status and the log line. Filled in by the
 * resolvers of that request only.
 */
final class GraphQlOutcome {
  private int status = 200;
  private String outcome = "ok";
  private int eventsRecorded;

  int status() {
    return status;
  }

  String outcome() {
    return outcome;
  }

  int eventsRecorded() {
    return eventsRecorded;
  }

  void recorded(int events) {
    eventsRecorded += events;
  }

  void failed(int status, String outcome) {
    // The most severe failure decides the status.
    if (status > this.status || this.status == 200) {
      this.status = status;
      this.outcome = outcome;
    }
  }
}
