package dev.tally.instance;

import java.io.IOException;
import java.io.InputStream;

/** Reads request bodies without ever holding more than a limit in memory. */
public final class RequestBodies {
  private RequestBodies() {}

  /**
   * The body, or {@code null} when it is longer than {@code limit} bytes.
   *
   * @param declaredLength the request's Content-Length, or a negative number when unknown
   */
  public static byte[] readAtMost(InputStream body, long declaredLength, int limit)
      throws IOException {
    if (declaredLength > limit) {
      return null;
    }
    try (InputStream in = body) {
      byte[] bytes = in.readNBytes(limit + 1);
      return bytes.length > limit ? null : bytes;
    }
  }
}
