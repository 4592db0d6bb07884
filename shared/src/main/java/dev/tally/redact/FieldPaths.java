package dev.tally.redact;

import com.google.protobuf.Struct;
import dev.tally.event.MarketingField;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The field paths of an event that the egress ledger counts, by name only, never by value: {@code
 * privateMetadata.<top-level key>}, {@code metadata.<key>} and {@code marketingTracking.<field>}
 * (the field's name in a published message's JSON, such as {@code cohortId}).
 *
 * <p>What was withheld is found by comparing the event as built with its exported copy, whatever
 * made the difference (the redaction rules or the catalog), so that it can never disagree with what
 * was queued. Both are cheap when nothing differs: the comparisons stop at the sizes.
 */
public final class FieldPaths {
  public static final String PRIVATE_METADATA = "privateMetadata.";
  public static final String METADATA = "metadata.";
  public static final String MARKETING_TRACKING = "marketingTracking.";

  private FieldPaths() {}

  /**
   * The paths that {@code built} holds and {@code exported}, its exported copy, does not, or {@code
   * null} when none is withheld (as the queue stores nothing withheld).
   */
  public static String[] withheld(Event built, Event exported) {
    if (built == exported) {
      return null;
    }
    List<String> withheld = null;
    Struct builtPrivate = built.getParameters().getPrivateMetadata();
    Struct exportedPrivate = exported.getParameters().getPrivateMetadata();
    if (builtPrivate.getFieldsCount() > exportedPrivate.getFieldsCount()) {
      Map<String, ?> kept = exportedPrivate.getFieldsMap();
      for (String key : builtPrivate.getFieldsMap().keySet()) {
        if (!kept.containsKey(key)) {
          withheld = add(withheld, PRIVATE_METADATA + key);
        }
      }
    }
    Map<String, Double> builtMetadata = built.getParameters().getMetadataMap();
    if (builtMetadata.size() > exported.getParameters().getMetadataCount()) {
      Map<String, Double> kept = exported.getParameters().getMetadataMap();
      for (String key : builtMetadata.keySet()) {
        if (!kept.containsKey(key)) {
          withheld = add(withheld, METADATA + key);
        }
      }
    }
    if (built.hasMarketingTracking()) {
      EventMarketingTracking builtTracking = built.getMarketingTracking();
      EventMarketingTracking exportedTracking = exported.getMarketingTracking();
      if (!builtTracking.equals(exportedTracking)) {
        for (MarketingField field : MarketingField.values()) {
          if (field.valueIn(builtTracking) != null && field.valueIn(exportedTracking) == null) {
            withheld = add(withheld, MARKETING_TRACKING + field.jsonName());
          }
        }
      }
    }
    return withheld == null ? null : withheld.toArray(new String[0]);
  }

  /**
   * The paths the egress ledger counts as leaving with {@code exported}: its top-level
   * private-metadata keys and its marketing fields. Empty for most events, which carry neither.
   */
  public static List<String> leaving(Event exported) {
    Struct privateMetadata = exported.getParameters().getPrivateMetadata();
    boolean tracking = exported.hasMarketingTracking();
    if (privateMetadata.getFieldsCount() == 0 && !tracking) {
      return List.of();
    }
    List<String> leaving = new ArrayList<>(privateMetadata.getFieldsCount());
    for (String key : privateMetadata.getFieldsMap().keySet()) {
      leaving.add(PRIVATE_METADATA + key);
    }
    if (tracking) {
      for (MarketingField field : MarketingField.values()) {
        if (field.valueIn(exported.getMarketingTracking()) != null) {
          leaving.add(MARKETING_TRACKING + field.jsonName());
        }
      }
    }
    return leaving;
  }

  private static List<String> add(List<String> paths, String path) {
    List<String> list = paths == null ? new ArrayList<>(4) : paths;
    list.add(path);
    return list;
  }
}
