package dev.tally.privacy;

import dev.tally.config.Env;
import dev.tally.store.KeptLocal;
import java.util.Map;
import java.util.Optional;

/**
 * Which privacy signals the instance honours, and the rule that keeps a request's events local: the
 * one place every way of recording (GraphQL, the legacy mutations, the Java recorder) goes through.
 *
 * @param honorGpc whether {@code Sec-GPC: 1} keeps a request's events local ({@value #HONOR_GPC},
 *     default {@code true})
 * @param honorDnt whether {@code DNT: 1} does ({@value #HONOR_DNT}, default {@code false})
 */
public record PrivacySettings(boolean honorGpc, boolean honorDnt) {
  public static final String HONOR_GPC = "TELEMETRY_HONOR_GPC";
  public static final String HONOR_DNT = "TELEMETRY_HONOR_DNT";

  /**
   * Global Privacy Control honoured, Do Not Track not: GPC is a person's explicit request that
   * several privacy laws give effect to; DNT was sent by default by some browsers and is no longer
   * maintained, so it often says nothing about the person. An instance turns it on when it wants.
   */
  public static final PrivacySettings DEFAULTS = new PrivacySettings(true, false);

  public static PrivacySettings fromEnv(Map<String, String> environment) {
    Env env = Env.of(environment);
    return new PrivacySettings(
        env.bool(HONOR_GPC, DEFAULTS.honorGpc()), env.bool(HONOR_DNT, DEFAULTS.honorDnt()));
  }

  /**
   * Why the V2 events of a request stay on the instance, whatever export would do with them; empty
   * when nothing keeps them (they are then queued if export is on for their user: the instance's
   * value of {@code telemetry-export}, or an administrator's per-user value). In this order: the
   * user's own opt-out ({@link KeptLocal#OPT_OUT}), then Global Privacy Control, then Do Not Track,
   * each where honoured. Events of the legacy mutations are always {@link KeptLocal#LEGACY}.
   *
   * @param signals what the request's browser said
   * @param exportOptOut whether the signed-in user turned export of their own events off ({@link
   *     ExportOptOut}; anonymous visitors never have)
   */
  public Optional<KeptLocal> keptLocal(PrivacySignals signals, boolean exportOptOut) {
    if (exportOptOut) {
      return Optional.of(KeptLocal.OPT_OUT);
    }
    if (honorGpc && signals.globalPrivacyControl()) {
      return Optional.of(KeptLocal.GPC);
    }
    if (honorDnt && signals.doNotTrack()) {
      return Optional.of(KeptLocal.DNT);
    }
    return Optional.empty();
  }
}
