package dev.tally.event;

import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What a caller records: the event as a client or a backend service describes it, before the server
 * adds what it knows.
 *
 * @param feature the feature the event belongs to, see {@link EventNames}
 * @param action what was done with the feature, see {@link EventNames}
 * @param timestamp when it happened according to the caller; {@code null} means now
 * @param client the client application that recorded it; {@code null} for backend events
 * @param parameters the details attached to the event
 * @param marketingTracking marketing attribution sent by web clients, or {@code null}
 */
public record EventInput(
    String feature,
    String action,
    Instant timestamp,
    Client client,
    Parameters parameters,
    EventMarketingTracking marketingTracking) {

  public EventInput {
    Objects.requireNonNull(parameters, "parameters");
  }

  /** An event recorded by the server's own code, with no client and no marketing data. */
  public static EventInput backend(String feature, String action, Parameters parameters) {
    return new EventInput(feature, action, null, null, parameters, null);
  }

  /**
   * The client application that recorded an event.
   *
   * @param name its name, for example {@code VSCode.Cody}; required
   * @param version its version, or {@code null}
   */
  public record Client(String name, String version) {}

  /**
   * The details attached to an event.
   *
   * @param version version of the event's shape, chosen by its author
   * @param metadata numeric metadata; every value must be a finite {@link Number}
   * @param privateMetadata metadata of any JSON shape (maps, lists, strings, numbers, booleans,
   *     {@code null}), or {@code null} for none; a value that is not a JSON object is stored as
   *     {@code {"value": v}}
   * @param billing billing classification, or {@code null}
   * @param interactionId the interaction the event belongs to; overrides the one of the request
   */
  public record Parameters(
      int version,
      Map<String, ?> metadata,
      Object privateMetadata,
      Billing billing,
      String interactionId) {

    public Parameters {
      metadata = metadata == null ? Map.of() : metadata;
    }

    /** Parameters with a version and numeric metadata only. */
    public static Parameters of(int version, Map<String, ? extends Number> metadata) {
      return new Parameters(version, metadata, null, null, null);
    }
  }

  /**
   * Billing classification of an event.
   *
   * @param product the product billed
   * @param category the category within the product
   */
  public record Billing(String product, String category) {}
}
