package dev.tally.record;

import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.CatalogSource;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventInput;
import dev.tally.legacy.LegacyEventBuilder;
import dev.tally.privacy.PrivacySettings;
import dev.tally.privacy.PrivacySignals;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Records events: validates and builds them, then stores them all or nothing. A request's events
 * are gathered in a {@link RecordingRequest} (one or several fields of a GraphQL request, one call
 * of the Java API) and stored in one transaction, so one invalid event anywhere rejects them all.
 *
 * <p>Every way of recording comes through here, and so through the one privacy rule ({@link
 * PrivacySettings#keptLocal}) that decides, per request, whether its events may be queued for
 * export, and then through the event catalog in force ({@link CatalogSource}), which judges each V2
 * event that may be queued: hold it on the instance, or queue its exported copy. The catalog never
 * refuses an event.
 */
public final class EventRecorder {
  private final EventBuilder builder;
  private final LegacyEventBuilder legacyBuilder;
  private final FeatureFlags featureFlags;
  private final TeeStore store;
  private final RecordingLimits limits;
  private final PrivacySettings privacy;
  private final CatalogSource catalog;

  /** A recorder with the default privacy settings ({@link PrivacySettings#DEFAULTS}). */
  public EventRecorder(
      EventBuilder builder, FeatureFlags featureFlags, TeeStore store, RecordingLimits limits) {
    this(builder, featureFlags, store, limits, PrivacySettings.DEFAULTS);
  }

  /** A recorder without an event catalog: the store's redaction rules alone decide what leaves. */
  public EventRecorder(
      EventBuilder builder,
      FeatureFlags featureFlags,
      TeeStore store,
      RecordingLimits limits,
      PrivacySettings privacy) {
    this(
        builder,
        featureFlags,
        store,
        limits,
        privacy,
        CatalogSource.fixed(CatalogRules.none(store.redactor())));
  }

  /**
   * @param catalog where each request finds the catalog in force when it commits; its rules'
   *     redaction rules are those of the queued events
   */
  public EventRecorder(
      EventBuilder builder,
      FeatureFlags featureFlags,
      TeeStore store,
      RecordingLimits limits,
      PrivacySettings privacy,
      CatalogSource catalog) {
    this.builder = Objects.requireNonNull(builder, "builder");
    this.legacyBuilder = new LegacyEventBuilder(builder);
    this.featureFlags = Objects.requireNonNull(featureFlags, "featureFlags");
    this.store = Objects.requireNonNull(store, "store");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.privacy = Objects.requireNonNull(privacy, "privacy");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
  }

  /**
   * Starts gathering the events of one request about one actor, with no privacy signals (the
   * server's own events).
   *
   * @param interactionId the request's interaction ID, or {@code null}
   * @param traceId the request's trace ID, or {@code null}
   */
  public RecordingRequest begin(Actor actor, String interactionId, String traceId) {
    return begin(actor, PrivacySignals.NONE, interactionId, traceId);
  }

  /**
   * Starts gathering the events of one request about one actor.
   *
   * @param signals what the request's browser said about privacy
   * @param interactionId the request's interaction ID, or {@code null}
   * @param traceId the request's trace ID, or {@code null}
   */
  public RecordingRequest begin(
      Actor actor, PrivacySignals signals, String interactionId, String traceId) {
    return begin(actor, null, signals, interactionId, traceId);
  }

  /**
   * Starts gathering the events of one request about one actor whose feature flags were already
   * evaluated for this request (with the check of its access token, {@link
   * dev.tally.store.AccessTokens#authenticateWithFlags}).
   *
   * @param flags the actor's flags, or {@code null} to evaluate them with the first batch
   * @param signals what the request's browser said about privacy
   * @param interactionId the request's interaction ID, or {@code null}
   * @param traceId the request's trace ID, or {@code null}
   */
  public RecordingRequest begin(
      Actor actor,
      FeatureFlags.Evaluation flags,
      PrivacySignals signals,
      String interactionId,
      String traceId) {
    return new RecordingRequest(this, actor, flags, signals, interactionId, traceId);
  }

  /**
   * Validates, builds and stores a batch of events about one actor, all or nothing.
   *
   * @return the events as stored in {@code event_logs} (before redaction)
   * @throws dev.tally.event.InvalidEventException when an event is invalid, naming it by its
   *     position; then nothing is stored
   * @throws dev.tally.event.LimitExceededException when the batch or an event is over a bound; then
   *     nothing is stored
   * @throws dev.tally.store.StoreException when the batch could not be stored; then nothing is
   */
  public List<Event> record(
      List<EventInput> inputs, Actor actor, String interactionId, String traceId) {
    return record(inputs, actor, PrivacySignals.NONE, interactionId, traceId);
  }

  /**
   * Validates, builds and stores a batch of events about one actor, all or nothing, for a request
   * that carried {@code signals}.
   *
   * @return the events as stored in {@code event_logs} (before redaction)
   * @throws dev.tally.event.InvalidEventException when an event is invalid; then nothing is stored
   * @throws dev.tally.event.LimitExceededException when the batch or an event is over a bound
   * @throws dev.tally.store.StoreException when the batch could not be stored; then nothing is
   */
  public List<Event> record(
      List<EventInput> inputs,
      Actor actor,
      PrivacySignals signals,
      String interactionId,
      String traceId) {
    RecordingRequest request = begin(actor, signals, interactionId, traceId);
    request.add(inputs);
    request.commit();
    return request.events();
  }

  /**
   * Builds and checks one event the way {@link #record} does, storing nothing: a cold start runs it
   * ahead of the first request, which then finds the event code loaded.
   */
  public void warmUp() {
    Event event =
        builder.build(
            EventInput.backend(
                "tally.instance", "warmed", EventInput.Parameters.of(1, Map.of("ready", 1))),
            EventContext.of(Actor.unknown()));
    limits.events().check(event, builder.clock().instant());
  }

  EventBuilder builder() {
    return builder;
  }

  LegacyEventBuilder legacyBuilder() {
    return legacyBuilder;
  }

  PrivacySettings privacy() {
    return privacy;
  }

  FeatureFlags featureFlags() {
    return featureFlags;
  }

  TeeStore store() {
    return store;
  }

  RecordingLimits limits() {
    return limits;
  }

  CatalogSource catalog() {
    return catalog;
  }
}
