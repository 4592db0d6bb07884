package dev.tally.recordevent;

import dev.tally.record.RecordingRequest;
import graphql.execution.ResultPath;
import java.util.ArrayList;
import java.util.List;

/**
 * One GraphQL request on its way through the resolvers: the events its recording fields gathered,
 * where those fields are in the answer, and the most severe failure so far, which decides the HTTP
 * status.
 */
final class RequestState {
  private final RequestContext context;
  private final RecordingRequest recording;
  private final List<ResultPath> recordingFields = new ArrayList<>();
  private int status = 200;
  private String outcome = "ok";
  private long retryAfterSeconds;
  private boolean adminRequestCounted;
  private boolean changed;

  RequestState(RequestContext context, RecordingRequest recording) {
    this.context = context;
    this.recording = recording;
  }

  RequestContext context() {
    return context;
  }

  RecordingRequest recording() {
    return recording;
  }

  /** A recording field whose events were gathered, to be stored with the others or not at all. */
  void gathered(ResultPath field) {
    recordingFields.add(field);
  }

  List<ResultPath> recordingFields() {
    return recordingFields;
  }

  /** Records a failure; the most severe one decides the status. */
  void failed(int status, String outcome) {
    if (status > this.status || this.status == 200) {
      this.status = status;
      this.outcome = outcome;
    }
  }

  void retryAfter(long seconds) {
    retryAfterSeconds = Math.max(retryAfterSeconds, seconds);
  }

  /** Whether this request was already counted against the administrator rate limit. */
  boolean countAdminRequestOnce() {
    boolean first = !adminRequestCounted;
    adminRequestCounted = true;
    return first;
  }

  /**
   * Notes that a mutation changed something in this request (an administrator's change, a user's
   * opt-out, an erasure): such a request records no events.
   */
  void changed() {
    changed = true;
  }

  boolean changedAlready() {
    return changed;
  }

  /**
   * The request's recording, for a field about to gather {@code count} events: counted against the
   * request's bound before anything is done with them.
   *
   * @throws IllegalArgumentException when a mutation of the request already changed something
   */
  RecordingRequest recordingFor(int count) {
    if (changed) {
      throw new IllegalArgumentException(
          "a request that changes settings or data (set-aside events, the export switch, an"
              + " opt-out, an erasure) cannot record events; send them on their own");
    }
    recording.checkRoomFor(count);
    return recording;
  }

  int status() {
    return status;
  }

  String outcome() {
    return outcome;
  }

  long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
