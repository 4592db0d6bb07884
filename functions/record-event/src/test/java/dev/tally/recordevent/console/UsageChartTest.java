package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UsageChartTest {
  @ParameterizedTest
  @CsvSource({"1,1", "2,2", "3,5", "7,10", "10,10", "11,20", "4001,5000"})
  void niceCeiling_isTheNextOneTwoOrFiveTimesAPowerOfTen(long value, long ceiling) {
    assertEquals(ceiling, UsageChart.niceCeiling(value));
  }

  @Test
  void ticks_areWholeEventsAndTheTallestBarFitsUnderTheTop() {
    UsageChart chart =
        UsageChart.of(
            List.of("search"),
            List.of(
                new ConsoleBackend.DayEvents("2024-05-01", 4, List.of(3L), 1),
                new ConsoleBackend.DayEvents("2024-05-02", 0, List.of(0L), 0)));

    assertEquals(
        List.of("0", "1", "2", "3", "4"),
        chart.yTicks().stream().map(UsageChart.YTick::label).toList());
    List<UsageChart.Segment> segments = chart.bars().get(0).segments();
    double height = segments.stream().mapToDouble(s -> Double.parseDouble(s.height())).sum();
    // The plot is 212 pixels high: 4 events of a top of 4 fill it.
    assertEquals(212.0, height, 0.2);
    assertEquals(List.of(), chart.bars().get(1).segments());
  }
}
