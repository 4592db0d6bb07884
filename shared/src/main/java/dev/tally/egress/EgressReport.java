package dev.tally.egress;

import java.time.LocalDate;
import java.util.List;

/**
 * What left the instance over a period of UTC days, from the egress ledger, beside the period of
 * the same length just before it.
 *
 * @param period the days reported, both included
 * @param previous the period compared against: as many days, ending the day before {@code period}
 * @param events events exported in the period
 * @param bytes their exported payloads' bytes
 * @param names one entry per {@code feature.action} exported in the period: first those that are
 *     new or that carried a field out newly, then by events, most first
 */
public record EgressReport(
    Period period, Period previous, long events, long bytes, List<Name> names) {

  /** UTC days, both included. */
  public record Period(LocalDate from, LocalDate to) {}

  /**
   * One event name's egress in the period.
   *
   * @param catalogVersions the catalog versions its events were judged under (0: none in force)
   * @param isNew no event of this name left in the previous period
   * @param fields its field paths, by name
   */
  public record Name(
      String feature,
      String action,
      long events,
      long bytes,
      List<Integer> catalogVersions,
      boolean isNew,
      List<Field> fields) {

    /** Whether the name is new or carried any field out newly: what an auditor looks at first. */
    public boolean hasNews() {
      return isNew || fields.stream().anyMatch(Field::newlyLeft);
    }
  }

  /**
   * A field path ({@code privateMetadata.<key>}, {@code metadata.<key>}, {@code
   * marketingTracking.<field>}) of an event name's events.
   *
   * @param leftEvents events that carried it out
   * @param withheldEvents events it was withheld from
   * @param newlyLeft it left in the period and not in the previous one (for this name)
   */
  public record Field(String field, long leftEvents, long withheldEvents, boolean newlyLeft) {}
}
