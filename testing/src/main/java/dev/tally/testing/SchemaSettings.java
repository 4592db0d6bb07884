package dev.tally.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * How the functions migrate and pool their database, read from the resource that module {@code
 * shared} ships ({@code dev/tally/store/database.properties}): the test databases are migrated and
 * pooled the same way without this module depending on {@code shared}, whose own tests use it.
 */
final class SchemaSettings {
  static final String RESOURCE = "dev/tally/store/database.properties";
  private static final String DRIVER_PREFIX = "driver.";

  private SchemaSettings() {}

  /** The {@code flyway.*} settings. */
  static Map<String, String> flyway() {
    Map<String, String> flyway = new LinkedHashMap<>();
    Properties settings = load();
    for (String name : settings.stringPropertyNames()) {
      if (name.startsWith("flyway.")) {
        flyway.put(name, settings.getProperty(name));
      }
    }
    return flyway;
  }

  /** The driver properties of a function's pool, without their {@code driver.} prefix. */
  static Map<String, String> driverProperties() {
    Map<String, String> driver = new LinkedHashMap<>();
    Properties settings = load();
    for (String name : settings.stringPropertyNames()) {
      if (name.startsWith(DRIVER_PREFIX)) {
        driver.put(name.substring(DRIVER_PREFIX.length()), settings.getProperty(name));
      }
    }
    return driver;
  }

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in = SchemaSettings.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE + " is not on the class path: a test database needs module shared beside it");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return properties;
  }
}
