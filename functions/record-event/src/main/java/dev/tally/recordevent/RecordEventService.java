package dev.tally.recordevent;

import com.google.cloud.functions.HttpRequest;
import com.zaxxer.hikari.HikariDataSource;
import dev.tally.catalogstore.LiveCatalog;
import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.privacy.PrivacySignals;
import dev.tally.ratelimit.Caller;
import dev.tally.ratelimit.CallerLimits;
import dev.tally.ratelimit.RateLimitedException;
import dev.tally.record.EventRecorder;
import dev.tally.redact.Redactor;
import dev.tally.runtime.Lazy;
import dev.tally.store.AccessTokens;
import dev.tally.store.ConsoleSessions;
import dev.tally.store.DataSources;
import dev.tally.store.FeatureFlags;
import dev.tally.store.StoreException;
import dev.tally.store.TeeStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/** Everything a record-event instance needs, created once per instance. */
final class RecordEventService {
  private final AccessTokens tokens;
  private final FeatureFlags featureFlags;

  /**
   * The event catalog in force, read lazily by the first request that may queue events (nothing at
   * cold start); a version applied through this instance is installed here at once ({@link
   * LiveCatalog#applied}).
   */
  private final LiveCatalog catalog;

  private final EventRecorder recorder;
  private final CallerLimits limits;
  private final Authenticator authenticator;
  private final ClientMutation clientMutation;
  private final Lazy<TelemetryGraphQl> graphQl;
  private final DataSource dataSource;
  private final Clock clock;
  private volatile ConsoleSessions consoleSessions;
  private final CountDownLatch firstAnswer = new CountDownLatch(1);

  /** How long the schema's warm-up waits for a first request before it builds anyway. */
  static final Duration GRAPHQL_WARM_UP_DELAY = Duration.ofSeconds(2);

  /**
   * @param limits the instance's rate limits, shared with what counts a request before it reaches
   *     the service ({@link RequestGate})
   */
  RecordEventService(
      RecordEventConfig config, DataSource dataSource, Clock clock, CallerLimits limits) {
    this.dataSource = dataSource;
    this.clock = clock;
    this.tokens = new AccessTokens(dataSource, clock);
    this.featureFlags = new FeatureFlags(dataSource);
    // One set of redaction rules for the queue with and without a catalog.
    Redactor redactor = config.telemetry().redactor();
    this.catalog = new LiveCatalog(dataSource, redactor, clock);
    this.recorder =
        new EventRecorder(
            new EventBuilder(clock, config.telemetry().serverVersion()),
            featureFlags,
            new TeeStore(dataSource, redactor),
            config.limits(),
            config.privacy(),
            catalog);
    this.limits = limits;
    this.authenticator = new Authenticator(config.allowAnonymous(), tokens);
    this.clientMutation = new ClientMutation(recorder, limits);
    this.graphQl =
        new Lazy<>(
            () ->
                new TelemetryGraphQl(
                    recorder,
                    AdminStores.of(dataSource, featureFlags, clock, catalog),
                    limits,
                    config.operationLimits()));
  }

  /** The service of a deployed instance: a connection pool from the configuration. */
  static RecordEventService create(RecordEventConfig config, CallerLimits limits) {
    HikariDataSource dataSource = DataSources.pooled(config.database(), "record-event");
    Runtime.getRuntime().addShutdownHook(new Thread(dataSource::close, "close-pool"));
    return new RecordEventService(config, dataSource, Clock.systemUTC(), limits);
  }

  // The warm-up steps: each runs what the first request would run for the first time, without
  // writing anything. They are independent, so a cold start runs them at once.

  /** Opens a database connection and runs the read queries of a request. */
  void warmUpDatabase() {
    tokens.authenticateWithFlags("warm-up-token-that-matches-nothing");
    featureFlags.evaluate(Actor.unknown());
  }

  /**
   * Builds the GraphQL schema once the first request was answered, or after {@link
   * #GRAPHQL_WARM_UP_DELAY} without one: the clients' mutation needs no schema ({@link
   * ClientMutation}), so the first request does not share the cores with building it.
   */
  void warmUpGraphQlAfterFirstAnswer() {
    try {
      firstAnswer.await(GRAPHQL_WARM_UP_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    warmUpGraphQl();
  }

  /** Notes that a request was answered. */
  void answered() {
    firstAnswer.countDown();
  }

  /** Builds the GraphQL schema and executes a query. */
  void warmUpGraphQl() {
    graphQl
        .get()
        .execute(
            new GraphQlRequest("{ __typename }", null, Map.of()),
            new RequestContext(
                Actor.unknown(), false, null, null, Caller.UNKNOWN_ADDRESS, PrivacySignals.NONE));
  }

  /** Builds an event as a request would, storing nothing. */
  void warmUpEvents() {
    recorder.warmUp();
  }

  CallerLimits limits() {
    return limits;
  }

  /** The console's sessions, created with the console's first request, never for recording. */
  ConsoleSessions consoleSessions() {
    ConsoleSessions sessions = consoleSessions;
    if (sessions == null) {
      // Holds nothing but the pool and the clock: two made at once are as good as one.
      sessions = new ConsoleSessions(dataSource, clock);
      consoleSessions = sessions;
    }
    return sessions;
  }

  /**
   * Runs one GraphQL request, the function's and the console's alike, cheapest step first:
   *
   * <ol>
   *   <li>checks the caller's credentials: what is looked up ({@link Credentials#lookedUp}) is
   *       looked up only while the address's refused lookups have not spent their budget, and one
   *       refused counts against it;
   *   <li>counts the request against the caller's requests;
   *   <li>reads the request ({@code reader}: the function reads and counts its body here);
   *   <li>executes it: the clients' mutation with valid events without the engine ({@link
   *       ClientMutation}), anything else through it.
   * </ol>
   *
   * @param address the caller of the request as an anonymous one, by its address
   * @throws RateLimitedException over a budget (the reader's bytes included); nothing ran
   * @throws UnauthenticatedException when the credentials are refused
   * @throws StoreException when the database fails outside GraphQL: checking the credentials, or
   *     storing the clients' mutation
   * @throws IOException when reading the request fails
   */
  GraphQlAnswer execute(
      HttpRequest request, Caller address, Credentials credentials, RequestReader reader)
      throws IOException {
    RequestContext context = authenticate(request, address, credentials);
    limits.request(context.caller());
    return execute(reader.read(context), context);
  }

  private RequestContext authenticate(
      HttpRequest request, Caller address, Credentials credentials) {
    if (!credentials.lookedUp()) {
      return credentials.authenticate(authenticator, request, address);
    }
    limits.tokenLookup(address);
    try {
      return credentials.authenticate(authenticator, request, address);
    } catch (UnauthenticatedException e) {
      if (e.lookedUp()) {
        limits.failedAuthentication(address);
      }
      throw e;
    }
  }

  /** Executes a request whose caller was admitted. */
  private GraphQlAnswer execute(GraphQlRequest request, RequestContext context) {
    return clientMutation
        .record(request, context)
        .orElseGet(() -> graphQl.get().execute(request, context));
  }
}
