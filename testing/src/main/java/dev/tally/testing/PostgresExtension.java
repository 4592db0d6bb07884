package dev.tally.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class a real PostgreSQL database of its own, migrated to the current schema:
 *
 * <pre>{@code
 * @ExtendWith(PostgresExtension.class)
 * class ExportQueueTest {
 *   ExportQueueTest(TestDatabase db) { ... }
 * }
 * }</pre>
 *
 * <p>One server serves the whole run (see {@link PostgresServer}); every class gets a fresh
 * database, dropped after the class.
 */
public final class PostgresExtension implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(PostgresExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    database(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestDatabase.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return database(context);
  }

  private static TestDatabase database(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
      classContext = classContext.getParent().get();
    }
    PostgresServer server =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(
                PostgresServer.class, k -> PostgresServer.start(), PostgresServer.class);
    return classContext
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            TestDatabase.class, k -> server.createMigratedDatabase(), TestDatabase.class);
  }
}
