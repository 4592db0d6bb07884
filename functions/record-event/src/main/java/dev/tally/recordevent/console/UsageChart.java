package dev.tally.recordevent.console;

import dev.tally.recordevent.console.ConsoleBackend.DayEvents;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The events-per-day chart as SVG geometry: one stacked bar per day, a segment per top feature and
 * one for the rest, with the axes' ticks and labels. The template draws it; the same numbers are in
 * a table beside it.
 *
 * @param width the drawing's width in pixels
 * @param height its height
 * @param left where the plot starts, right of the y axis' labels
 * @param right where the plot ends
 * @param bottom the x axis' line
 */
record UsageChart(
    int width,
    int height,
    int left,
    int right,
    double bottom,
    List<Bar> bars,
    List<YTick> yTicks,
    List<XLabel> xLabels,
    List<LegendEntry> legend) {
  static final int WIDTH = 760;
  static final int HEIGHT = 260;
  private static final int LEFT = 56;
  private static final int RIGHT = 12;
  private static final int TOP = 12;
  private static final int BOTTOM = 36;

  /** Colour classes of the segments in order; the last is for the other features. */
  static final int SERIES = 6;

  /** One day's bar: its segments from the bottom up. */
  record Bar(String day, long events, List<Segment> segments) {}

  /**
   * A feature's part of a bar; coordinates with one decimal.
   *
   * @param series the colour class
   * @param title what hovering over it says
   */
  record Segment(String x, String y, String width, String height, int series, String title) {}

  /** A line across the plot at a number of events, and its label. */
  record YTick(String y, String labelY, String label) {}

  /** A day's label under the x axis. */
  record XLabel(String x, int y, String label) {}

  /** A colour and the feature it stands for. */
  record LegendEntry(int series, String name) {}

  /** The chart of {@code days}, split by {@code features} (in the order of each day's split). */
  static UsageChart of(List<String> features, List<DayEvents> days) {
    long max = 1;
    for (DayEvents day : days) {
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

    List<Bar> bars = new ArrayList<>();
    List<XLabel> xLabels = new ArrayList<>();
    for (int i = 0; i < days.size(); i++) {
      DayEvents day = days.get(i);
      double x = LEFT + i * slot + (slot - barWidth) / 2;
      double base = TOP + plotHeight;
      List<Segment> segments = new ArrayList<>();
      for (int f = 0; f <= features.size(); f++) {
        boolean other = f == features.size();
        long events = other ? day.other() : day.byFeature().get(f);
        if (events == 0) {
          continue;
        }
        double height = plotHeight * events / top;
        base -= height;
        segments.add(
            new Segment(
                number(x),
                number(base),
                number(barWidth),
                number(height),
                other ? SERIES - 1 : f % (SERIES - 1),
                day.day() + ", " + (other ? "other features" : features.get(f)) + ": " + events));
      }
      bars.add(new Bar(day.day(), day.events(), segments));
      if (i % labelEvery == 0) {
        xLabels.add(
            new XLabel(number(x + barWidth / 2), HEIGHT - BOTTOM + 16, day.day().substring(5)));
      }
    }
    List<YTick> yTicks = new ArrayList<>();
    for (int t = 0; t <= 4; t++) {
      long value = step * t;
      double y = TOP + plotHeight - plotHeight * t / 4;
      yTicks.add(new YTick(number(y), number(y + 4), String.valueOf(value)));
    }
    List<LegendEntry> legend = new ArrayList<>();
    for (int f = 0; f < features.size(); f++) {
      legend.add(new LegendEntry(f % (SERIES - 1), features.get(f)));
    }
    legend.add(new LegendEntry(SERIES - 1, "other features"));
    return new UsageChart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP + plotHeight, bars, yTicks, xLabels, legend);
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
