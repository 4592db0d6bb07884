package dev.tally.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reads request bodies without ever holding more than a limit in memory. */
public final class RequestBodies {
  /**
   * The most bytes of a refused body that are read and dropped: as much as Cloud Run lets through
   * in one request.
   */
  public static final long MAX_DISCARDED_BYTES = 32L * 1024 * 1024;

  private static final int CHUNK = 64 * 1024;

  private RequestBodies() {}

  /**
   * A body read within a limit.
   *
   * @param body the body, or {@code null} when it was longer than the limit
   * @param bytesRead how many bytes were read in all, those read and dropped included: what the
   *     body cost to receive
   */
  public record Read(byte[] body, long bytesRead) {}

  /**
   * The body, or {@code null} when it is longer than {@code limit} bytes; see {@link #read}.
   *
   * @param declaredLength the request's Content-Length, or a negative number when unknown
   */
  public static byte[] readAtMost(InputStream body, long declaredLength, int limit)
      throws IOException {
    return read(body, declaredLength, limit).body();
  }

  /**
   * Reads the body if it holds at most {@code limit} bytes. A longer body is read to its end and
   * dropped (up to {@value #MAX_DISCARDED_BYTES} bytes) before the caller answers: a connection
   * closed with unread data is reset, and a sender still sending would lose the answer that says
   * what to fix. Answer such a request with {@code Connection: close}.
   *
   * @param declaredLength the request's Content-Length, or a negative number when unknown
   */
  public static Read read(InputStream body, long declaredLength, int limit) throws IOException {
    try (InputStream in = body) {
      if (declaredLength > limit) {
        return new Read(
            null, discard(in, declaredLength <= MAX_DISCARDED_BYTES ? declaredLength : 0));
      }
      byte[] bytes;
      if (declaredLength >= 0) {
        // The usual case: read straight into an array of the declared size, no chunks to join.
        byte[] declared = new byte[(int) declaredLength];
        int read = in.readNBytes(declared, 0, declared.length);
        if (read < declared.length) {
          return new Read(Arrays.copyOf(declared, read), read);
        }
        int next = in.read();
        if (next < 0) {
          return new Read(declared, declared.length);
        }
        // Longer than declared (a server does not let that through): judged by what it holds.
        byte[] rest = in.readNBytes(limit - declared.length);
        bytes = new byte[declared.length + 1 + rest.length];
        System.arraycopy(declared, 0, bytes, 0, declared.length);
        bytes[declared.length] = (byte) next;
        System.arraycopy(rest, 0, bytes, declared.length + 1, rest.length);
      } else {
        bytes = in.readNBytes(limit + 1);
      }
      if (bytes.length > limit) {
        return new Read(null, bytes.length + discard(in, MAX_DISCARDED_BYTES - bytes.length));
      }
      return new Read(bytes, bytes.length);
    }
  }

  /** Reads and drops at most {@code bytes} bytes, fewer when the body ends first; how many. */
  private static long discard(InputStream in, long bytes) throws IOException {
    byte[] buffer = new byte[CHUNK];
    long left = bytes;
    while (left > 0) {
      int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (read < 0) {
        break;
      }
      left -= read;
    }
    return bytes - left;
  }
}
