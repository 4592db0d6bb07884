package dev.tally.recordevent.console;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tally.testing.FunctionProcess;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Headless Chromium for the console's browser tests, driven through chromedriver (the Debian
 * packages {@code chromium} and {@code chromedriver}): its page console read back, its clipboard
 * opened to a page, screenshots of each page in {@code target/console-screenshots}.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

  private final ChromeDriver driver;
  private final Path profile;

  private HeadlessChromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Chromium and chromedriver from the Debian packages; fails saying how to install them. */
  static HeadlessChromium start() throws IOException {
    File chromium = new File(System.getenv().getOrDefault("CHROME_BIN", "/usr/bin/chromium"));
    File driver = new File(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));
    if (!chromium.canExecute() || !driver.canExecute()) {
      fail(
          "the browser tests need Chromium and its driver: apt-get install -y chromium"
              + " chromium-driver (or set CHROME_BIN and CHROMEDRIVER); .ci/run installs them");
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1800");
    // What the pages write to their console (script errors, refused content) is kept to be read.
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // The profile goes under target/; Chromium still opens its singleton socket in a directory of
    // its own in /tmp (a socket path under target/ could be too long), removed after quitting.
    Path profile = Files.createTempDirectory(FunctionProcess.logDirectory(), "chromium-profile-");
    options.addArguments("--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
    Files.createDirectories(SCREENSHOTS);
    return new HeadlessChromium(new ChromeDriver(service, options), profile);
  }

  ChromeDriver driver() {
    return driver;
  }

  /** Saves what the browser shows as {@code target/console-screenshots/NAME.png}. */
  void screenshot(String name) throws IOException {
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(
        shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The errors the pages wrote to their console since the last call: a script that failed, or
   * content the page's policy refused. The browser's own request for {@code /favicon.ico}, which no
   * page asks for, is not a page's error.
   */
  List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .filter(message -> !message.contains("/favicon.ico "))
        .toList();
  }

  /** Lets the pages of {@code origin} write to the clipboard and read it, as a person allows. */
  void allowClipboard(String origin) {
    driver.executeCdpCommand(
        "Browser.grantPermissions",
        Map.of(
            "origin",
            origin,
            "permissions",
            List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
  }

  /** The text on the clipboard, read by the page open now. */
  String clipboard() {
    Object text =
        driver.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + " navigator.clipboard.readText().then(done, e => done('unreadable: ' + e));");
    return String.valueOf(text);
  }

  @Override
  public void close() throws IOException {
    driver.quit();
    removeSingletonSocket();
  }

  /** Removes the directory of Chromium's singleton socket, which it leaves in /tmp. */
  private void removeSingletonSocket() throws IOException {
    Path link = profile.resolve("SingletonSocket");
    if (Files.isSymbolicLink(link)) {
      Path directory = Files.readSymbolicLink(link).getParent();
      if (directory != null && directory.getFileName().toString().startsWith("org.chromium.")) {
        try (Stream<Path> files = Files.list(directory)) {
          for (Path file : files.toList()) {
            Files.deleteIfExists(file);
          }
        }
        Files.deleteIfExists(directory);
      }
    }
  }
}
