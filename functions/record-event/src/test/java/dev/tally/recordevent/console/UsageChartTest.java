package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
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
  @SuppressWarnings("unchecked")
  void ticks_areWholeEventsAndTheTallestBarFitsUnderTheTop() {
    Map<String, Object> chart =
        UsageChart.of(
            List.of("search"),
            List.of(
                new UsageChart.Day("2024-05-01", 4, List.of(3L), 1),
                new UsageChart.Day("2024-05-02", 0, List.of(0L), 0)));

    List<Map<String, Object>> ticks = (List<Map<String, Object>>) chart.get("yTicks");
    assertEquals(
        List.of("0", "1", "2", "3", "4"), ticks.stream().map(t -> t.get("label")).toList());
    List<Map<String, Object>> bars = (List<Map<String, Object>>) chart.get("bars");
    List<Map<String, Object>> segments = (List<Map<String, Object>>) bars.get(0).get("segments");
    double height =
        segments.stream().mapToDouble(s -> Double.parseDouble((String) s.get("height"))).sum();
    // The plot is 212 pixels high: 4 events of a top of 4 fill it.
    assertEquals(212.0, height, 0.2);
    assertEquals(List.of(), bars.get(1).get("segments"));
  }
}
