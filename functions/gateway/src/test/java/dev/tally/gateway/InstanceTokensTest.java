package dev.tally.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class InstanceTokensTest {

  @Test
  void senderOf_findsTheSenderOfAConfiguredTokenHash() {
    InstanceTokens tokens =
        InstanceTokens.parse(
            "instance-a="
                + InstanceTokens.sha256Hex("token-a")
                + ", cody-gateway="
                + InstanceTokens.sha256Hex("token-b").toUpperCase());

    assertEquals(Optional.of(instance("instance-a")), tokens.senderOf("token-a"));
    assertEquals(Optional.of(instance("cody-gateway")), tokens.senderOf("token-b"));
    assertEquals(Optional.empty(), tokens.senderOf("token-c"));
    assertEquals(Optional.empty(), tokens.senderOf(""));
  }

  @Test
  void parse_readsTheKindOfEachSenderAndABareIdIsAnInstance() {
    InstanceTokens tokens =
        InstanceTokens.parse(
            "instance:i-1="
                + InstanceTokens.sha256Hex("token-a")
                + ",service:cody-gateway="
                + InstanceTokens.sha256Hex("token-b")
                + ",i-2="
                + InstanceTokens.sha256Hex("token-c"));

    assertEquals(Optional.of(instance("i-1")), tokens.senderOf("token-a"));
    assertEquals(
        Optional.of(new InstanceTokens.Sender(InstanceTokens.Kind.SERVICE, "cody-gateway")),
        tokens.senderOf("token-b"));
    assertEquals(Optional.of(instance("i-2")), tokens.senderOf("token-c"));
    assertThrows(
        IllegalArgumentException.class,
        () -> InstanceTokens.parse("service:=" + InstanceTokens.sha256Hex("x")));
  }

  @Test
  void parse_readsLicensedInstanceEntries() {
    InstanceTokens tokens =
        InstanceTokens.parse(
            "licensed-instance:i-1="
                + InstanceTokens.sha256Hex("token-a")
                + ",instance:i-2="
                + InstanceTokens.sha256Hex("token-b"));

    assertEquals(
        Optional.of(new InstanceTokens.Sender(InstanceTokens.Kind.LICENSED_INSTANCE, "i-1")),
        tokens.senderOf("token-a"));
    assertEquals(Optional.of(instance("i-2")), tokens.senderOf("token-b"));
    IllegalArgumentException noId =
        assertThrows(
            IllegalArgumentException.class,
            () -> InstanceTokens.parse("licensed-instance:=" + InstanceTokens.sha256Hex("x")));
    assertTrue(noId.getMessage().contains("licensed-instance:"), noId.getMessage());
  }

  @Test
  void mayPublishAs_licensedOnlyWithALicensedInstancesToken() {
    InstanceTokens.Sender licensed =
        new InstanceTokens.Sender(InstanceTokens.Kind.LICENSED_INSTANCE, "i-1");
    InstanceTokens.Sender asLicensed = licensed;
    InstanceTokens.Sender asUnlicensed = instance("i-1");
    InstanceTokens.Sender asService = new InstanceTokens.Sender(InstanceTokens.Kind.SERVICE, "i-1");

    assertTrue(licensed.mayPublishAs(asLicensed));
    assertTrue(licensed.mayPublishAs(asUnlicensed), "a lapsed license is a downgrade");
    assertFalse(licensed.mayPublishAs(asService));
    assertFalse(licensed.mayPublishAs(instance("i-2")));
    assertTrue(instance("i-1").mayPublishAs(asUnlicensed));
    assertFalse(instance("i-1").mayPublishAs(asLicensed), "an unlicensed token stays unlicensed");
    assertFalse(asService.mayPublishAs(asUnlicensed));
    assertFalse(asService.mayPublishAs(asLicensed));
  }

  private static InstanceTokens.Sender instance(String id) {
    return new InstanceTokens.Sender(InstanceTokens.Kind.INSTANCE, id);
  }

  @Test
  void parse_rejectsMalformedEntriesWithoutPrintingTheHash() {
    IllegalArgumentException noHash =
        assertThrows(IllegalArgumentException.class, () -> InstanceTokens.parse("instance-a"));
    assertTrue(noHash.getMessage().startsWith("entry 'instance-a' must be"));

    IllegalArgumentException shortHash =
        assertThrows(IllegalArgumentException.class, () -> InstanceTokens.parse("a=abc123"));
    assertFalse(shortHash.getMessage().contains("abc123"));

    String hash = InstanceTokens.sha256Hex("same");
    assertThrows(
        IllegalArgumentException.class, () -> InstanceTokens.parse("a=" + hash + ",b=" + hash));
  }

  @Test
  void authenticate_findsTheBearerTokensSenderOrSaysWhatIsWrong() {
    InstanceTokens tokens =
        InstanceTokens.parse("instance-a=" + InstanceTokens.sha256Hex("token-a"));

    assertEquals(instance("instance-a"), tokens.authenticate(" bearer   token-a ").sender());
    assertEquals(
        "UNAUTHENTICATED: send the instance token as 'Authorization: Bearer <token>'",
        refusal(tokens.authenticate(null)));
    assertEquals(
        "UNAUTHENTICATED: the Authorization header must be 'Bearer <token>'",
        refusal(tokens.authenticate("Basic dG9rZW4tYQ==")));
    assertEquals(
        "UNAUTHENTICATED: the instance token is not valid",
        refusal(tokens.authenticate("Bearer token-b")));
  }

  private static String refusal(InstanceTokens.Authentication authentication) {
    assertEquals(null, authentication.sender());
    return authentication.refusal().getCode() + ": " + authentication.refusal().getDescription();
  }
}
