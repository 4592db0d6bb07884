package dev.tally.catalogstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogEntry;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.Policy;
import dev.tally.catalog.Status;
import dev.tally.json.Json;
import dev.tally.log.JsonLog;
import dev.tally.redact.Redactor;
import dev.tally.redact.SensitiveMetadataAllowlist;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The catalog in force as recording reads it, against a real PostgreSQL: read lazily, read again
 * after the interval (the clock moved, never waited for), only the version number unless it
 * changed, and the rules kept when the database fails.
 */
@ExtendWith(PostgresExtension.class)
class LiveCatalogTest {
  private static final Redactor REDACTOR =
      new Redactor(Redactor.Mode.ALLOWLISTED_ONLY, SensitiveMetadataAllowlist.builtIn());

  private final TestDatabase db;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T12:00:00Z"));
  private final Database database;
  private final LiveCatalog catalog;

  LiveCatalogTest(TestDatabase db) {
    this.db = db;
    this.database = new Database(db.dataSource());
    this.catalog = new LiveCatalog(database.dataSource, REDACTOR, clock);
  }

  @BeforeEach
  void noVersions() {
    db.execute("TRUNCATE event_catalog_versions");
  }

  @Test
  void current_withNoVersionApplied_isNoCatalog_afterOneQuery_madeWhenFirstAsked() {
    assertEquals(0, database.connections.get(), "nothing is read before it is asked for");

    CatalogRules rules = catalog.current();

    assertEquals(0, rules.version());
    assertEquals(Catalog.NONE, rules.catalog());
    assertEquals(1, database.connections.get());
    catalog.current();
    assertEquals(1, database.connections.get(), "within the interval, nothing more is read");
  }

  @Test
  void current_picksUpANewVersionOnceTheIntervalPassed() {
    apply(1, catalogPlanning("search", "submitted"));
    assertEquals(1, catalog.current().version());
    apply(2, catalogPlanning("search", "clicked"));

    clock.advance(LiveCatalog.REFRESH_INTERVAL.minusMillis(1));
    assertEquals(1, catalog.current().version(), "the rules in force stay for the interval");
    clock.advance(Duration.ofMillis(1));
    CatalogRules rules = catalog.current();

    assertEquals(2, rules.version());
    assertNotNull(rules.match("search", "clicked"));
    assertNull(rules.match("search", "submitted"));
    assertEquals(Policy.EventMode.HOLD, rules.catalog().policy().unplannedEvents());
  }

  @Test
  void current_readsTheDocumentAgainOnlyWhenTheVersionChanged() {
    apply(1, catalogPlanning("search", "submitted"));
    CatalogRules first = catalog.current();
    // Versions are never changed in place; were this one read again, the rules would change.
    db.execute(
        "UPDATE event_catalog_versions SET document = '"
            + Json.write(catalogPlanning("other", "thing").toJson())
            + "'::jsonb");

    clock.advance(LiveCatalog.REFRESH_INTERVAL);
    assertSame(first, catalog.current());
    assertEquals(2, database.connections.get(), "the version number was read again");
  }

