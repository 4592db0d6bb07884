package dev.tally.store;

import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Policy;
import dev.tally.catalog.Verdict;
import dev.tally.event.MarketingField;
import dev.tally.event.PrivateMetadata;
import dev.tally.json.Json;
import dev.tally.legacy.LegacyEvent;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.redact.FieldPaths;
import dev.tally.redact.Redactor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Stores recorded events in both places at once: every event in {@code event_logs}, and the
 * redacted event in the export queue when export is on for its user and nothing keeps it local.
 * Both writes share one transaction, so an event is in both tables or in neither. Events of the
 * pre-V2 mutations ({@link LegacyEvent}) go to {@code event_logs} only, in the same transaction.
 *
 * <p>The event catalog in force ({@link CatalogRules}) judges each event that would be queued: an
 * event it holds goes to {@code held_events} (as built, unredacted) instead of the queue, and its
 * {@code event_logs} row says {@link KeptLocal#UNPLANNED}; any other is queued as the catalog's
 * exported copy ({@link CatalogRules#exportedCopy}); what the catalog did or would do is written to
 * {@code event_logs.catalog_outcome}. Still one transaction, and one batch per table.
 */
public final class TeeStore {
  /** The {@code source} of events recorded by the server's own code. */
  public static final String BACKEND_SOURCE = "BACKEND";

  /** The {@code anonymous_user_id} of events whose user is not known. */
  public static final String UNKNOWN_USER = "unknown";

  /** The marketing columns, one per {@link MarketingField}, as {@link #setTracking} binds them. */
  private static final String MARKETING_COLUMNS =
      Arrays.stream(MarketingField.values())
          .map(MarketingField::column)
          .collect(Collectors.joining(", "));

  private static final String MARKETING_VALUES =
      String.join(", ", Collections.nCopies(MarketingField.values().length, "?"));

  private static final String INSERT_EVENT_LOG =
      """
      INSERT INTO event_logs (
          event_id, name, feature, action, timestamp, user_id, anonymous_user_id, source, client,
          version, public_argument, argument, feature_flags, billing_product_category,
          interaction_id, %s, kept_local_reason, catalog_outcome)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, %s, ?, ?::jsonb)
      """
          .formatted(MARKETING_COLUMNS, MARKETING_VALUES);

  /** A legacy event has a name but no V2 feature and action: the rollups count it by its name. */
  private static final String INSERT_LEGACY_EVENT_LOG =
      """
      INSERT INTO event_logs (
          event_id, name, timestamp, user_id, anonymous_user_id, source, version, public_argument,
          argument, feature_flags, interaction_id, %s, kept_local_reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, %s, ?)
      """
          .formatted(MARKETING_COLUMNS, MARKETING_VALUES);

  private static final String INSERT_QUEUE =
      "INSERT INTO telemetry_events_export_queue"
          + " (id, timestamp, payload_pb, user_key, withheld, catalog_version)"
          + " VALUES (?, ?, ?, ?, ?, ?)";

  private static final String INSERT_HELD =
      "INSERT INTO held_events (event_id, timestamp, feature, action, user_key, payload_pb)"
          + " VALUES (?, ?, ?, ?, ?, ?)";

  private final DataSource dataSource;
  private final Redactor redactor;
  private final CatalogRules noCatalog;

  public TeeStore(DataSource dataSource, Redactor redactor) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.redactor = Objects.requireNonNull(redactor, "redactor");
    this.noCatalog = CatalogRules.none(redactor);
  }

  /** The redaction rules of the events this store queues when no catalog is given. */
  public Redactor redactor() {
    return redactor;
  }

  /**
   * Stores a batch of events in one transaction and returns after it committed.
   *
   * @param events events built by {@link dev.tally.event.EventBuilder}, with UUID IDs
   * @param queueForExport whether the redacted events also go to the export queue
   * @throws StoreException when the batch could not be stored; then none of it is
   */
  public void store(List<Event> events, boolean queueForExport) {
    store(events, null, queueForExport, List.of());
  }

  /**
   * Stores the events of one request in one transaction, with no event catalog (the redaction rules
   * alone decide what leaves), and returns after it committed.
   *
   * @see #store(List, KeptLocal, boolean, List, CatalogRules)
   */
  public void store(
      List<Event> events,
      KeptLocal keptLocal,
      boolean queueForExport,
      List<LegacyEvent> legacyEvents) {
    store(events, keptLocal, queueForExport, legacyEvents, noCatalog);
  }

  /**
   * Stores the events of one request in one transaction and returns after it committed.
   *
   * @param events events built by {@link dev.tally.event.EventBuilder}, with UUID IDs
   * @param keptLocal why {@code events} stay on the instance, or {@code null}
   * @param queueForExport whether {@code events} may also go to the export queue, as the catalog
   *     lets them; never with a {@code keptLocal} reason
   * @param legacyEvents events of the pre-V2 mutations: {@code event_logs} only, marked {@link
   *     KeptLocal#LEGACY}
   * @param catalog the catalog in force for the whole request (its redaction rules included):
   *     judges each of {@code events} when they may be queued, else is not used
   * @throws StoreException when they could not be stored; then none of them is
   */
  public void store(
      List<Event> events,
      KeptLocal keptLocal,
      boolean queueForExport,
      List<LegacyEvent> legacyEvents,
      CatalogRules catalog) {
    if (keptLocal != null && queueForExport) {
      throw new IllegalArgumentException("an event kept local (" + keptLocal + ") is not queued");
    }
    Objects.requireNonNull(catalog, "catalog");
    if (events.isEmpty() && legacyEvents.isEmpty()) {
      return;
    }
    // Judged before the transaction: it holds its locks no longer than the inserts take.
    Judged judged = queueForExport && !events.isEmpty() ? judge(events, catalog) : null;
    Jdbc.inTransaction(
        dataSource,
        "store " + (events.size() + legacyEvents.size()) + " event(s)",
        connection -> {
          if (!events.isEmpty()) {
            insertEventLogs(connection, events, keptLocal, judged);
            if (judged != null) {
              if (!judged.queued().isEmpty()) {
                insertQueue(connection, judged.queued(), catalogVersion(catalog));
              }
              if (!judged.held().isEmpty()) {
                insertHeld(connection, judged.held());
              }
            }
          }
          if (!legacyEvents.isEmpty()) {
            insertLegacyEventLogs(connection, legacyEvents);
          }
          return null;
        });
  }

  /**
   * Whose event a queued row is, as the usage rollups name users: {@code u:<user id>}, {@code
   * a:<anonymous user id>}, or empty for an event of no known user.
   */
  public static String userKey(Long userId, String anonymousUserId) {
    if (userId != null) {
      return "u:" + userId;
    }
    return anonymousUserId != null ? "a:" + anonymousUserId : "";
  }

  /** Whose event it is, as {@link #userKey(Long, String)} names users. */
  public static String userKey(Event event) {
    return userKey(
        event.getUser().hasUserId() ? event.getUser().getUserId() : null,
        event.getUser().hasAnonymousUserId() ? event.getUser().getAnonymousUserId() : null);
  }

  /**
   * What the catalog does with a request's events that may be queued: for each (in order) the
   * {@code catalog_outcome} to write (JSON, or null) and whether it is held; the events to queue,
   * with their exported copies; the events to hold.
   */
  private record Judged(
      String[] outcomes, boolean[] isHeld, List<QueuedCopy> queued, List<Event> held) {}

  /**
   * An event to queue, the bytes of its exported copy, and the field paths the copy withholds
   * ({@link FieldPaths#withheld}, or null for none).
   */
  private record QueuedCopy(Event event, byte[] payload, String[] withheld) {
    static QueuedCopy of(Event event, Event exported) {
      return new QueuedCopy(event, exported.toByteArray(), FieldPaths.withheld(event, exported));
    }
  }

  /**
   * The {@code catalog_version} of the events a catalog judged: its version, or null when none is
   * in force.
   */
  public static Integer catalogVersion(CatalogRules catalog) {
    return catalog.version() == 0 ? null : Math.toIntExact(catalog.version());
  }

  /** The {@code withheld} column's value of paths ({@link FieldPaths#withheld}). */
  public static Jdbc.SqlArray withheldColumn(String[] withheld) {
    return withheld == null ? null : new Jdbc.SqlArray("text", withheld);
  }

  private static Judged judge(List<Event> events, CatalogRules catalog) {
    String[] outcomes = new String[events.size()];
    boolean[] isHeld = new boolean[events.size()];
    List<QueuedCopy> queued = new ArrayList<>(events.size());
    List<Event> held = new ArrayList<>(0);
    if (judgesNothing(catalog)) {
      // No entry and every mode off: each verdict would leave the event to the redaction rules and
      // report nothing. Exactly what judging gives, without building the verdicts.
      for (Event event : events) {
        queued.add(QueuedCopy.of(event, catalog.redactor().redact(event)));
      }
      return new Judged(outcomes, isHeld, queued, held);
    }
    // The events of a request are mostly of a few kinds, whose outcomes repeat: each is written
    // once.
    Map<Map<String, Object>, String> written = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      Event event = events.get(i);
      Verdict verdict = catalog.judge(event);
      Map<String, Object> outcome = verdict.toJson(catalog.version());
      outcomes[i] = outcome == null ? null : written.computeIfAbsent(outcome, Json::write);
      if (verdict.held()) {
        isHeld[i] = true;
        held.add(event);
      } else {
        queued.add(QueuedCopy.of(event, catalog.exportedCopy(event, verdict)));
      }
    }
    return new Judged(outcomes, isHeld, queued, held);
  }

  /** Whether the catalog has no entry and every mode off, so that it changes nothing. */
  private static boolean judgesNothing(CatalogRules catalog) {
    return catalog.catalog().entries().isEmpty() && catalog.catalog().policy().equals(Policy.OFF);
  }

  private static void insertQueue(
      Connection connection, List<QueuedCopy> queued, Integer catalogVersion) throws SQLException {
    Jdbc.batch(
        connection,
        INSERT_QUEUE,
        queued,
        copy ->
            new Object[] {
              UUID.fromString(copy.event().getId()),
              timestamp(copy.event()),
              copy.payload(),
              userKey(copy.event()),
              withheldColumn(copy.withheld()),
              catalogVersion
            });
  }

  /** The events the catalog holds, as built (before redaction), one batch. */
  private static void insertHeld(Connection connection, List<Event> held) throws SQLException {
    Jdbc.batch(
        connection,
        INSERT_HELD,
        held,
        event ->
            new Object[] {
              UUID.fromString(event.getId()),
              timestamp(event),
              event.getFeature(),
              event.getAction(),
              userKey(event),
              event.toByteArray()
            });
  }

  /**
   * @param judged what the catalog did with the events, or null when none of them may be queued
   *     (then none has a {@code catalog_outcome})
   */
  private static void insertEventLogs(
      Connection connection, List<Event> events, KeptLocal keptLocal, Judged judged)
      throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(INSERT_EVENT_LOG)) {
      for (int e = 0; e < events.size(); e++) {
        Event event = events.get(e);
        int i = 0;
        insert.setObject(++i, UUID.fromString(event.getId()));
        insert.setString(++i, event.getFeature() + "." + event.getAction());
        insert.setString(++i, event.getFeature());
        insert.setString(++i, event.getAction());
        insert.setTimestamp(++i, timestamp(event));
        if (event.getUser().hasUserId()) {
          insert.setLong(++i, event.getUser().getUserId());
        } else {
          insert.setNull(++i, Types.BIGINT);
        }
        insert.setString(
            ++i,
            event.getUser().hasAnonymousUserId()
                ? event.getUser().getAnonymousUserId()
                : UNKNOWN_USER);
        boolean hasClient = event.getSource().hasClient();
        insert.setString(++i, hasClient ? event.getSource().getClient().getName() : BACKEND_SOURCE);
        insert.setString(++i, hasClient ? client(event) : null);
        insert.setString(++i, event.getSource().getServer().getVersion());
        insert.setString(++i, Json.write(event.getParameters().getMetadataMap()));
        insert.setString(
            ++i,
            event.getParameters().hasPrivateMetadata()
                ? Json.write(PrivateMetadata.toJson(event.getParameters().getPrivateMetadata()))
                : null);
        insert.setString(
            ++i,
            event.hasFeatureFlags() ? Json.write(event.getFeatureFlags().getFlagsMap()) : null);
        insert.setString(
            ++i,
            event.getParameters().hasBillingMetadata()
                ? event.getParameters().getBillingMetadata().getProduct()
                    + ":"
                    + event.getParameters().getBillingMetadata().getCategory()
                : null);
        insert.setString(
            ++i,
            event.getInteraction().hasInteractionId()
                ? event.getInteraction().getInteractionId()
                : null);
        i = setTracking(insert, i, event.getMarketingTracking());
        KeptLocal reason =
            keptLocal != null
                ? keptLocal
                : judged != null && judged.isHeld()[e] ? KeptLocal.UNPLANNED : null;
        insert.setString(++i, reason == null ? null : reason.column());
        insert.setString(++i, judged == null ? null : judged.outcomes()[e]);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  private static void insertLegacyEventLogs(Connection connection, List<LegacyEvent> events)
      throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(INSERT_LEGACY_EVENT_LOG)) {
      for (LegacyEvent event : events) {
        int i = 0;
        insert.setObject(++i, event.id());
        insert.setString(++i, event.name());
        insert.setTimestamp(++i, Timestamp.from(event.timestamp()));
        if (event.userId() != null) {
          insert.setLong(++i, event.userId());
        } else {
          insert.setNull(++i, Types.BIGINT);
        }
        insert.setString(
            ++i, event.anonymousUserId() != null ? event.anonymousUserId() : UNKNOWN_USER);
        insert.setString(++i, event.source());
        insert.setString(++i, event.serverVersion());
        insert.setString(
            ++i, event.publicArgument() == null ? "{}" : Json.write(event.publicArgument()));
        insert.setString(++i, event.argument() == null ? null : Json.write(event.argument()));
        insert.setString(
            ++i, event.featureFlags().isEmpty() ? null : Json.write(flags(event.featureFlags())));
        insert.setString(++i, event.interactionId());
        i = setTracking(insert, i, event.tracking());
        insert.setString(++i, KeptLocal.LEGACY.column());
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /** The {@link #MARKETING_COLUMNS}, after column {@code i}; returns the last column bound. */
  private static int setTracking(PreparedStatement insert, int i, EventMarketingTracking tracking)
      throws SQLException {
    for (MarketingField field : MarketingField.values()) {
      insert.setString(++i, field.valueIn(tracking));
    }
    return i;
  }

  /** Flags as V2 events carry them: {@code "true"} or {@code "false"}, by name. */
  private static Map<String, String> flags(Map<String, Boolean> flags) {
    Map<String, String> values = new TreeMap<>();
    flags.forEach((name, on) -> values.put(name, on ? "true" : "false"));
    return values;
  }

  private static String client(Event event) {
    var client = event.getSource().getClient();
    return client.hasVersion() ? client.getName() + ":" + client.getVersion() : client.getName();
  }

  static Timestamp timestamp(Event event) {
    return Timestamp.from(
        Instant.ofEpochSecond(event.getTimestamp().getSeconds(), event.getTimestamp().getNanos()));
  }
}
