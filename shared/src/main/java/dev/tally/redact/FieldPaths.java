package dev.tally.redact;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.WireFormat;
import dev.tally.event.MarketingField;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventMarketingTracking;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /**
   * What the egress ledger reads of an exported event: its name and the paths leaving with it
   * ({@link #leaving}).
   */
  public record Egress(String feature, String action, List<String> leaving) {
    public Egress {
      leaving = List.copyOf(leaving);
    }
  }

  /** What the egress ledger reads of {@code exported}. */
  public static Egress egress(Event exported) {
    return new Egress(exported.getFeature(), exported.getAction(), leaving(exported));
  }

  private static final int FEATURE = tag(Event.FEATURE_FIELD_NUMBER);
  private static final int ACTION = tag(Event.ACTION_FIELD_NUMBER);
  private static final int PARAMETERS = tag(Event.PARAMETERS_FIELD_NUMBER);
  private static final int MARKETING_TRACKING_FIELD = tag(Event.MARKETING_TRACKING_FIELD_NUMBER);
  private static final int PRIVATE_METADATA_FIELD =
      tag(EventParameters.PRIVATE_METADATA_FIELD_NUMBER);
  private static final int STRUCT_ENTRY = tag(Struct.FIELDS_FIELD_NUMBER);
  private static final int ENTRY_KEY = tag(1);

  /**
   * What the egress ledger reads of an encoded event ({@code payload}, an {@link Event}'s bytes),
   * read from the bytes without decoding the rest of the event: the same as {@link #egress(Event)}
   * of the decoded event, under protobuf's rules (the last value of a name wins, repeated messages
   * merge, fields of an unexpected wire type are unknown fields).
   *
   * <p>The event's structure is checked as far as it is read: every field of the event, of its
   * parameters, of its private metadata and of its marketing tracking must be whole, and the names
   * and keys valid UTF-8. What is only skipped (the values of private metadata, for example) is not
   * decoded, so a payload this accepts may still fail to decode in full.
   *
   * @throws InvalidProtocolBufferException when the bytes are not such an event
   */
  public static Egress egress(byte[] payload) throws InvalidProtocolBufferException {
    try {
      return readEgress(payload);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      // A byte array never fails to be read otherwise.
      throw new InvalidProtocolBufferException(e);
    }
  }

  private static Egress readEgress(byte[] payload) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(payload);
    String feature = "";
    String action = "";
    Set<String> privateKeys = new LinkedHashSet<>();
    boolean tracking = false;
    boolean[] marketing = new boolean[MarketingField.values().length];
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == FEATURE) {
        feature = in.readStringRequireUtf8();
      } else if (tag == ACTION) {
        action = in.readStringRequireUtf8();
      } else if (tag == PARAMETERS) {
        int limit = in.pushLimit(in.readRawVarint32());
        readParameters(in, privateKeys);
        in.popLimit(limit);
      } else if (tag == MARKETING_TRACKING_FIELD) {
        tracking = true;
        int limit = in.pushLimit(in.readRawVarint32());
        readTracking(in, marketing);
        in.popLimit(limit);
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    in.checkLastTagWas(0);
    if (privateKeys.isEmpty() && !tracking) {
      return new Egress(feature, action, List.of());
    }
    List<String> leaving = new ArrayList<>(privateKeys.size() + 1);
    for (String key : privateKeys) {
      leaving.add(PRIVATE_METADATA + key);
    }
    MarketingField[] fields = MarketingField.values();
    for (int i = 0; i < fields.length; i++) {
      if (marketing[i]) {
        leaving.add(MARKETING_TRACKING + fields[i].jsonName());
      }
    }
    return new Egress(feature, action, leaving);
  }

  /** Reads an {@code EventParameters} message up to the current limit: its private keys. */
  private static void readParameters(CodedInputStream in, Set<String> privateKeys)
      throws IOException {
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      if (tag == PRIVATE_METADATA_FIELD) {
        int limit = in.pushLimit(in.readRawVarint32());
        readStructKeys(in, privateKeys);
        in.popLimit(limit);
      } else if (!in.skipField(tag)) {
        throw endGroupOutOfPlace();
      }
    }
  }

  /** Reads a {@code Struct} up to the current limit: the keys of its fields. */
  private static void readStructKeys(CodedInputStream in, Set<String> keys) throws IOException {
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      if (tag == STRUCT_ENTRY) {
        int limit = in.pushLimit(in.readRawVarint32());
        String key = "";
        while (true) {
          int entryTag = in.readTag();
          if (entryTag == 0) {
            break;
          }
          if (entryTag == ENTRY_KEY) {
            key = in.readStringRequireUtf8();
          } else if (!in.skipField(entryTag)) {
            throw endGroupOutOfPlace();
          }
        }
        in.popLimit(limit);
        keys.add(key);
      } else if (!in.skipField(tag)) {
        throw endGroupOutOfPlace();
      }
    }
  }

  /** Reads an {@code EventMarketingTracking} up to the current limit: which fields it holds. */
  private static void readTracking(CodedInputStream in, boolean[] present) throws IOException {
    MarketingField[] fields = MarketingField.values();
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      boolean known = false;
      if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int number = WireFormat.getTagFieldNumber(tag);
        for (int i = 0; i < fields.length; i++) {
          if (fields[i].descriptor().getNumber() == number) {
            in.readStringRequireUtf8();
            present[i] = true;
            known = true;
            break;
          }
        }
      }
      if (!known && !in.skipField(tag)) {
        throw endGroupOutOfPlace();
      }
    }
  }

  /** The tag of a length-delimited field (a string or a message). */
  private static int tag(int fieldNumber) {
    return (fieldNumber << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  /** What protobuf's parser says of an end-group tag outside a group. */
  private static InvalidProtocolBufferException endGroupOutOfPlace() {
    return new InvalidProtocolBufferException(
        "Protocol message end-group tag did not match expected tag.");
  }

  private static List<String> add(List<String> paths, String path) {
    List<String> list = paths == null ? new ArrayList<>(4) : paths;
    list.add(path);
    return list;
  }
}
