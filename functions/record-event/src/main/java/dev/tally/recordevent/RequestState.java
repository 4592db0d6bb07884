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
  private boolean changedByAdmin;

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

  /** Notes that an administrator's mutation changed something in this request. */
  void changedByAdmin() {
    changedByAdmin = true;
  }

  boolean changedByAdminAlready() {
    return changedByAdmin;
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
