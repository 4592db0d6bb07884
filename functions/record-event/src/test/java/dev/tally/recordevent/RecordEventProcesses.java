package dev.tally.recordevent;

import dev.tally.testing.FunctionProcess;
import dev.tally.testing.TestDatabase;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** record-event in the real invoker, on a test database. */
final class RecordEventProcesses {
  private RecordEventProcesses() {}

  /** Starts the function with {@code settings} besides the database's. */
  static FunctionProcess start(TestDatabase db, Map<String, String> settings) throws IOException {
    Map<String, String> env = new HashMap<>(settings);
    env.put("DATABASE_URL", db.url());
    env.put("DATABASE_USER", db.user());
    return FunctionProcess.start("record-event", "dev.tally.recordevent.RecordEventFunction", env);
  }
}
