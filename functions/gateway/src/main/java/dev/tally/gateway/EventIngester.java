package dev.tally.gateway;

import com.google.protobuf.util.Timestamps;
import dev.tally.event.EventNames;
import dev.tally.event.LegacyMetadata;
import dev.tally.log.JsonLog;
import dev.tally.log.RequestTrace;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a batch of events and says which of them were accepted.
 *
 * <p>A valid event is acknowledged only after Pub/Sub accepted it; one whose publish failed is left
 * out, so the sender retries it. An event that can never be accepted (invalid, unprintable as JSON,
 * or too large for Pub/Sub) goes to the dead-letter topic when one is configured, and is then
 * acknowledged so that the sender stops retrying it. Whatever goes wrong with one event concerns
 * that event only: the others of the batch are published and acknowledged as usual.
 */
public final class EventIngester {
  /** Pub/Sub refuses messages of 10 MB or more (data and attributes); leave room for the rest. */
  static final int MAX_MESSAGE_BYTES = 10_000_000 - 64 * 1024;

  /** Attribute of a dead letter that says why the event can never be accepted. */
  static final String DEAD_LETTER_REASON = "deadLetter.reason";

  private final EventPublisher publisher;
  private final EventPublisher deadLetters;
  private final Duration publishTimeout;

  /**
   * @param deadLetters where non-retryable events go, or {@code null} to log and drop them
   * @param publishTimeout how long to wait for Pub/Sub before leaving events unacknowledged
   */
  public EventIngester(
      EventPublisher publisher, EventPublisher deadLetters, Duration publishTimeout) {
    this.publisher = Objects.requireNonNull(publisher, "publisher");
    this.deadLetters = deadLetters;
    this.publishTimeout = Objects.requireNonNull(publishTimeout, "publishTimeout");
  }

  /**
   * Publishes {@code events} sent with {@code metadata} and waits for the outcome.
   *
   * @param metadata the call's metadata, already validated
   * @param metadataJson {@link EventMessages#metadataJson} of the publishable metadata
   */
  public Result ingest(
      RecordEventsRequestMetadata metadata, String metadataJson, List<Event> events) {
    return ingestAsync(metadata, metadataJson, events).join();
  }

