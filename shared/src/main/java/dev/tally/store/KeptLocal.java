package dev.tally.store;

/**
 * Why an event stayed on the instance although export might have sent it: the values of {@code
 * event_logs.kept_local_reason}. Which of the request-level reasons applies is the privacy rule's
 * to say ({@code dev.tally.privacy.PrivacySettings}); {@link #UNPLANNED} is the event catalog's,
 * per event, and only where no request-level reason applies. An event without one was queued
 * whenever export was on for its user.
 */
public enum KeptLocal {
  /** The request carried {@code Sec-GPC: 1} (Global Privacy Control). */
  GPC("gpc"),
  /** The request carried {@code DNT: 1}, and the instance honours it. */
  DNT("dnt"),
  /** The signed-in user turned export of their own events off. */
  OPT_OUT("opt_out"),
  /** Recorded by a pre-V2 mutation: such events are never exported. */
  LEGACY("legacy"),
  /**
   * Held by the event catalog ({@code hold} of unplanned events): stored, unredacted, in {@code
   * held_events} until an applied version plans it.
   */
  UNPLANNED("unplanned");

  private final String column;

  KeptLocal(String column) {
    this.column = column;
  }

  /** The value stored in {@code event_logs.kept_local_reason}. */
  public String column() {
    return column;
  }
}
