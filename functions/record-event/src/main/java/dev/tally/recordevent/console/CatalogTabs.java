package dev.tally.recordevent.console;

/**
 * The tabs of the catalog's pages ({@code catalog-tabs.mustache}): the entries in force, the inbox,
 * the counters and the versions, with the current one marked.
 */
record CatalogTabs(boolean onEntries, boolean onInbox, boolean onCounters, boolean onVersions) {
  static final String ENTRIES_PATH = Console.ROOT + "/catalog";
  static final String INBOX_PATH = ENTRIES_PATH + "/inbox";
  static final String DRAFT_PATH = ENTRIES_PATH + "/draft.yaml";
  static final String COUNTERS_PATH = ENTRIES_PATH + "/counters";
  static final String VERSIONS_PATH = ENTRIES_PATH + "/versions";

  /** The catalog's pages. */
  enum Tab {
    ENTRIES,
    INBOX,
    COUNTERS,
    VERSIONS
  }

  static CatalogTabs at(Tab current) {
    return new CatalogTabs(
        current == Tab.ENTRIES,
        current == Tab.INBOX,
        current == Tab.COUNTERS,
        current == Tab.VERSIONS);
  }
}
