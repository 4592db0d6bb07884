package dev.tally.catalog;

/**
 * Where recording finds the catalog in force: in memory, refreshed from the applied versions within
 * seconds of an apply.
 */
@FunctionalInterface
public interface CatalogSource {
  /** The rules in force now; never blocks for long, never null. */
  CatalogRules current();

  /** Always the same rules: for tests, and for an instance that never applies a catalog. */
  static CatalogSource fixed(CatalogRules rules) {
    return () -> rules;
  }
}
