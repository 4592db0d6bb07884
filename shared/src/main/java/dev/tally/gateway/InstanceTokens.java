package dev.tally.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The tokens instances authenticate with, each bound to one sender: the instance ID of an instance,
 * or the service ID of a managed service. Only SHA-256 hashes of the tokens are configured.
 */
public final class InstanceTokens {
  private final Map<String, String> senderByHash;

  private InstanceTokens(Map<String, String> senderByHash) {
    this.senderByHash = Map.copyOf(senderByHash);
  }

  /**
   * Parses {@code sender=sha256hex,sender2=sha256hex}, where {@code sha256hex} is the hex SHA-256
   * of the token; blank means no token is accepted.
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  public static InstanceTokens parse(String text) {
    Map<String, String> senderByHash = new HashMap<>();
    if (text != null && !text.isBlank()) {
      for (String entry : text.split(",")) {
        String trimmed = entry.trim();
        int equals = trimmed.lastIndexOf('=');
        String sender = equals < 0 ? "" : trimmed.substring(0, equals).trim();
        String hash = equals < 0 ? "" : trimmed.substring(equals + 1).trim().toLowerCase();
        if (sender.isEmpty() || !hash.matches("[0-9a-f]{64}")) {
          throw new IllegalArgumentException(
              "entry '"
                  + (equals < 0 ? trimmed : sender + "=...")
                  + "' must be INSTANCE_ID=<64 hex digits of the token's SHA-256>");
        }
        if (senderByHash.put(hash, sender) != null) {
          throw new IllegalArgumentException("the token of '" + sender + "' is listed twice");
        }
      }
    }
    return new InstanceTokens(senderByHash);
  }

  /** The sender a bearer token belongs to, or empty when the token is unknown. */
  public Optional<String> senderOf(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(senderByHash.get(sha256Hex(token)));
  }

  /** How many tokens are configured. */
  public int size() {
    return senderByHash.size();
  }

  /** The hex SHA-256 of a token: what goes into the configuration. */
  public static String sha256Hex(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
