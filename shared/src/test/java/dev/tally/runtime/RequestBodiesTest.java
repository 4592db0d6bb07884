package dev.tally.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestBodiesTest {
  private static final byte[] BODY = "{\"query\":\"x\"}".getBytes(StandardCharsets.UTF_8);

  @Test
  void aBodyOfItsDeclaredLength_isReadWhole() throws IOException {
    assertArrayEquals(BODY, RequestBodies.readAtMost(stream(BODY), BODY.length, 100));
    assertArrayEquals(BODY, RequestBodies.readAtMost(stream(BODY), BODY.length, BODY.length));
    assertArrayEquals(new byte[0], RequestBodies.readAtMost(stream(new byte[0]), 0, 100));
  }

  @Test
  void aBodyOfUnknownLength_isReadUpToTheLimit() throws IOException {
    assertArrayEquals(BODY, RequestBodies.readAtMost(stream(BODY), -1, BODY.length));
    assertNull(RequestBodies.readAtMost(stream(BODY), -1, BODY.length - 1));
  }

  @Test
  void aBodyThatEndsBeforeItsDeclaredLength_isWhatArrived() throws IOException {
    assertArrayEquals(BODY, RequestBodies.readAtMost(stream(BODY), BODY.length + 5, 100));
  }

  @Test
  void aBodyLongerThanDeclared_isJudgedByWhatItHolds() throws IOException {
    assertArrayEquals(BODY, RequestBodies.readAtMost(stream(BODY), 3, BODY.length));
    assertNull(RequestBodies.readAtMost(stream(BODY), 3, BODY.length - 1));
  }

  @Test
  void aBodyOverTheLimit_isRefusedAndReadToItsEnd() throws IOException {
    ByteArrayInputStream declaredTooLong = stream(BODY);
    assertNull(RequestBodies.readAtMost(declaredTooLong, BODY.length, BODY.length - 1));
    assertEquals(0, declaredTooLong.available());
    ByteArrayInputStream foundTooLong = stream(BODY);
    assertNull(RequestBodies.readAtMost(foundTooLong, -1, 4));
    assertEquals(0, foundTooLong.available());
  }

  @Test
  void read_saysHowManyBytesWereReadDroppedOnesIncluded() throws IOException {
    assertEquals(BODY.length, RequestBodies.read(stream(BODY), -1, 100).bytesRead());
    assertEquals(BODY.length, RequestBodies.read(stream(BODY), BODY.length, 100).bytesRead());

    RequestBodies.Read tooLong = RequestBodies.read(stream(BODY), -1, 4);
    RequestBodies.Read declaredTooLong = RequestBodies.read(stream(BODY), BODY.length, 4);

    assertNull(tooLong.body());
    assertEquals(BODY.length, tooLong.bytesRead(), "what was read past the limit counts");
    assertNull(declaredTooLong.body());
    assertEquals(BODY.length, declaredTooLong.bytesRead());
  }

  private static ByteArrayInputStream stream(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }
}
