package dev.tally.store;

import dev.tally.event.MarketingField;
import dev.tally.event.PrivateMetadata;
import dev.tally.json.Json;
import dev.tally.legacy.LegacyEvent;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.redact.Redactor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
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
          interaction_id, %s, kept_local_reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, %s, ?)
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
      "INSERT INTO telemetry_events_export_queue (id, timestamp, payload_pb, user_key)"
          + " VALUES (?, ?, ?, ?)";

  private final DataSource dataSource;
  private final Redactor redactor;

  public TeeStore(DataSource dataSource, Redactor redactor) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.redactor = Objects.requireNonNull(redactor, "redactor");
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
   * Stores the events of one request in one transaction and returns after it committed.
   *
   * @param events events built by {@link dev.tally.event.EventBuilder}, with UUID IDs
   * @param keptLocal why {@code events} stay on the instance, or {@code null}
   * @param queueForExport whether the redacted {@code events} also go to the export queue; never
   *     with a {@code keptLocal} reason
   * @param legacyEvents events of the pre-V2 mutations: {@code event_logs} only, marked {@link
   *     KeptLocal#LEGACY}
   * @throws StoreException when they could not be stored; then none of them is
   */
  public void store(
      List<Event> events,
      KeptLocal keptLocal,
      boolean queueForExport,
      List<LegacyEvent> legacyEvents) {
    if (keptLocal != null && queueForExport) {
      throw new IllegalArgumentException("an event kept local (" + keptLocal + ") is not queued");
    }
    if (events.isEmpty() && legacyEvents.isEmpty()) {
      return;
    }
    Jdbc.inTransaction(
        dataSource,
        "store " + (events.size() + legacyEvents.size()) + " event(s)",
        connection -> {
          if (!events.isEmpty()) {
            insertEventLogs(connection, events, keptLocal);
            if (queueForExport) {
              insertQueue(connection, events);
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

  private void insertQueue(Connection connection, List<Event> events) throws SQLException {
    Jdbc.batch(
        connection,
        INSERT_QUEUE,
        events,
        event ->
            new Object[] {
              UUID.fromString(event.getId()),
              timestamp(event),
              redactor.redact(event).toByteArray(),
              userKey(
                  event.getUser().hasUserId() ? event.getUser().getUserId() : null,
                  event.getUser().hasAnonymousUserId()
                      ? event.getUser().getAnonymousUserId()
                      : null)
            });
  }

  private static void insertEventLogs(
      Connection connection, List<Event> events, KeptLocal keptLocal) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(INSERT_EVENT_LOG)) {
      for (Event event : events) {
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
        insert.setString(++i, keptLocal == null ? null : keptLocal.column());
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
