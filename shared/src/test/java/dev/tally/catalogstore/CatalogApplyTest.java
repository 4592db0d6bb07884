package dev.tally.catalogstore;

import static dev.tally.catalogstore.StoredEvents.REDACTOR;
import static dev.tally.catalogstore.StoredEvents.catalog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.catalog.Catalog;
import dev.tally.catalog.CatalogRules;
import dev.tally.catalog.InvalidCatalogException;
import dev.tally.testing.MutableClock;
import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Applying catalog versions: numbering, history, refusal, and applies at the same time. */
@ExtendWith(PostgresExtension.class)
class CatalogApplyTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T12:00:00Z"));
  private final StoredEvents stored;
  private final CatalogApply apply;

  CatalogApplyTest(TestDatabase db) {
    this.stored = new StoredEvents(db, clock);
    this.apply = new CatalogApply(db.dataSource(), clock, REDACTOR, () -> {});
  }

  @BeforeEach
  void reset() {
    stored.reset();
  }

  private static String file(String feature, String action, String status) {
    return "# a comment kept in the source\n{\"policy\": {\"unplannedEvents\": \"hold\"},"
        + " \"events\": [{\"feature\": \""
        + feature
        + "\", \"action\": \""
        + action
        + "\", \"status\": \""
        + status
        + "\"}]}";
  }

  private static CatalogApply.Check json() {
    return (text, previous) -> catalog(text.substring(text.indexOf('\n') + 1));
  }

  @Test
  void apply_storesNumberedVersions_whoAndWhen_andTheVersionInForceIsTheNewest() {
    assertTrue(apply.versions().inForce().isEmpty());
    assertEquals(0, apply.versions().rulesInForce(REDACTOR).version());

    List<CatalogRules> switched = new ArrayList<>();
    CatalogApply.Applied first =
        apply.apply(file("chat", "sent", "proposed"), "user:1", 30, json(), switched::add);
    clock.advance(Duration.ofMinutes(5));
    CatalogApply.Applied second =
        apply.apply(file("chat", "sent", "approved"), "tally-admin:ops", 30, json(), switched::add);

    assertEquals(1, first.version());
    assertEquals(2, second.version());
    assertEquals(List.of(1L, 2L), switched.stream().map(CatalogRules::version).toList());
    CatalogVersions.AppliedVersion inForce = apply.versions().inForce().orElseThrow();
    assertEquals(2, inForce.version());
    assertEquals("tally-admin:ops", inForce.appliedBy());
    assertEquals(Instant.parse("2026-03-10T12:05:00Z"), inForce.appliedAt());
    assertEquals(file("chat", "sent", "approved"), inForce.source(), "the file as given");
    assertEquals(second.diff(), inForce.diff());
    assertEquals(1, inForce.diff().fromVersion());
    assertEquals(List.of("chat.sent: status proposed -> approved"), inForce.diff().entryChanges());
    assertEquals(
        List.of(2L, 1L),
        apply.versions().newestFirst(20).stream()
            .map(CatalogVersions.AppliedVersion::version)
            .toList());
    assertEquals(1, apply.versions().newestFirst(1).size());
    assertEquals(
        List.of("proposed", "approved"),
        apply.versions().catalogs().stream()
            .map(c -> c.entries().get(0).status().fileName())
            .toList(),
        "every applied catalog, oldest first");
  }

  @Test
  void apply_refusedByTheCheck_storesNothing_andTheCheckSeesEveryVersionBefore() {
    apply.apply(file("chat", "sent", "proposed"), "user:1", 30, json(), r -> {});
    apply.apply(file("chat", "sent", "approved"), "user:1", 30, json(), r -> {});
    AtomicReference<List<Catalog>> seen = new AtomicReference<>();

    InvalidCatalogException refused =
        assertThrows(
            InvalidCatalogException.class,
            () ->
                apply.apply(
                    file("chat", "sent", "approved"),
                    "user:1",
                    30,
                    (text, previous) -> {
                      seen.set(previous);
                      throw new InvalidCatalogException(List.of("events[0].owner: missing"));
                    },
                    r -> {
                      throw new AssertionError("not applied");
                    }));

    assertEquals(List.of("events[0].owner: missing"), refused.problems());
    assertEquals(2, seen.get().size());
    assertEquals("proposed", seen.get().get(0).entries().get(0).status().fileName());
    assertEquals(2, apply.versions().inForce().orElseThrow().version());
  }

  @Test
  void apply_twoAtOnce_getDistinctVersions_eachComparedWithTheVersionItReplaced() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 5; round++) {
        CountDownLatch start = new CountDownLatch(1);
        String a = file("alpha", "round" + "abcde".charAt(round), "approved");
        String b = file("beta", "round" + "abcde".charAt(round), "approved");
        Future<CatalogApply.Applied> first =
            threads.submit(
                () -> {
                  start.await();
                  return apply.apply(a, "user:1", 30, json(), r -> {});
                });
        Future<CatalogApply.Applied> second =
            threads.submit(
                () -> {
                  start.await();
                  return apply.apply(b, "user:2", 30, json(), r -> {});
                });
        start.countDown();
        CatalogApply.Applied one = first.get();
        CatalogApply.Applied two = second.get();

        assertFalse(one.version() == two.version(), one.version() + " twice");
        CatalogApply.Applied earlier = one.version() < two.version() ? one : two;
        CatalogApply.Applied later = one.version() < two.version() ? two : one;
        assertEquals(earlier.version() + 1, later.version());
        assertEquals(earlier.version() - 1, earlier.diff().fromVersion());
        assertEquals(earlier.version(), later.diff().fromVersion());
        String earlierEntry = earlier.applied().catalog().entries().get(0).name();
        String laterEntry = later.applied().catalog().entries().get(0).name();
        assertEquals(
            List.of(laterEntry + ": added (approved)", earlierEntry + ": removed (was approved)"),
            later.diff().entryChanges(),
            "compared with the version it replaced");
      }
    } finally {
      threads.shutdownNow();
    }
    Set<Long> versions = new HashSet<>();
    for (CatalogVersions.AppliedVersion version : apply.versions().newestFirst(100)) {
      versions.add(version.version());
    }
    assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), versions);
  }

  @Test
  void diff_comparesAFileWithTheVersionInForce_storingNothing() {
    apply.apply(file("chat", "sent", "proposed"), "user:1", 30, json(), r -> {});

    CatalogDiff diff = apply.diff(file("chat", "sent", "approved"), 7, json());

    assertEquals(1, diff.fromVersion());
    assertEquals(7, diff.days());
    assertEquals(List.of("chat.sent: status proposed -> approved"), diff.entryChanges());
    assertEquals(1, apply.versions().inForce().orElseThrow().version());
  }
}
