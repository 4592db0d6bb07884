package dev.tally.grpcweb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encodes and decodes gRPC-web bodies: a sequence of frames, each a flag byte, a 4-byte big-endian
 * length and that many bytes. Flag {@code 0x00} is a message, {@code 0x80} the trailers (an
 * HTTP/1-style header block); bit {@code 0x01} marks a compressed frame.
 */
public final class GrpcWebFrames {
  /** Flag of a message frame. */
  public static final int DATA = 0x00;

  /** Flag of the trailers frame. */
  public static final int TRAILERS = 0x80;

  /** Bit of a compressed frame. */
  public static final int COMPRESSED = 0x01;

  private GrpcWebFrames() {}

  /** One frame of a body. */
  public record Frame(int flags, byte[] payload) {
    public boolean isTrailers() {
      return (flags & TRAILERS) != 0;
    }

    public boolean isCompressed() {
      return (flags & COMPRESSED) != 0;
    }
  }

  /** A body that is not a valid sequence of frames; the message says what is wrong. */
  public static final class MalformedException extends Exception {
    public MalformedException(String message) {
      super(message);
    }
  }

  /** A body with more frames than allowed. */
  public static final class TooManyFramesException extends Exception {
    public TooManyFramesException(int maxFrames) {
      super("the request may hold at most " + maxFrames + " frames");
    }
  }

  /**
   * Splits a body into frames.
   *
   * @throws MalformedException when a frame is truncated
   */
  public static List<Frame> decode(byte[] body) throws MalformedException {
    try {
      return decode(body, Integer.MAX_VALUE);
    } catch (TooManyFramesException e) {
      throw new IllegalStateException("no body holds more than Integer.MAX_VALUE frames", e);
    }
  }

  /**
   * Splits a body into at most {@code maxFrames} frames; stops reading at the first frame over.
   *
   * @throws MalformedException when a frame is truncated
   * @throws TooManyFramesException when the body holds more frames
   */
  public static List<Frame> decode(byte[] body, int maxFrames)
      throws MalformedException, TooManyFramesException {
    List<Frame> frames = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.wrap(body);
    while (buffer.hasRemaining()) {
      if (frames.size() == maxFrames) {
        throw new TooManyFramesException(maxFrames);
      }
      if (buffer.remaining() < 5) {
        throw new MalformedException(
            "truncated frame: " + buffer.remaining() + " byte(s) where a 5-byte header belongs");
      }
      int flags = buffer.get() & 0xff;
      long length = buffer.getInt() & 0xffffffffL;
      if (length > buffer.remaining()) {
        throw new MalformedException(
            "truncated frame: header announces "
                + length
                + " bytes, "
                + buffer.remaining()
                + " follow");
      }
      byte[] payload = new byte[(int) length];
      buffer.get(payload);
      frames.add(new Frame(flags, payload));
    }
    return frames;
  }

  /** Decodes a {@code -text} body: base64 of the frames, possibly in separately padded chunks. */
  public static byte[] decodeText(byte[] body) throws MalformedException {
    String text = new String(body, StandardCharsets.US_ASCII).replaceAll("\\s", "");
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 3 / 4);
    int start = 0;
    try {
      while (start < text.length()) {
        // A chunk ends after its padding; chunks without padding run to a multiple of 4.
        int end = start;
        while (end < text.length() && text.charAt(end) != '=') {
          end++;
        }
        while (end < text.length() && text.charAt(end) == '=') {
          end++;
        }
        out.writeBytes(Base64.getDecoder().decode(text.substring(start, end)));
        start = end;
      }
    } catch (IllegalArgumentException e) {
      throw new MalformedException("the body is not valid base64: " + e.getMessage());
    }
    return out.toByteArray();
  }

  /** One frame. */
  public static byte[] frame(int flags, byte[] payload) {
    return ByteBuffer.allocate(5 + payload.length)
        .put((byte) flags)
        .putInt(payload.length)
        .put(payload)
        .array();
  }

  /** The trailers frame for these trailers. */
  public static byte[] trailers(Map<String, String> trailers) {
    StringBuilder block = new StringBuilder();
    trailers.forEach(
        (name, value) ->
            block.append(name.toLowerCase(Locale.ROOT)).append(':').append(value).append("\r\n"));
    return frame(TRAILERS, block.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Parses a trailers frame's header block into lower-case names and their values. */
  public static Map<String, String> parseTrailers(byte[] block) {
    Map<String, String> trailers = new LinkedHashMap<>();
    for (String line : new String(block, StandardCharsets.UTF_8).split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        trailers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    return trailers;
  }

  /** Percent-encodes a status message for the {@code grpc-message} header, as gRPC requires. */
  public static String encodeMessage(String message) {
    if (message == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }

  /** Decodes a percent-encoded {@code grpc-message}. */
  public static String decodeMessage(String encoded) {
    if (encoded == null) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%' && i + 2 < encoded.length()) {
        try {
          out.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
          i += 2;
          continue;
        } catch (NumberFormatException e) {
          // not an escape: keep the character
        }
      }
      out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
