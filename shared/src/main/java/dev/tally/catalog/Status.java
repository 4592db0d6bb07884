package dev.tally.catalog;

import java.util.Locale;

/** Where an entry of the catalog stands. */
public enum Status {
  /** Drafted (by {@code catalog pull}) or proposed, not yet approved: its events are unplanned. */
  PROPOSED,
  /** Approved: its events are planned. */
  APPROVED,
  /** Still planned until its sunset date; unplanned from that day on. */
  DEPRECATED;

  /** The name in a catalog file: {@code proposed}, {@code approved}, {@code deprecated}. */
  public String fileName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Status fromFile(String name) {
    for (Status status : values()) {
      if (status.fileName().equals(name)) {
        return status;
      }
    }
    throw new IllegalArgumentException(
        "must be one of proposed, approved, deprecated, got '" + name + "'");
  }
}
