package dev.tally.recordevent.console;

/**
 * What every page's header shows ({@code header.mustache}): the title, and for a signed-in
 * administrator the navigation with the current page marked.
 */
record Layout(
    String title,
    boolean signedIn,
    boolean navUsage,
    boolean navRecorded,
    boolean navExported,
    boolean navExport,
    boolean navCatalog) {

  /** The pages of the navigation. */
  enum Nav {
    USAGE,
    RECORDED,
    EXPORTED,
    EXPORT,
    CATALOG
  }

  /** A page of a signed-in administrator, under the navigation's {@code current}. */
  static Layout signedIn(String title, Nav current) {
    return new Layout(
        title,
        true,
        current == Nav.USAGE,
        current == Nav.RECORDED,
        current == Nav.EXPORTED,
        current == Nav.EXPORT,
        current == Nav.CATALOG);
  }

  /** A page without the navigation: the sign-in form, an error. */
  static Layout signedOut(String title) {
    return new Layout(title, false, false, false, false, false, false);
  }
}
