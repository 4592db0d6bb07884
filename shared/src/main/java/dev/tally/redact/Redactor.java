package dev.tally.redact;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Removes what may not leave the instance from an event, before it is queued for export. */
public final class Redactor {
  private final Mode mode;
  private final SensitiveMetadataAllowlist allowlist;

  /** How much of an event's sensitive attributes may be exported. */
  public enum Mode {
    /** Marketing tracking is removed; private metadata keeps only allowlisted keys. */
    ALLOWLISTED_ONLY,
    /** Nothing is removed: for an instance run by the operator of the gateway itself. */
    EXPORT_EVERYTHING
  }

  public Redactor(Mode mode, SensitiveMetadataAllowlist allowlist) {
    this.mode = Objects.requireNonNull(mode, "mode");
    this.allowlist = Objects.requireNonNull(allowlist, "allowlist");
  }

  /** How much this redactor removes. */
  public Mode mode() {
    return mode;
  }

  /** Whether a private-metadata key of an event may leave by the redaction rules alone. */
  public boolean mayLeave(String feature, String action, String key) {
    return mode == Mode.EXPORT_EVERYTHING
        || allowlist.allowedKeys(feature, action).map(keys -> keys.contains(key)).orElse(false);
  }

  /** The event as it may be exported. */
  public Event redact(Event event) {
    if (mode == Mode.EXPORT_EVERYTHING) {
      return event;
    }
    Event.Builder redacted = event.toBuilder().clearMarketingTracking();
    EventParameters parameters = event.getParameters();
    if (parameters.hasPrivateMetadata()) {
      Optional<Set<String>> allowed = allowlist.allowedKeys(event.getFeature(), event.getAction());
      EventParameters.Builder kept = parameters.toBuilder().clearPrivateMetadata();
      if (allowed.isPresent()) {
        kept.setPrivateMetadata(keepAllowed(parameters.getPrivateMetadata(), allowed.get()));
      }
      redacted.setParameters(kept);
    }
    return redacted.build();
  }

  /**
   * The event as it may be exported when a catalog decided which of its private-metadata keys leave
   * and which metadata keys do not: marketing tracking is removed as by {@link #redact}, private
   * metadata keeps exactly {@code exportedPrivateKeys} (as strings, unless exporting everything),
   * and the metadata loses {@code droppedMetadataKeys}.
   */
  public Event redact(
      Event event, Set<String> exportedPrivateKeys, Set<String> droppedMetadataKeys) {
    Event.Builder redacted = event.toBuilder();
    if (mode != Mode.EXPORT_EVERYTHING) {
      redacted.clearMarketingTracking();
    }
    EventParameters parameters = event.getParameters();
    if (parameters.hasPrivateMetadata() || !droppedMetadataKeys.isEmpty()) {
      EventParameters.Builder kept = parameters.toBuilder();
      for (String key : droppedMetadataKeys) {
        kept.removeMetadata(key);
      }
      if (parameters.hasPrivateMetadata()) {
        kept.clearPrivateMetadata();
        if (!exportedPrivateKeys.isEmpty()) {
          kept.setPrivateMetadata(
              mode == Mode.EXPORT_EVERYTHING
                  ? keepAsIs(parameters.getPrivateMetadata(), exportedPrivateKeys)
                  : keepAllowed(parameters.getPrivateMetadata(), exportedPrivateKeys));
        }
      }
      redacted.setParameters(kept);
    }
    return redacted.build();
  }

  private static Struct keepAsIs(Struct metadata, Set<String> exported) {
    Struct.Builder kept = Struct.newBuilder();
    metadata
        .getFieldsMap()
        .forEach(
            (key, value) -> {
              if (exported.contains(key)) {
                kept.putFields(key, value);
              }
            });
    return kept.build();
  }

  private static Struct keepAllowed(Struct metadata, Set<String> allowed) {
    Struct.Builder kept = Struct.newBuilder();
    metadata
        .getFieldsMap()
        .forEach(
            (key, value) -> {
              if (allowed.contains(key)) {
                kept.putFields(key, asString(value));
              }
            });
    return kept.build();
  }

  private static Value asString(Value value) {
    if (value.hasStringValue()) {
      return value;
    }
    return Value.newBuilder()
        .setStringValue("ERROR: value of allowlisted key was not a string, got: " + typeName(value))
        .build();
  }

  private static String typeName(Value value) {
    return switch (value.getKindCase()) {
      case NULL_VALUE -> "null";
      case NUMBER_VALUE -> "number";
      case BOOL_VALUE -> "boolean";
      case STRUCT_VALUE -> "object";
      case LIST_VALUE -> "list";
      case STRING_VALUE -> "string";
      case KIND_NOT_SET -> "nothing";
    };
  }
}
