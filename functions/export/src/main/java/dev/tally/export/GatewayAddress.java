package dev.tally.export;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Where the gateway is and how to reach it, from {@code TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR}:
 *
 * <ul>
 *   <li>{@code https://host[:port][/path]}: gRPC-web, the gateway Cloud Function (default);
 *   <li>{@code grpcs://host[:port]}: native gRPC over TLS (port 443 by default);
 *   <li>{@code http://...} and {@code grpc://host:port}: the same without TLS, only on a loopback
 *       address.
 * </ul>
 *
 * @param uri the address as configured
 * @param nativeGrpc whether to use native gRPC rather than gRPC-web
 * @param tls whether the connection is encrypted
 */
public record GatewayAddress(URI uri, boolean nativeGrpc, boolean tls) {

  /**
   * Parses an address.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static GatewayAddress parse(String text) {
    URI uri;
    try {
      uri = URI.create(text.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(
          "the address needs a host, such as https://gateway.example.com");
    }
    GatewayAddress address =
        switch (scheme) {
          case "https" -> new GatewayAddress(uri, false, true);
          case "http" -> new GatewayAddress(uri, false, false);
          case "grpcs" -> new GatewayAddress(uri, true, true);
          case "grpc" -> new GatewayAddress(uri, true, false);
          default ->
              throw new IllegalArgumentException(
                  "the scheme must be https (gRPC-web), grpcs (native gRPC), or http/grpc on a"
                      + " loopback address");
        };
    if (!address.tls() && !isLoopback(uri.getHost())) {
      throw new IllegalArgumentException(
          "unencrypted " + scheme + " is only allowed to a loopback address; use https or grpcs");
    }
    if (address.nativeGrpc() && !address.tls() && uri.getPort() < 0) {
      throw new IllegalArgumentException("a grpc:// address needs a port");
    }
    return address;
  }

  /** The port to connect to. */
  public int port() {
    if (uri.getPort() > 0) {
      return uri.getPort();
    }
    return tls ? 443 : 80;
  }

  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (!bare.matches("[0-9.]+") && !bare.contains(":")) {
      return false; // a name other than localhost: never resolved here, never trusted
    }
    try {
      return InetAddress.getByName(bare).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
