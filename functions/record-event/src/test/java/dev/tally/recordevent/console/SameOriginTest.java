package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SameOriginTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "http://127.0.0.1:8080         | 127.0.0.1:8080          | true",
        "https://tally.example.com     | tally.example.com       | true",
        "https://tally.example.com     | tally.example.com:443   | true",
        "https://TALLY.example.com:443 | tally.example.com       | true",
        "http://[::1]:8080             | [::1]:8080              | true",
        "https://evil.example          | tally.example.com       | false",
        "http://127.0.0.1:9999         | 127.0.0.1:8080          | false",
        "https://tally.example.com.evil.example | tally.example.com | false",
        "null                          | tally.example.com       | false",
        "file:///tmp/page.html         | tally.example.com       | false",
      })
  void check_acceptsOnlyAnOriginOfTheHostTheRequestWentTo(
      String origin, String host, boolean same) {
    assertEquals(
        same, SameOrigin.check(new FakeRequest().header("Origin", origin).header("Host", host)));
  }

  @ParameterizedTest
  @CsvSource({"Origin,https://tally.example.com", "Host,tally.example.com"})
  void check_refusesARequestWithoutBothHeaders(String name, String value) {
    assertEquals(false, SameOrigin.check(new FakeRequest().header(name, value)));
  }
}
