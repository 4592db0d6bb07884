package dev.tally.recordevent;

import java.util.Collections;
import java.util.Map;

/**
 * The value of a field of the schema's {@code EmptyResponse} type, which the recording mutations
 * answer with: an object whose one field, {@code alwaysNil}, is null.
 */
final class EmptyResponse {
  static final Map<String, Object> VALUE = Collections.emptyMap();

  private EmptyResponse() {}
}
