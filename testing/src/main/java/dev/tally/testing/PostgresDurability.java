package dev.tally.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What an embedded PostgreSQL does to keep the commits it acknowledged, chosen for every embedded
 * server the project starts. Left alone, the library starts PostgreSQL with {@code -F} (fsync off)
 * and {@code synchronous_commit=off}: a crash of one backend, which makes the server run crash
 * recovery, then loses the last commits it had acknowledged. The settings here are passed as {@code
 * -c} options, which PostgreSQL applies after the library's {@code -F}; {@code
 * PostgresDurabilityTest} checks what a started server reports.
 */
public enum PostgresDurability {
  /**
   * Cloud SQL's settings: a commit returns once its WAL is flushed to disk, and a page's first
   * change after a checkpoint is written whole to the WAL (no torn pages after a power loss), so
   * nothing acknowledged is lost to a crash. The local stack runs with these, and so do the tests
   * of crash recovery.
   */
  DURABLE("on", "on", "on"),

  /**
   * For tests and measurements in which a crash is not what is tested: a commit returns before its
   * WAL is written, and nothing is flushed to disk, so a crash loses the last commits acknowledged
   * (at most about three times {@code wal_writer_delay}, 200 ms), and a crash of the machine can
   * leave the database corrupt. These are the library's own settings, written out: the test
   * fixture's shared server and the benchmark (whose published figures were measured with them) run
   * with these. {@code full_page_writes} is PostgreSQL's default.
   */
  FAST("off", "off", "on");

  private final Map<String, String> serverConfig;

  PostgresDurability(String fsync, String synchronousCommit, String fullPageWrites) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("fsync", fsync);
    config.put("synchronous_commit", synchronousCommit);
    config.put("full_page_writes", fullPageWrites);
    this.serverConfig = Collections.unmodifiableMap(config);
  }

  /** The server settings by name, as {@code SHOW} reports them on a server started with them. */
  public Map<String, String> serverConfig() {
    return serverConfig;
  }

  /** {@code builder} with these settings: apply to every embedded server before it starts. */
  public EmbeddedPostgres.Builder applyTo(EmbeddedPostgres.Builder builder) {
    serverConfig.forEach(builder::setServerConfig);
    return builder;
  }

  /** The settings as one line: {@code fsync=on, synchronous_commit=on, full_page_writes=on}. */
  public String describe() {
    return serverConfig.entrySet().stream()
        .map(setting -> setting.getKey() + "=" + setting.getValue())
        .collect(Collectors.joining(", "));
  }
}
