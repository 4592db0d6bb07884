package dev.tally.catalog;

import java.util.List;

/** A catalog document that cannot be used, with every problem found, each naming where it is. */
public final class InvalidCatalogException extends RuntimeException {
  private final List<String> problems;

  public InvalidCatalogException(List<String> problems) {
    super(
        problems.size() == 1
            ? problems.get(0)
            : problems.size() + " problems: " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Each problem, as {@code where: what to fix} ({@code events[3].privateMetadata.query: ...}). */
  public List<String> problems() {
    return problems;
  }
}
