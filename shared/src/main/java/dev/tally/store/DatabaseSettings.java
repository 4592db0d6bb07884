package dev.tally.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The settings in {@code dev/tally/store/database.properties}: Flyway's, for the schema's
 * migrations, and the driver properties of every pool. A resource rather than constants, so that
 * the test fixture (module {@code testing}, which cannot depend on this module) migrates and pools
 * its databases the same way.
 */
final class DatabaseSettings {
  static final String RESOURCE = "dev/tally/store/database.properties";
  private static final String DRIVER_PREFIX = "driver.";

  private static final Properties SETTINGS = load();

  private DatabaseSettings() {}

  /** The {@code flyway.*} settings, as Flyway's {@code configuration(Map)} takes them. */
  static Map<String, String> flyway() {
    Map<String, String> flyway = new LinkedHashMap<>();
    for (String name : SETTINGS.stringPropertyNames()) {
      if (name.startsWith("flyway.")) {
        flyway.put(name, SETTINGS.getProperty(name));
      }
    }
    return flyway;
  }

  /** The PostgreSQL driver's properties, without their {@code driver.} prefix. */
  static Map<String, String> driverProperties() {
    Map<String, String> driver = new LinkedHashMap<>();
    for (String name : SETTINGS.stringPropertyNames()) {
      if (name.startsWith(DRIVER_PREFIX)) {
        driver.put(name.substring(DRIVER_PREFIX.length()), SETTINGS.getProperty(name));
      }
    }
    return driver;
  }

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in = DatabaseSettings.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return properties;
  }
}
