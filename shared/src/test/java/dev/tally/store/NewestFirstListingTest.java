package dev.tally.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.testing.PostgresExtension;
import dev.tally.testing.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The kit's paging, on a table of its own: what both listings of the export queue rely on. */
@ExtendWith(PostgresExtension.class)
class NewestFirstListingTest {
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

  private final TestDatabase db;

  NewestFirstListingTest(TestDatabase db) {
    this.db = db;
  }

  private record Item(UUID id, Instant doneAt, String label) {}

  private static NewestFirstListing<Item> listing(long pageBytes) {
    return new NewestFirstListing<>(
        "list done items",
        "paging_items",
        "done_at",
        "payload",
        pageBytes,
        "id, done_at, label",
        row ->
            new Item(
                row.getObject(1, UUID.class), Jdbc.instant(row.getTimestamp(2)), row.getString(3)),
        item -> new NewestFirstListing.Cursor(item.doneAt(), item.id()));
  }

  @BeforeEach
  void scratchTable() {
    db.execute(
        "DROP TABLE IF EXISTS paging_items;"
            + " CREATE TABLE paging_items (id uuid PRIMARY KEY, done_at timestamptz,"
            + " label text NOT NULL, payload bytea NOT NULL)");
  }

  private UUID insert(String label, Instant doneAt, int payloadBytes) {
    UUID id = UUID.randomUUID();
    Jdbc.update(
        db.dataSource(),
        "insert an item",
        "INSERT INTO paging_items (id, done_at, label, payload) VALUES (?, ?, ?, ?)",
        id,
        doneAt,
        label,
        new byte[payloadBytes]);
    return id;
  }

  private static List<String> labels(NewestFirstListing.Page<Item> page) {
    return page.nodes().stream().map(Item::label).toList();
  }

  @Test
  void page_listsTheRowsWithTheTimeSetNewestFirstThenByIdAPageAtATime() {
    insert("a", T0, 1);
    insert("b", T0.plusSeconds(1), 1);
    insert("c", T0.plusSeconds(2), 1);
    insert("not done", null, 1);
    // Two rows of the same time: the higher ID first, and neither lost between pages.
    UUID low = new UUID(0, 1);
    UUID high = new UUID(0, 2);
    db.execute(
        "INSERT INTO paging_items VALUES ('"
            + low
            + "', '2024-05-01T10:00:03Z', 'low', ''), ('"
            + high
            + "', '2024-05-01T10:00:03Z', 'high', '')");
    NewestFirstListing<Item> listing = listing(1024);

    List<String> listed = new ArrayList<>();
    List<NewestFirstListing.Page<Item>> pages = new ArrayList<>();
    String after = null;
    do {
      NewestFirstListing.Page<Item> page = listing.page(db.dataSource(), 2, after);
      pages.add(page);
      listed.addAll(labels(page));
      after = page.hasNext() ? page.endCursor() : null;
    } while (after != null);

    assertEquals(List.of("high", "low", "c", "b", "a"), listed);
    assertEquals(3, pages.size());
    assertEquals(5, pages.get(0).total(), "every row with the time set, on every page");
    assertEquals(5, pages.get(2).total());
    assertFalse(pages.get(2).hasNext());
    NewestFirstListing.Page<Item> past = listing.page(db.dataSource(), 2, pages.get(2).endCursor());
    assertTrue(past.nodes().isEmpty());
    assertNull(past.endCursor());
  }

  @Test
  void page_endsEarlyRatherThanReadMoreThanItsBytesButAlwaysHoldsOneRow() {
    insert("small-1", T0, 400);
    insert("huge", T0.plusSeconds(1), 5000);
    insert("small-2", T0.plusSeconds(2), 400);
    insert("small-3", T0.plusSeconds(3), 400);
    NewestFirstListing<Item> listing = listing(1000);

    NewestFirstListing.Page<Item> first = listing.page(db.dataSource(), 10, null);
    NewestFirstListing.Page<Item> second = listing.page(db.dataSource(), 10, first.endCursor());
    NewestFirstListing.Page<Item> third = listing.page(db.dataSource(), 10, second.endCursor());

    assertEquals(List.of("small-3", "small-2"), labels(first));
    assertTrue(first.hasNext());
    assertEquals(List.of("huge"), labels(second), "larger than a page: alone on its own");
    assertEquals(List.of("small-1"), labels(third));
    assertFalse(third.hasNext());
  }

  @Test
  void page_ofNoRows_isEmptyWithoutACursor() {
    NewestFirstListing.Page<Item> page = listing(1024).page(db.dataSource(), 0, null);

    assertTrue(page.nodes().isEmpty());
    assertEquals(0, page.total());
    assertFalse(page.hasNext());
    assertNull(page.endCursor());
  }

  @Test
  void page_refusesANegativeSizeAndACursorItDidNotMake() {
    NewestFirstListing<Item> listing = listing(1024);

    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class, () -> listing.page(db.dataSource(), -1, null));
    IllegalArgumentException foreign =
        assertThrows(
            IllegalArgumentException.class,
            () -> listing.page(db.dataSource(), 2, "bm90LWEtY3Vyc29y"));

    assertEquals("'first' must not be negative, got -1", negative.getMessage());
    assertEquals(
        "'after' must be an endCursor returned by a previous page, got 'bm90LWEtY3Vyc29y'",
        foreign.getMessage());
  }

  @Test
  void cursor_survivesItsTextWithNanoseconds() {
    NewestFirstListing.Cursor cursor =
        new NewestFirstListing.Cursor(
            Instant.parse("2024-05-01T10:00:00.123456789Z"), UUID.randomUUID());

    assertEquals(cursor, NewestFirstListing.Cursor.decode(cursor.encode()));
  }
}
