package dev.tally.recordevent;

import com.zaxxer.hikari.HikariDataSource;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.record.EventRecorder;
import dev.tally.store.AccessTokens;
import dev.tally.store.DataSources;
import dev.tally.store.ExportQueue;
import dev.tally.store.FeatureFlags;
import dev.tally.store.TeeStore;
import java.time.Clock;
import javax.sql.DataSource;

/** Everything a record-event instance needs, created once per instance. */
final class RecordEventService {
  private final AccessTokens tokens;
  private final FeatureFlags featureFlags;
  private final TelemetryGraphQl graphQl;

  RecordEventService(RecordEventConfig config, DataSource dataSource, Clock clock) {
    this.tokens = new AccessTokens(dataSource, clock);
    this.featureFlags = new FeatureFlags(dataSource);
    EventRecorder recorder =
        new EventRecorder(
            new EventBuilder(clock, config.telemetry().serverVersion()),
            featureFlags,
            new TeeStore(dataSource, config.telemetry().redactor()),
            config.limits());
    this.graphQl = new TelemetryGraphQl(recorder, new ExportQueue(dataSource, clock));
  }

  /** The service of a deployed instance: a connection pool from the configuration. */
  static RecordEventService create(RecordEventConfig config) {
    HikariDataSource dataSource = DataSources.pooled(config.database(), "record-event");
    Runtime.getRuntime().addShutdownHook(new Thread(dataSource::close, "close-pool"));
    return new RecordEventService(config, dataSource, Clock.systemUTC());
  }

  /**
   * Runs what the first request would run for the first time, without writing anything: opens the
   * database connections, runs the read queries, executes a GraphQL query.
   */
  void warmUp() {
    tokens.authenticate("warm-up-token-that-matches-nothing");
    featureFlags.evaluate(Actor.unknown());
    graphQl.execute(
        "{ __typename }",
        null,
        java.util.Map.of(),
        new RequestContext(Actor.unknown(), false, null, null),
        new GraphQlOutcome());
  }

  AccessTokens tokens() {
    return tokens;
  }

  TelemetryGraphQl graphQl() {
    return graphQl;
  }
}