  /**
   * Starts publishing {@code events} and returns at once; the result completes when every publish
   * finished or the publish timeout passed, whichever comes first. Events not published by then
   * count as failed (and may still reach the topic: a duplicate, never a loss).
   */
  public CompletableFuture<Result> ingestAsync(
      RecordEventsRequestMetadata metadata, String metadataJson, List<Event> events) {
    long start = System.nanoTime();
    // The batch's line is written where the publishes complete: with the caller's trace.
    RequestTrace trace = JsonLog.currentTrace();
    Identifier identifier = metadata.getIdentifier();
    // Only the count and the IDs are kept until the publishes complete: the decoded events, the
    // largest part of a batch in memory, are left to the collector as soon as they are printed.
    int count = events.size();
    List<String> ids = new ArrayList<>(events.size());
    List<CompletableFuture<String>> publishes = new ArrayList<>(events.size());
    List<Rejection> rejections = new ArrayList<>();
    List<Boolean> isRejection = new ArrayList<>(events.size());
    for (Event received : events) {
      ids.add(received.getId());
      Event event = received;
      String problem;
      try {
        event = LegacyMetadata.merge(received);
        problem = problem(event).orElse(null);
        if (problem == null) {
          byte[] data = EventMessages.data(metadataJson, event);
          Map<String, String> attributes = EventMessages.attributes(identifier, event);
          int size = messageBytes(data, attributes);
          if (size <= MAX_MESSAGE_BYTES) {
            isRejection.add(false);
            publishes.add(publish(publisher, data, attributes));
            continue;
          }
          problem = "event is " + size + " bytes, too large for Pub/Sub";
        }
      } catch (RuntimeException e) {
        problem = "event cannot be printed as JSON: " + shortMessage(e);
      }
      isRejection.add(true);
      rejections.add(new Rejection(received.getId(), problem));
      try {
        publishes.add(deadLetter(identifier, metadataJson, event, problem));
      } catch (RuntimeException e) {
        // Left unacknowledged, like a failed publish: the sender tries again.
        publishes.add(CompletableFuture.failedFuture(e));
      }
    }

    return CompletableFuture.allOf(publishes.toArray(CompletableFuture[]::new))
        .handle((done, error) -> null)
        .completeOnTimeout(null, publishTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .thenApply(
            ignored -> {
              List<String> succeeded = new ArrayList<>(count);
              int published = 0;
              int rejected = 0;
              int failed = 0;
              for (int i = 0; i < publishes.size(); i++) {
                CompletableFuture<String> publish = publishes.get(i);
                if (!publish.isDone() || publish.isCompletedExceptionally()) {
                  failed++;
                  continue;
                }
                if (isRejection.get(i)) {
                  rejected++;
                } else {
                  published++;
                }
                if (!ids.get(i).isEmpty()) {
                  succeeded.add(ids.get(i));
                }
              }
              Result result =
                  new Result(succeeded, published, rejected, failed, List.copyOf(rejections));
              try (JsonLog.Scope scope = JsonLog.inRequest(trace)) {
                log(metadata, count, result, start);
              }
              return result;
            });
  }

  /** Publishes; a publisher that throws instead of failing its future fails the same way. */
  private static CompletableFuture<String> publish(
      EventPublisher publisher, byte[] data, Map<String, String> attributes) {
    try {
      return publisher.publish(data, attributes);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<String> deadLetter(
      Identifier identifier, String metadataJson, Event event, String reason) {
    if (deadLetters == null) {
      // Dropped on purpose: retrying can never make the event valid. The log line names it.
      return CompletableFuture.completedFuture("dropped");
    }
    Map<String, String> attributes = EventMessages.attributes(identifier, event, 1);
    attributes.put(
        DEAD_LETTER_REASON,
        EventMessages.truncate(reason, EventMessages.MAX_ATTRIBUTE_VALUE_BYTES));
    byte[] data;
    try {
      data = EventMessages.data(metadataJson, event);
    } catch (RuntimeException unprintable) {
      data = null;
    }
    if (data == null || messageBytes(data, attributes) > MAX_MESSAGE_BYTES) {
      // Keep what identifies the event; the rest cannot travel through Pub/Sub.
      data = EventMessages.data(metadataJson, EventMessages.identifying(event));
    }
    return publish(deadLetters, data, attributes);
  }

  /** What a message counts against Pub/Sub's size limit: its data and its attributes. */
  private static int messageBytes(byte[] data, Map<String, String> attributes) {
    int bytes = data.length;
    for (Map.Entry<String, String> attribute : attributes.entrySet()) {
      bytes +=
          attribute.getKey().getBytes(StandardCharsets.UTF_8).length
              + attribute.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    return bytes;
  }

  private static String shortMessage(RuntimeException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.length() > 200 ? message.substring(0, 200) + "..." : message;
  }

  /** Why an event can never be accepted, if it cannot. */
  static Optional<String> problem(Event event) {
    if (event.getId().isEmpty()) {
      return Optional.of("'id' must be set");
    }
    Optional<String> name =
        EventNames.problem("feature", event.getFeature())
            .or(() -> EventNames.problem("action", event.getAction()));
    if (name.isPresent()) {
      return name;
    }
    if (!event.hasTimestamp()) {
      return Optional.of("'timestamp' must be set");
    }
    if (!Timestamps.isValid(event.getTimestamp())) {
      return Optional.of(
          "'timestamp' is not a valid time (seconds "
              + event.getTimestamp().getSeconds()
              + ", nanos "
              + event.getTimestamp().getNanos()
              + ")");
    }
    return Optional.empty();
  }

  private static void log(
      RecordEventsRequestMetadata metadata, int received, Result result, long start) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("requestId", metadata.getRequestId());
    fields.put("source", EventMessages.source(metadata.getIdentifier()));
    fields.put("received", received);
    fields.put("published", result.published());
    fields.put("rejected", result.rejected());
    fields.put("failed", result.failed());
    fields.put("result", result.outcome());
    fields.put("latencyMs", (System.nanoTime() - start) / 1_000_000.0);
    if (!result.rejections().isEmpty()) {
      fields.put(
          "rejections",
          result.rejections().stream()
              .limit(20)
              .map(r -> r.eventId() + ": " + r.reason())
              .toList());
    }
    if (result.failed() > 0) {
      JsonLog.warning("gateway batch", fields);
    } else {
      JsonLog.info("gateway batch", fields);
    }
  }

  /**
   * What happened to a batch.
   *
   * @param succeeded IDs to acknowledge: published, or rejected for good
   * @param published events accepted by Pub/Sub
   * @param rejected events that can never be accepted (dead-lettered or dropped)
   * @param failed events whose publish failed; the sender retries them
   * @param rejections why each rejected event can never be accepted
   */
  public record Result(
      List<String> succeeded, int published, int rejected, int failed, List<Rejection> rejections) {
    /** {@code success}, {@code partial_failure} or {@code complete_failure}. */
    public String outcome() {
      if (failed == 0) {
        return "success";
      }
      return failed < published + rejected + failed ? "partial_failure" : "complete_failure";
    }
  }

  /** An event that can never be accepted, and why. */
  public record Rejection(String eventId, String reason) {}
}
