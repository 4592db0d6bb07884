package dev.tally.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tally.event.Actor;
import dev.tally.event.EventBuilder;
import dev.tally.event.EventContext;
import dev.tally.event.EventLimits;
import dev.tally.event.InvalidEventException;
import dev.tally.event.LimitExceededException;
import dev.tally.event.MarketingField;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LegacyEventBuilderTest {
  private final LegacyEventBuilder builder =
      new LegacyEventBuilder(new EventBuilder(Clock.systemUTC(), "5.3.0"));

  @Test
  void build_keepsTheEventOfAnAnonymousVisitorUnderTheirCookieId() {
    LegacyEvent event =
        build(input("goToDefinition", "{\"platform\":\"chrome-extension\"}"), Actor.unknown());

    assertEquals("goToDefinition", event.name());
    assertEquals("cookie-id", event.anonymousUserId());
    assertNull(event.userId());
    assertEquals("CODEHOSTINTEGRATION", event.source());
    assertEquals("https://github.com/a/b", event.tracking().getUrl());
    assertEquals(Map.of("platform", "chrome-extension"), event.argument());
    assertEquals(7, event.id().version());
  }

  @Test
  void build_acceptsACookieIdNamingTheRequestsOwnVisitor() {
    LegacyEvent event = build(input("goToDefinition", null), Actor.anonymous("cookie-id"));

    assertEquals("cookie-id", event.anonymousUserId());
  }

  @Test
  void build_refusesACookieIdNamingAnotherVisitorThanTheRequests() {
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> build(input("goToDefinition", null), Actor.anonymous("header-id")));

    assertTrue(e.getMessage().startsWith("'userCookieID' names another visitor"), e.getMessage());
    assertTrue(e.getMessage().contains("the first userCookieID it sent"), e.getMessage());
    assertFalse(e.getMessage().contains("cookie-id"), "the message repeats no visitor ID");
  }

  @Test
  void build_givesASignedInUsersEventNoCookieId() {
    LegacyEvent event = build(input("SearchResultsQueried", null), Actor.user(42));

    assertEquals(42L, event.userId());
    assertNull(event.anonymousUserId());
  }

  @Test
  void build_refusesAnArgumentThatIsNotOneJsonValue() {
    for (String argument : List.of("{\"a\":", "{} {}", "not json")) {
      InvalidEventException e =
          assertThrows(
              InvalidEventException.class,
              () -> build(input("x", argument), Actor.anonymous("v")),
              argument);
      assertTrue(e.getMessage().startsWith("'argument' must be JSON text"), e.getMessage());
    }
  }

  @Test
  void build_holdsArgumentsToTheRulesOfPrivateMetadata() {
    String deep = "[".repeat(40) + "]".repeat(40);
    assertThrows(LimitExceededException.class, () -> build(input("x", deep), Actor.anonymous("v")));
    InvalidEventException nul =
        assertThrows(
            InvalidEventException.class,
            () -> build(input("x", "{\"a\":\"b\\u0000\"}"), Actor.anonymous("v")));
    assertTrue(nul.getMessage().contains("argument.a"), nul.getMessage());
    String big = "{\"a\":\"" + "x".repeat(EventLimits.DEFAULTS.maxPrivateMetadataBytes()) + "\"}";
    LimitExceededException tooBig =
        assertThrows(
            LimitExceededException.class, () -> build(input("x", big), Actor.anonymous("v")));
    assertTrue(tooBig.getMessage().startsWith("'argument' may take at most"), tooBig.getMessage());
  }

  @Test
  void build_refusesAnEmptyNameAndControlCharacters() {
    assertThrows(InvalidEventException.class, () -> build(input(" ", null), Actor.unknown()));
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class, () -> build(input("a\tb", null), Actor.unknown()));
    assertTrue(e.getMessage().contains("U+0009"), e.getMessage());
  }

  @Test
  void build_boundsEveryTextNamingTheField() {
    String longCookie = "c".repeat(257);
    String longUrl = "https://example.com/" + "p".repeat(8192);
    LegacyEventInput withCookie =
        new LegacyEventInput("x", longCookie, null, Map.of(), null, null, null, null, null, null);
    LegacyEventInput withUrl =
        new LegacyEventInput(
            "x",
            null,
            null,
            Map.of(MarketingField.URL, longUrl),
            null,
            null,
            null,
            null,
            null,
            null);
    LegacyEventInput withDevice =
        new LegacyEventInput(
            "x", null, null, Map.of(), null, null, null, "d".repeat(257), null, null);

    assertEquals(
        "'userCookieID' may be at most 256 bytes long (UTF-8), got 257",
        assertThrows(LimitExceededException.class, () -> build(withCookie, Actor.unknown()))
            .getMessage());
    assertTrue(
        assertThrows(LimitExceededException.class, () -> build(withUrl, Actor.unknown()))
            .getMessage()
            .startsWith("'url' may be at most 8192 bytes long"));
    assertTrue(
        assertThrows(LimitExceededException.class, () -> build(withDevice, Actor.unknown()))
            .getMessage()
            .startsWith("'deviceID' may be at most 256 bytes long"));
    // The request's own anonymous ID is held to the same bound.
    assertTrue(
        assertThrows(
                LimitExceededException.class,
                () -> build(input("x", null), Actor.anonymous("h".repeat(257))))
            .getMessage()
            .startsWith("the anonymous user ID (X-Sourcegraph-Actor-Anonymous-UID) may be"));
    assertEquals(
        "c".repeat(256),
        build(input("x", null, "c".repeat(256)), Actor.unknown()).anonymousUserId());
  }

  @Test
  void userEvent_hasNoSourceOfItsOwn() {
    LegacyEvent event =
        build(LegacyEventInput.userEvent("SEARCHQUERY", "cookie-id"), Actor.unknown());

    assertEquals(LegacyEventInput.UNKNOWN_SOURCE, event.source());
    assertEquals("cookie-id", event.anonymousUserId());
  }

  private LegacyEvent build(LegacyEventInput input, Actor actor) {
    return builder.build(input, EventContext.of(actor), EventLimits.DEFAULTS);
  }

  private static LegacyEventInput input(String name, String argument) {
    return input(name, argument, "cookie-id");
  }

  private static LegacyEventInput input(String name, String argument, String cookie) {
    return new LegacyEventInput(
        name,
        cookie,
        "CODEHOSTINTEGRATION",
        Map.of(MarketingField.URL, "https://github.com/a/b"),
        null,
        argument,
        null,
        null,
        null,
        null);
  }
}
