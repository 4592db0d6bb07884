package dev.tally.privacy;

import dev.tally.store.FeatureFlags;
import java.util.Objects;

/**
 * A signed-in user's own choice not to have their events exported, stored as their override of
 * {@code telemetry-export}: {@code false} is "off", whatever the instance's value. Their events are
 * still recorded on the instance, marked {@code opt_out}.
 *
 * <p>Opting back in removes that "off" rather than setting {@code true}: the instance's value
 * applies again, so a user can undo their own refusal but cannot turn export on for themselves
 * where the administrator has it off. An administrator's per-user "on" ({@code TallyAdmin set-flag
 * telemetry-export true USER_ID}) is not touched by opting back in.
 */
public final class ExportOptOut {
  private final FeatureFlags flags;

  public ExportOptOut(FeatureFlags flags) {
    this.flags = Objects.requireNonNull(flags, "flags");
  }

  /** Whether the user turned export of their events off. */
  public boolean isOptedOut(long userId) {
    return flags.override(FeatureFlags.TELEMETRY_EXPORT, userId).map(on -> !on).orElse(false);
  }

  /**
   * Turns export of the user's events off, or back to the instance's value; takes effect for events
   * recorded from then on.
   */
  public void set(long userId, boolean optOut) {
    if (optOut) {
      flags.setOverride(FeatureFlags.TELEMETRY_EXPORT, userId, false);
    } else {
      flags.removeOverrideIfSetTo(FeatureFlags.TELEMETRY_EXPORT, userId, false);
    }
  }
}
