package dev.tally.privacy;

import dev.tally.store.Jdbc;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A signed-in user's own choice not to have their events exported, stored on its own ({@code
 * export_opt_outs}), apart from the administrator's per-user values of {@code telemetry-export}.
 * While it is set, the user's events are still recorded on the instance, marked {@code opt_out},
 * and never queued, whatever the flag says for them.
 *
 * <p>Opting back in removes only the user's own choice: the flag's value for them applies again,
 * the instance's or an administrator's per-user value ({@code TallyAdmin set-flag telemetry-export
 * true|false USER_ID}), which the user can neither set nor remove. So a user can undo their own
 * refusal but cannot turn export on where an administrator has it off, and an administrator's "on"
 * does not override a user's refusal. The recording path reads the choice with the user's flags
 * ({@link dev.tally.store.FeatureFlags.Evaluation#exportOptOut()}); erasure keeps it.
 */
public final class ExportOptOut {
  private final DataSource dataSource;

  public ExportOptOut(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /** Whether the user turned export of their events off. */
  public boolean isOptedOut(long userId) {
    return Jdbc.queryOne(
            dataSource,
            "read the export opt-out of user " + userId,
            "SELECT 1 FROM export_opt_outs WHERE user_id = ?",
            row -> true,
            userId)
        .isPresent();
  }

  /**
   * Turns export of the user's events off, or removes that choice; takes effect for events recorded
   * from then on. Opting out again keeps the time of the first opt-out.
   */
  public void set(long userId, boolean optOut) {
    Jdbc.update(
        dataSource,
        "set the export opt-out of user " + userId,
        optOut
            ? "INSERT INTO export_opt_outs (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING"
            : "DELETE FROM export_opt_outs WHERE user_id = ?",
        userId);
  }

  /** How many users opted out. */
  public int count() {
    return Jdbc.queryOne(
            dataSource,
            "count export opt-outs",
            "SELECT count(*) FROM export_opt_outs",
            row -> row.getInt(1))
        .orElseThrow();
  }
}
