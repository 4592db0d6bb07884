package dev.tally.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CallerTest {
  @ParameterizedTest(name = "''{0}'' with {1} trusted proxies")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "203.0.113.9 | 0 | address:203.0.113.9",
        // Whatever the client sent comes first; Google's front end appends what it saw.
        "1.1.1.1, 203.0.113.9 | 0 | address:203.0.113.9",
        "spoofed, 203.0.113.9 | 0 | address:203.0.113.9",
        // Behind an external load balancer: client, then the balancer's address.
        "1.1.1.1, 203.0.113.9, 130.211.0.1 | 1 | address:203.0.113.9",
        // One subscriber holds a whole /64.
        "2001:db8:1:2:aaaa:bbbb:cccc:dddd | 0 | address:20010db800010002::/64",
        "[2001:db8:1:2::7] | 0 | address:20010db800010002::/64",
        "::ffff:203.0.113.9 | 0 | address:203.0.113.9",
        "NULL | 0 | address:unknown",
        "not-an-address | 0 | address:unknown",
        "example.com | 0 | address:unknown",
        "203.0.113.9 | 1 | address:unknown",
      })
  void anonymousCallers_areKnownByTheAddressGooglesFrontEndSaw(
      String forwardedFor, int trustedProxies, String key) {
    assertEquals(key, Caller.anonymous(forwardedFor, trustedProxies).key());
  }
}
