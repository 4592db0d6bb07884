package dev.tally.recordevent.console;

import com.google.cloud.functions.HttpResponse;
import dev.tally.recordevent.console.ConsoleBackend.CatalogCounters;
import dev.tally.recordevent.console.ConsoleBackend.CounterDay;
import dev.tally.recordevent.console.ConsoleBackend.KeyCounter;
import dev.tally.recordevent.console.ConsoleBackend.SignedIn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /console/catalog/counters}: what the catalog did, and would do, to the events of the
 * last 7 or 30 days ({@code ?days=}): per UTC day the events it held and would hold, and the keys
 * it dropped and would drop from exported copies, per event name; the totals of the range first.
 */
final class CatalogCountersPage {
  static final List<Integer> RANGES = List.of(7, 30);
  static final int DEFAULT_RANGE = 30;

  private final ConsoleBackend backend;
  private final Responses responses;

  CatalogCountersPage(ConsoleBackend backend, Responses responses) {
    this.backend = backend;
    this.responses = responses;
  }

  /**
   * The page's view.
   *
   * @param days the range shown
   * @param applied whether a catalog was ever applied
   * @param counting whether a mode of the policy in force counts anything (not every one off)
   * @param held events held over the range, in words
   * @param wouldHold events the catalog would have held over the range, in words
   * @param keys the keys over the range, the most events first
   * @param counted whether anything was counted over the range
   * @param rows every day of the range, newest first
   */
  record View(
      int days,
      List<UsagePage.Range> ranges,
      boolean applied,
      List<CatalogPage.Mode> modes,
      boolean counting,
      String held,
      String wouldHold,
      List<KeyLine> keys,
      boolean counted,
      List<Row> rows,
      CatalogTabs tabs) {}

  /**
   * A day of the table.
   *
   * @param summary {@code would hold N events; held M events}
   */
  record Row(String day, long wouldHold, long held, String summary, List<KeyLine> keys) {}

  /**
   * A key dropped, or that would have been, from the events of one name.
   *
   * @param name {@code feature.action}
   * @param outcome {@code dropped} or {@code would drop}
   * @param kind {@code metadata key} or {@code private-metadata key}
   * @param events how many events, in words
   */
  record KeyLine(String name, String outcome, String kind, String key, String events) {}

  int show(SignedIn session, HttpResponse response) throws IOException {
    int days =
        session
            .request()
            .getFirstQueryParameter("days")
            .filter(d -> d.matches("\\d{1,2}"))
            .map(Integer::parseInt)
            .filter(RANGES::contains)
            .orElse(DEFAULT_RANGE);
    return responses.page(
        response,
        200,
        "catalog-counters",
        Layout.signedIn("Catalog counters", Layout.Nav.CATALOG),
        view(backend.catalogCounters(session, days), days));
  }

  static View view(CatalogCounters counters, int days) {
    List<UsagePage.Range> ranges = new ArrayList<>();
    for (int range : RANGES) {
      ranges.add(new UsagePage.Range(range, range == days));
    }
    long held = 0;
    long wouldHold = 0;
    Map<List<String>, Long> keyTotals = new LinkedHashMap<>();
    List<Row> rows = new ArrayList<>();
    for (CounterDay day : counters.days()) {
      held += day.held();
      wouldHold += day.wouldHold();
      List<KeyLine> keys = new ArrayList<>();
      for (KeyCounter key : sorted(day.keys())) {
        keys.add(line(key, key.events()));
        keyTotals.merge(
            List.of(key.feature(), key.action(), key.kind(), key.key(), key.outcome()),
            key.events(),
            Long::sum);
      }
      rows.add(
          new Row(
              day.day(),
              day.wouldHold(),
              day.held(),
              "would hold "
                  + CatalogWords.events(day.wouldHold())
                  + "; held "
                  + CatalogWords.events(day.held()),
              keys));
    }
    List<KeyCounter> totals = new ArrayList<>();
    keyTotals.forEach(
        (key, events) ->
            totals.add(
                new KeyCounter(
                    key.get(0), key.get(1), key.get(2), key.get(3), key.get(4), events)));
    List<KeyLine> keys = new ArrayList<>();
    for (KeyCounter key : sorted(totals)) {
      keys.add(line(key, key.events()));
    }
    List<CatalogPage.Mode> modes = CatalogPage.modes(counters.policy());
    boolean counting = modes.stream().anyMatch(mode -> !mode.mode().equals("off"));
    return new View(
        days,
        ranges,
        counters.version() > 0,
        modes,
        counting,
        CatalogWords.events(held),
        CatalogWords.events(wouldHold),
        keys,
        held > 0 || wouldHold > 0 || !keys.isEmpty(),
        rows,
        CatalogTabs.at(CatalogTabs.Tab.COUNTERS));
  }

  /** The most events first, then by event name, kind, key and outcome. */
  private static List<KeyCounter> sorted(List<KeyCounter> keys) {
    return keys.stream()
        .sorted(
            Comparator.comparingLong(KeyCounter::events)
                .reversed()
                .thenComparing(KeyCounter::feature)
                .thenComparing(KeyCounter::action)
                .thenComparing(KeyCounter::kind)
                .thenComparing(KeyCounter::key)
                .thenComparing(KeyCounter::outcome))
        .toList();
  }

  private static KeyLine line(KeyCounter key, long events) {
    return new KeyLine(
        key.feature() + "." + key.action(),
        CatalogWords.keyOutcome(key.outcome()),
        CatalogWords.keyKind(key.kind()),
        key.key(),
        CatalogWords.events(events));
  }
}
