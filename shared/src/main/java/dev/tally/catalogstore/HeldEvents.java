package dev.tally.catalogstore;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Verdict;
import dev.tally.log.JsonLog;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.redact.FieldPaths;
import dev.tally.store.Jdbc;
import dev.tally.store.TeeStore;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The events the catalog holds back ({@code held_events}, {@code kept_local_reason = unplanned}),
 * and their release once a version no longer holds them.
 *
 * <p>A release finds which held events the rules no longer hold by their name and UTC day (a
 * verdict holds an event by those alone), then works through them in batches of {@value #BATCH},
 * each in a transaction of its own, so that it never holds long locks and can be stopped and run
 * again at any point ({@code catalog release}): per event, the built event is decoded, judged by
 * the rules and redacted by them ({@link CatalogRules#exportedCopy}); its {@code event_logs} row
 * loses its reason; it is queued for export as recording would have queued it; its held row is
 * deleted. An event whose user opted out of export since it was recorded ({@code export_opt_outs})
 * is not queued: its row is marked {@code opt_out} instead. An event erased meanwhile (its {@code
 * event_logs} row gone) is not queued either: the row of {@code event_logs} is updated first, so an
 * erasure under way is waited for, and one that comes later finds the queued copy by its user.
 */
public final class HeldEvents {
  /** Most held events released in one transaction. */
  public static final int BATCH = 1000;

  /** One batch: claimed so that two releases at once never take the same event. */
  private static final String CLAIM =
      """
      SELECT h.event_id, h.timestamp, h.payload_pb, h.user_key,
             EXISTS (SELECT 1 FROM export_opt_outs o
                     WHERE o.user_id = CASE WHEN h.user_key LIKE 'u:%%'
                                            THEN CAST(substr(h.user_key, 3) AS bigint) END)
                 AS opted_out
      FROM held_events h
      WHERE h.feature = ? AND h.action = ?
        AND CAST(h.timestamp AT TIME ZONE 'UTC' AS date) = ANY (CAST(? AS date[]))
        AND NOT (h.event_id = ANY (?))
      LIMIT %d
      FOR UPDATE OF h SKIP LOCKED
      """;

  private static final String QUEUE =
      "INSERT INTO telemetry_events_export_queue"
          + " (id, timestamp, payload_pb, user_key, withheld, catalog_version)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";

  private final DataSource dataSource;
  private final CatalogVersions versions;
  private final int batch;

  public HeldEvents(DataSource dataSource, CatalogVersions versions) {
    this(dataSource, versions, BATCH);
  }

  HeldEvents(DataSource dataSource, CatalogVersions versions, int batch) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.versions = Objects.requireNonNull(versions, "versions");
    this.batch = batch;
  }

  /**
   * What a release did.
   *
   * @param version the version whose rules released the events
   * @param released events queued for export
   * @param keptOptOut events not queued because their user opted out since
   */
  public record Release(long version, long released, long keptOptOut) {}

  /** How many events are held now. */
  public long count() {
    return Jdbc.queryOne(
            dataSource,
            "count the held events",
            "SELECT count(*) FROM held_events",
            row -> row.getLong(1))
        .orElseThrow();
  }

  /**
   * Queues for export every held event {@code rules} no longer hold, redacted by them; adds the
   * count to what their version released, and writes one audit line (counts only, never whose
   * events).
   *
   * @throws ReleaseFailedException when the database fails, with what was released until then: the
   *     batches done stay done, and releasing again finishes the work
   */
  public Release release(CatalogRules rules) {
    long start = System.nanoTime();
    long released = 0;
    long optedOut = 0;
    RuntimeException failure = null;
    try {
      for (Map.Entry<Name, List<LocalDate>> name : releasable(rules).entrySet()) {
        Set<UUID> skipped = new HashSet<>();
        while (true) {
          Batch done = releaseBatch(rules, name.getKey(), name.getValue(), skipped);
          released += done.released();
          optedOut += done.optedOut();
          if (done.claimed() == 0) {
            break;
          }
        }
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    // The batches committed stay released: counted, and audited, even when a later one failed.
    if (released > 0) {
      try {
        versions.addReleased(rules.version(), released);
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("version", rules.version());
    fields.put("released", released);
    fields.put("keptOptOut", optedOut);
    fields.put("complete", failure == null);
    fields.put("durationMs", (System.nanoTime() - start) / 1_000_000);
    JsonLog.info("held events released", fields);
    Release release = new Release(rules.version(), released, optedOut);
    if (failure != null) {
      throw new ReleaseFailedException(release, failure);
    }
    return release;
  }

  /** A release that stopped part way, with what it had done until then. */
  public static final class ReleaseFailedException extends RuntimeException {
    private final transient Release done;

    ReleaseFailedException(Release done, RuntimeException cause) {
      super(
          "releasing held events stopped after "
              + done.released()
              + " were queued: "
              + cause.getMessage()
              + "; releasing again finishes the work",
          cause);
      this.done = done;
    }

    /** What was released before it stopped. */
    public Release done() {
      return done;
    }
  }

  private record Name(String feature, String action) {}

  /** The days of each held event name that {@code rules} do not hold: one grouped scan. */
  private Map<Name, List<LocalDate>> releasable(CatalogRules rules) {
    Map<Name, List<LocalDate>> names =
        new TreeMap<>(Comparator.comparing(Name::feature).thenComparing(Name::action));
    for (Object[] row :
        Jdbc.query(
            dataSource,
            "find the held events to release",
            "SELECT DISTINCT feature, action, CAST(timestamp AT TIME ZONE 'UTC' AS date)"
                + " FROM held_events",
            r -> new Object[] {r.getString(1), r.getString(2), r.getObject(3, LocalDate.class)})) {
      String feature = (String) row[0];
      String action = (String) row[1];
      LocalDate day = (LocalDate) row[2];
      if (!rules.judge(feature, action, day, Set.of(), Set.of()).held()) {
        names.computeIfAbsent(new Name(feature, action), k -> new ArrayList<>()).add(day);
      }
    }
    return names;
  }

  /** What one batch did: held rows it claimed, events it queued, and kept for an opt-out. */
  private record Batch(int claimed, long released, long optedOut) {}

  private record Held(
      UUID id, Timestamp timestamp, byte[] payload, String userKey, boolean optedOut) {}

  private Batch releaseBatch(
      CatalogRules rules, Name name, List<LocalDate> days, Set<UUID> skipped) {
    List<String> dayTexts = new ArrayList<>(days.size());
    for (LocalDate day : days) {
      dayTexts.add(day.toString());
    }
    return Jdbc.inTransaction(
        dataSource,
        "release a batch of held events",
        connection -> {
          List<Held> claimed =
              Jdbc.query(
                  connection,
                  CLAIM.formatted(batch),
                  row ->
                      new Held(
                          row.getObject(1, UUID.class),
                          row.getTimestamp(2),
                          row.getBytes(3),
                          row.getString(4),
                          row.getBoolean(5)),
                  name.feature(),
                  name.action(),
                  Jdbc.textArray(dayTexts),
                  Jdbc.uuidArray(skipped));
          if (claimed.isEmpty()) {
            return new Batch(0, 0, 0);
          }
          Map<UUID, Held> toQueue = new LinkedHashMap<>();
          Map<UUID, byte[]> copies = new LinkedHashMap<>();
          Map<UUID, String[]> withheld = new HashMap<>();
          List<UUID> toOptOut = new ArrayList<>();
          List<UUID> done = new ArrayList<>();
          for (Held held : claimed) {
            Event event;
            try {
              event = Event.parseFrom(held.payload());
            } catch (InvalidProtocolBufferException e) {
              skip(skipped, held, "its payload cannot be decoded");
              continue;
            }
            Verdict verdict = rules.judge(event);
            if (verdict.held()) {
              // Its stored name or time differs from the built event's: the built event decides.
              skip(skipped, held, "the rules still hold the event as built");
              continue;
            }
            done.add(held.id());
            if (held.optedOut()) {
              toOptOut.add(held.id());
            } else {
              toQueue.put(held.id(), held);
              Event exported = rules.exportedCopy(event, verdict);
              copies.put(held.id(), exported.toByteArray());
              withheld.put(held.id(), FieldPaths.withheld(event, exported));
            }
          }
          // event_logs first: an erasure under way is waited for, and an erased event not queued.
          Set<UUID> present =
              new HashSet<>(
                  Jdbc.query(
                      connection,
                      "UPDATE event_logs SET kept_local_reason = NULL"
                          + " WHERE event_id = ANY (?) AND kept_local_reason = 'unplanned'"
                          + " RETURNING event_id",
                      row -> row.getObject(1, UUID.class),
                      Jdbc.uuidArray(toQueue.keySet())));
          List<Held> queued = new ArrayList<>();
          for (Held held : toQueue.values()) {
            if (present.contains(held.id())) {
              queued.add(held);
            }
          }
          Jdbc.batch(
              connection,
              QUEUE,
              queued,
              held ->
                  new Object[] {
                    held.id(),
                    held.timestamp(),
                    copies.get(held.id()),
                    held.userKey(),
                    TeeStore.withheldColumn(withheld.get(held.id())),
                    TeeStore.catalogVersion(rules)
                  });
          int optedOut =
              toOptOut.isEmpty()
                  ? 0
                  : Jdbc.update(
                      connection,
                      "UPDATE event_logs SET kept_local_reason = 'opt_out'"
                          + " WHERE event_id = ANY (?) AND kept_local_reason = 'unplanned'",
                      Jdbc.uuidArray(toOptOut));
          Jdbc.update(
              connection, "DELETE FROM held_events WHERE event_id = ANY (?)", Jdbc.uuidArray(done));
          return new Batch(claimed.size(), queued.size(), optedOut);
        });
  }

  /** Leaves a held event held for good in this release, and says so (without naming whose). */
  private static void skip(Set<UUID> skipped, Held held, String why) {
    skipped.add(held.id());
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("eventId", held.id().toString());
    JsonLog.warning("held event left held: " + why, fields);
  }
}
