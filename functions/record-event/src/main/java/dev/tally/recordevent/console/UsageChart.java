package dev.tally.recordevent.console;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The events-per-day chart as SVG geometry: one stacked bar per day, a segment per top feature and
 * one for the rest, with the axes' ticks and labels. The template draws it; the same numbers are in
 * a table beside it.
 */
final class UsageChart {
  static final int WIDTH = 760;
  static final int HEIGHT = 260;
  private static final int LEFT = 56;
  private static final int RIGHT = 12;
  private static final int TOP = 12;
  private static final int BOTTOM = 36;

  /** Colour classes of the segments in order; the last is for the other features. */
  static final int SERIES = 6;

  private UsageChart() {}

  /** One day: its total and its events per feature, in the order of the features. */
  record Day(String day, long events, List<Long> byFeature, long other) {}

  /**
   * The chart's scope for the template: {@code width}, {@code height}, {@code bars} (each with
   * {@code day}, {@code events} and {@code segments}), {@code yTicks}, {@code xLabels}, {@code
   * legend}.
   */
  static Map<String, Object> of(List<String> features, List<Day> days) {
    long max = 1;
    for (Day day : days) {
      max = Math.max(max, day.events());
    }
    // Four steps of a round size, so that every tick is a whole number of events.
    long step = niceCeiling((max + 3) / 4);
    long top = step * 4;
    double plotWidth = WIDTH - LEFT - RIGHT;
    double plotHeight = HEIGHT - TOP - BOTTOM;
    double slot = plotWidth / Math.max(1, days.size());
    double barWidth = Math.max(1, slot * 0.8);
    int labelEvery = days.size() <= 10 ? 1 : (int) Math.ceil(days.size() / 8.0);

    List<Map<String, Object>> bars = new ArrayList<>();
    List<Map<String, Object>> xLabels = new ArrayList<>();
    for (int i = 0; i < days.size(); i++) {
      Day day = days.get(i);
      double x = LEFT + i * slot + (slot - barWidth) / 2;
      double base = TOP + plotHeight;
      List<Map<String, Object>> segments = new ArrayList<>();
      for (int f = 0; f <= features.size(); f++) {
        boolean other = f == features.size();
        long events = other ? day.other() : day.byFeature().get(f);
        if (events == 0) {
          continue;
        }
        double height = plotHeight * events / top;
        base -= height;
        Map<String, Object> segment = new LinkedHashMap<>();
        segment.put("x", number(x));
        segment.put("y", number(base));
        segment.put("width", number(barWidth));
        segment.put("height", number(height));
        segment.put("series", other ? SERIES - 1 : f % (SERIES - 1));
        segment.put(
            "title",
            day.day() + ", " + (other ? "other features" : features.get(f)) + ": " + events);
        segments.add(segment);
      }
      Map<String, Object> bar = new LinkedHashMap<>();
      bar.put("day", day.day());
      bar.put("events", day.events());
      bar.put("segments", segments);
      bars.add(bar);
      if (i % labelEvery == 0) {
        xLabels.add(
            Map.of(
                "x",
                number(x + barWidth / 2),
                "y",
                HEIGHT - BOTTOM + 16,
                "label",
                day.day().substring(5)));
      }
    }
    List<Map<String, Object>> yTicks = new ArrayList<>();
    for (int t = 0; t <= 4; t++) {
      long value = step * t;
      double y = TOP + plotHeight - plotHeight * t / 4;
      yTicks.add(Map.of("y", number(y), "labelY", number(y + 4), "label", String.valueOf(value)));
    }
    List<Map<String, Object>> legend = new ArrayList<>();
    for (int f = 0; f < features.size(); f++) {
      legend.add(Map.of("series", f % (SERIES - 1), "name", features.get(f)));
    }
    legend.add(Map.of("series", SERIES - 1, "name", "other features"));

    Map<String, Object> chart = new LinkedHashMap<>();
    chart.put("width", WIDTH);
    chart.put("height", HEIGHT);
    chart.put("left", LEFT);
    chart.put("right", WIDTH - RIGHT);
    chart.put("bottom", TOP + plotHeight);
    chart.put("bars", bars);
    chart.put("yTicks", yTicks);
    chart.put("xLabels", xLabels);
    chart.put("legend", legend);
    return chart;
  }

  /** The smallest of 1, 2 or 5 times a power of ten at least {@code value}. */
  static long niceCeiling(long value) {
    long power = 1;
    while (true) {
      for (long step : new long[] {1, 2, 5}) {
        if (step * power >= value) {
          return step * power;
        }
      }
      power *= 10;
    }
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }
}
