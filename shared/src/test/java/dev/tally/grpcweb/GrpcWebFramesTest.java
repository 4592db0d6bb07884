package dev.tally.grpcweb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcWebFramesTest {

  @Test
  void decode_splitsDataAndTrailerFrames() throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, new byte[] {1, 2, 3}));
    body.writeBytes(GrpcWebFrames.frame(GrpcWebFrames.DATA, new byte[0]));
    body.writeBytes(GrpcWebFrames.trailers(Map.of("grpc-status", "0")));

    List<GrpcWebFrames.Frame> frames = GrpcWebFrames.decode(body.toByteArray());

    assertEquals(3, frames.size());
    assertArrayEquals(new byte[] {1, 2, 3}, frames.get(0).payload());
    assertEquals(0, frames.get(1).payload().length);
    assertTrue(frames.get(2).isTrailers());
    assertEquals(Map.of("grpc-status", "0"), GrpcWebFrames.parseTrailers(frames.get(2).payload()));
  }

  @Test
  void decode_rejectsTruncatedFrames() {
    byte[] frame = GrpcWebFrames.frame(GrpcWebFrames.DATA, new byte[] {1, 2, 3, 4});
    byte[] truncated = java.util.Arrays.copyOf(frame, frame.length - 1);

    GrpcWebFrames.MalformedException e =
        assertThrows(GrpcWebFrames.MalformedException.class, () -> GrpcWebFrames.decode(truncated));
    assertEquals("truncated frame: header announces 4 bytes, 3 follow", e.getMessage());
    assertThrows(
        GrpcWebFrames.MalformedException.class, () -> GrpcWebFrames.decode(new byte[] {0, 0}));
  }

  @Test
  void decodeText_acceptsSeparatelyPaddedChunks() throws Exception {
    byte[] one = GrpcWebFrames.frame(GrpcWebFrames.DATA, "a".getBytes(StandardCharsets.UTF_8));
    byte[] two = GrpcWebFrames.frame(GrpcWebFrames.DATA, "bc".getBytes(StandardCharsets.UTF_8));
    String text = Base64.getEncoder().encodeToString(one) + Base64.getEncoder().encodeToString(two);

    byte[] decoded = GrpcWebFrames.decodeText(text.getBytes(StandardCharsets.US_ASCII));

    assertEquals(2, GrpcWebFrames.decode(decoded).size());
    assertThrows(
        GrpcWebFrames.MalformedException.class,
        () -> GrpcWebFrames.decodeText("not base64!".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void statusMessages_arePercentEncodedBothWays() {
    String message = "100% sure: naïve\r\nline";
    String encoded = GrpcWebFrames.encodeMessage(message);

    assertEquals("100%25 sure: na%C3%AFve%0D%0Aline", encoded);
    assertEquals(message, GrpcWebFrames.decodeMessage(encoded));
  }
}