  @Test
  void current_keepsTheRulesInForce_andWarnsOnce_whileTheDatabaseFails() {
    apply(1, catalogPlanning("search", "submitted"));
    CatalogRules first = catalog.current();
    database.failing = true;
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    try (JsonLog.Scope scope =
        JsonLog.writingTo(new PrintStream(log, true, StandardCharsets.UTF_8))) {
      clock.advance(LiveCatalog.REFRESH_INTERVAL);
      assertSame(first, catalog.current());
      clock.advance(LiveCatalog.REFRESH_INTERVAL);
      assertSame(first, catalog.current());
      assertEquals(3, database.connections.get(), "tried again after the interval, not sooner");

      database.failing = false;
      apply(2, catalogPlanning("search", "clicked"));
      clock.advance(LiveCatalog.REFRESH_INTERVAL);
      assertEquals(2, catalog.current().version());
    }

    List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), log.toString(StandardCharsets.UTF_8));
    assertTrue(lines.get(0).contains("\"severity\":\"WARNING\""), lines.get(0));
    assertTrue(lines.get(0).contains("could not read the version in force"), lines.get(0));
    assertTrue(lines.get(0).contains("\"versionInForce\":1"), lines.get(0));
    assertTrue(lines.get(1).contains("read again"), lines.get(1));
  }

  @Test
  void current_withTheDatabaseDownFromTheStart_isNoCatalog_untilItAnswers() {
    database.failing = true;
    try (JsonLog.Scope scope = JsonLog.writingTo(new PrintStream(new ByteArrayOutputStream()))) {
      assertEquals(0, catalog.current().version());
    }
    database.failing = false;
    apply(4, catalogPlanning("search", "submitted"));
    clock.advance(LiveCatalog.REFRESH_INTERVAL);

    assertEquals(4, catalog.current().version());
  }

  @Test
  void current_keepsTheRulesInForce_whenTheNewestDocumentCannotBeRead() {
    apply(1, catalogPlanning("search", "submitted"));
    CatalogRules first = catalog.current();
    db.execute(
        "INSERT INTO event_catalog_versions (version, applied_at, applied_by, document, source,"
            + " diff) VALUES (2, now(), 'test', '{\"events\": [{\"feature\": 3}]}', '', '{}')");
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    try (JsonLog.Scope scope =
        JsonLog.writingTo(new PrintStream(log, true, StandardCharsets.UTF_8))) {
      clock.advance(LiveCatalog.REFRESH_INTERVAL);
      assertSame(first, catalog.current());
    }

    assertTrue(
        log.toString(StandardCharsets.UTF_8).contains("events[0].feature"),
        log.toString(StandardCharsets.UTF_8));
  }

  @Test
  void applied_installsTheVersionAtOnce_butNeverGoesBack() {
    apply(1, catalogPlanning("search", "submitted"));
    catalog.current();
    int reads = database.connections.get();

    catalog.applied(3, catalogPlanning("search", "clicked"));
    assertEquals(3, catalog.current().version());
    assertNotNull(catalog.current().match("search", "clicked"));
    catalog.applied(2, catalogPlanning("search", "other"));
    assertEquals(3, catalog.current().version(), "an older version that lost a race is ignored");
    assertEquals(reads, database.connections.get(), "installing reads nothing");
  }

  @Test
  void current_whileOneRequestReads_theOthersGoOnWithTheRulesTheyHave() throws Exception {
    apply(1, catalogPlanning("search", "submitted"));
    CatalogRules first = catalog.current();
    apply(2, catalogPlanning("search", "clicked"));
    clock.advance(LiveCatalog.REFRESH_INTERVAL);
    CountDownLatch release = database.blockNext = new CountDownLatch(1);
    CountDownLatch reading = database.reading = new CountDownLatch(1);

    CompletableFuture<CatalogRules> refreshing = CompletableFuture.supplyAsync(catalog::current);
    assertTrue(reading.await(30, TimeUnit.SECONDS), "the first request reads");
    CatalogRules meanwhile = assertTimeoutPreemptively(Duration.ofSeconds(30), catalog::current);
    release.countDown();

    assertSame(first, meanwhile, "another request did not wait, nor read");
    assertEquals(2, refreshing.get(30, TimeUnit.SECONDS).version());
    assertEquals(2, catalog.current().version());
  }

  // ------------------------------------------------------------------ helpers

  private static Catalog catalogPlanning(String feature, String action) {
    return new Catalog(
        new Policy(Policy.EventMode.HOLD, Policy.KeyMode.OFF, Policy.KeyMode.OFF),
        List.of(
            new CatalogEntry(
                feature, action, Status.APPROVED, null, null, null, Map.of(), Map.of(), null)));
  }

  private void apply(int version, Catalog catalog) {
    try (Connection connection = db.dataSource().getConnection();
        PreparedStatement insert =
            connection.prepareStatement(
                "INSERT INTO event_catalog_versions (version, applied_at, applied_by, document,"
                    + " source, diff) VALUES (?, now(), 'test', ?::jsonb, '', '{}')")) {
      insert.setInt(1, version);
      insert.setString(2, Json.write(catalog.toJson()));
      insert.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The test database, counting the connections taken; it can refuse them, as a database that is
   * down does, or hold the next one until released.
   */
  private static final class Database {
    final AtomicInteger connections = new AtomicInteger();
    final DataSource dataSource;
    volatile boolean failing;
    volatile CountDownLatch blockNext;
    volatile CountDownLatch reading;

    Database(DataSource real) {
      this.dataSource =
          (DataSource)
              Proxy.newProxyInstance(
                  DataSource.class.getClassLoader(),
                  new Class<?>[] {DataSource.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                      connections.incrementAndGet();
                      CountDownLatch block = blockNext;
                      if (block != null) {
                        blockNext = null;
                        reading.countDown();
                        block.await(30, TimeUnit.SECONDS);
                      }
                      if (failing) {
                        throw new SQLTransientConnectionException("the database is down", "08001");
                      }
                    }
                    try {
                      return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
    }
  }
}
