package dev.tally.ratelimit;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Whom a rate limit counts a request against: a signed-in user, or an anonymous caller by the
 * network address it came from. Never the anonymous user ID a client sends, which it can change at
 * will.
 *
 * @param key the bucket's key, such as {@code user:7} or {@code address:203.0.113.9}
 */
public record Caller(String key) {
  /** Anonymous callers whose address is not known share this one bucket. */
  public static final Caller UNKNOWN_ADDRESS = new Caller("address:unknown");

  private static final String USER_PREFIX = "user:";

  /** A signed-in user. */
  public static Caller user(long userId) {
    return new Caller(USER_PREFIX + userId);
  }

  /** Whether this is a signed-in user rather than an address. */
  public boolean signedIn() {
    return key.startsWith(USER_PREFIX);
  }

  /**
   * An anonymous caller by its address as Cloud Run presents it: Google's front end appends the
   * address it received the request from to {@code X-Forwarded-For}, after whatever the client
   * sent. So the caller is the entry {@code trustedProxies} places from the right (a proxy of yours
   * in front, such as an external Application Load Balancer, appends one more). Entries further
   * left are the client's to choose and are ignored. An IPv6 address counts by its /64 network,
   * which one subscriber usually holds whole.
   *
   * @param forwardedFor the {@code X-Forwarded-For} header, or {@code null}
   */
  public static Caller anonymous(String forwardedFor, int trustedProxies) {
    return address(forwardedFor, trustedProxies).map(Caller::new).orElse(UNKNOWN_ADDRESS);
  }

  static Optional<String> address(String forwardedFor, int trustedProxies) {
    if (forwardedFor == null) {
      return Optional.empty();
    }
    String[] entries = forwardedFor.split(",");
    int index = entries.length - 1 - trustedProxies;
    if (index < 0) {
      return Optional.empty();
    }
    String entry = entries[index].trim();
    if (entry.startsWith("[") && entry.endsWith("]")) {
      entry = entry.substring(1, entry.length() - 1);
    }
    if (!InetAddresses.isInetAddress(entry)) {
      return Optional.empty();
    }
    // A literal address: parsed without any name lookup.
    InetAddress address = InetAddresses.forString(entry);
    if (address instanceof Inet4Address) {
      return Optional.of("address:" + address.getHostAddress());
    }
    byte[] network = new byte[8];
    System.arraycopy(address.getAddress(), 0, network, 0, 8);
    return Optional.of("address:" + HexFormat.of().formatHex(network) + "::/64");
  }
}
