package dev.tally.privacy;

/**
 * The privacy signals of one recording request, as its browser sent them. Whether they keep the
 * request's events local is {@link PrivacySettings}' to say.
 *
 * @param globalPrivacyControl the request carried {@code Sec-GPC: 1}: the person asks not to have
 *     their data sold or shared (Global Privacy Control)
 * @param doNotTrack the request carried {@code DNT: 1} (Do Not Track)
 */
public record PrivacySignals(boolean globalPrivacyControl, boolean doNotTrack) {
  public static final String GPC_HEADER = "Sec-GPC";
  public static final String DNT_HEADER = "DNT";

  /** No signal: requests without these headers, and events the server's own code records. */
  public static final PrivacySignals NONE = new PrivacySignals(false, false);

  /**
   * The signals of a request's headers: each is on when its header is {@code 1} (the only value
   * either specification gives a meaning), whatever else is sent.
   *
   * @param secGpc the {@code Sec-GPC} header, or {@code null}
   * @param dnt the {@code DNT} header, or {@code null}
   */
  public static PrivacySignals fromHeaders(String secGpc, String dnt) {
    boolean gpc = secGpc != null && secGpc.trim().equals("1");
    boolean doNotTrack = dnt != null && dnt.trim().equals("1");
    return gpc || doNotTrack ? new PrivacySignals(gpc, doNotTrack) : NONE;
  }
}
