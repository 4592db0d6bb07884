package dev.tally.gateway;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The tokens senders authenticate with, each bound to one sender: a kind and an ID, the instance ID
 * of an unlicensed or a licensed instance, or the service ID of a managed service. Only SHA-256
 * hashes of the tokens are configured.
 *
 * <p>The gateway cannot validate a license key, so whether an instance may publish as licensed is
 * the token's to say: only a {@code licensed-instance:ID} token may, and an {@code instance:ID}
 * token (or a bare {@code ID}) publishes as an unlicensed instance only.
 */
public final class InstanceTokens {
  /** What kind of sender a token belongs to. */
  public enum Kind {
    /** An unlicensed instance, by its instance ID. */
    INSTANCE("instance", "instance"),
    /**
     * A licensed instance, by its instance ID: it may also publish as an unlicensed instance (a
     * lapsed license is a downgrade, not another sender).
     */
    LICENSED_INSTANCE("licensed-instance", "licensed instance"),
    /** A managed service, by its service ID. */
    SERVICE("service", "service");

    private final String prefix;
    private final String noun;

    Kind(String prefix, String noun) {
      this.prefix = prefix;
      this.noun = noun;
    }

    /** {@code instance}, {@code licensed-instance} or {@code service}: the entry's prefix. */
    public String label() {
      return prefix;
    }

    /** What messages call it: {@code instance}, {@code licensed instance} or {@code service}. */
    public String noun() {
      return noun;
    }
  }

  /** Who a token belongs to. */
  public record Sender(Kind kind, String id) {
    public Sender {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(id, "id");
    }

    /**
     * Whether this token's sender may publish as {@code claimed}: the same ID, and the same kind,
     * or an unlicensed instance where the token is a licensed instance's.
     */
    public boolean mayPublishAs(Sender claimed) {
      return id.equals(claimed.id())
          && (kind == claimed.kind()
              || (kind == Kind.LICENSED_INSTANCE && claimed.kind() == Kind.INSTANCE));
    }

    @Override
    public String toString() {
      return kind.noun() + " '" + id + "'";
    }
  }

  private final Map<String, Sender> senderByHash;

  private InstanceTokens(Map<String, Sender> senderByHash) {
    this.senderByHash = Map.copyOf(senderByHash);
  }

  /**
   * Parses {@code instance:ID=sha256hex,licensed-instance:ID2=sha256hex,service:ID3=sha256hex},
   * where {@code sha256hex} is the hex SHA-256 of the token. An entry without a kind, {@code
   * ID=sha256hex}, is an (unlicensed) instance's. Blank means no token is accepted.
   *
   * @throws IllegalArgumentException naming the malformed entry, never its hash
   */
  public static InstanceTokens parse(String text) {
    Map<String, Sender> senderByHash = new HashMap<>();
    if (text != null && !text.isBlank()) {
      for (String entry : text.split(",")) {
        String trimmed = entry.trim();
        int equals = trimmed.lastIndexOf('=');
        String name = equals < 0 ? "" : trimmed.substring(0, equals).trim();
        String hash =
            equals < 0 ? "" : trimmed.substring(equals + 1).trim().toLowerCase(Locale.ROOT);
        Sender sender = sender(name);
        if (sender == null || !hash.matches("[0-9a-f]{64}")) {
          throw new IllegalArgumentException(
              "entry '"
                  + (equals < 0 ? trimmed : name + "=...")
                  + "' must be [instance:|licensed-instance:|service:]ID=<64 hex digits of the"
                  + " token's SHA-256>");
        }
        if (senderByHash.put(hash, sender) != null) {
          throw new IllegalArgumentException("the token of " + sender + " is listed twice");
        }
      }
    }
    return new InstanceTokens(senderByHash);
  }

  private static Sender sender(String name) {
    for (Kind kind : Kind.values()) {
      String prefix = kind.label() + ":";
      if (name.startsWith(prefix)) {
        String id = name.substring(prefix.length()).trim();
        return id.isEmpty() ? null : new Sender(kind, id);
      }
    }
    return name.isEmpty() ? null : new Sender(Kind.INSTANCE, name);
  }

  /** The sender a bearer token belongs to, or empty when the token is unknown. */
  public Optional<Sender> senderOf(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(senderByHash.get(sha256Hex(token)));
  }

  /**
   * Who sent a call, or why that cannot be told.
   *
   * @param sender the token's sender, or {@code null}
   * @param refusal the {@code UNAUTHENTICATED} status when there is no sender, else {@code null}
   */
  public record Authentication(Sender sender, Status refusal) {}

  /** Checks an {@code Authorization} header's bearer token, which may be {@code null}. */
  public Authentication authenticate(String authorization) {
    if (authorization == null) {
      return refusal("send the instance token as 'Authorization: Bearer <token>'");
    }
    String[] parts = authorization.trim().split("\\s+", 2);
    if (parts.length != 2 || !parts[0].toLowerCase(Locale.ROOT).equals("bearer")) {
      return refusal("the Authorization header must be 'Bearer <token>'");
    }
    Optional<Sender> sender = senderOf(parts[1].trim());
    if (sender.isEmpty()) {
      return refusal("the instance token is not valid");
    }
    return new Authentication(sender.get(), null);
  }

  private static Authentication refusal(String message) {
    return new Authentication(null, Status.UNAUTHENTICATED.withDescription(message));
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
