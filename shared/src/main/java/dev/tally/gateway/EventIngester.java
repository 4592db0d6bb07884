package dev.tally.gateway;

import dev.tally.event.EventNames;
import dev.tally.event.LegacyMetadata;
import dev.tally.log.JsonLog;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
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
 * out, so the sender retries it. An event that can never be accepted (invalid, or too large for
 * Pub/Sub) goes to the dead-letter topic when one is configured, and is then acknowledged so that
 * the sender stops retrying it.
 */
public final class EventIngester {
  /** Pub/Sub refuses messages of 10 MB or more; leave room for attributes. */
  static final int MAX_MESSAGE_BYTES = 10_000_000 - 64 * 1024;

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
    List<String> ids = new ArrayList<>(events.size());
    List<CompletableFuture<String>> publishes = new ArrayList<>(events.size());
    List<String> rejections = new ArrayList<>();
    List<Boolean> isRejection = new ArrayList<>(events.size());
    for (Event received : events) {
      Event event = LegacyMetadata.merge(received);
      Optional<String> problem = problem(event);
      byte[] data = null;
      if (problem.isEmpty()) {
        data = EventMessages.data(metadataJson, event);
        if (data.length > MAX_MESSAGE_BYTES) {
          problem = Optional.of("event is " + data.length + " bytes, too large for Pub/Sub");
        }
      }
      Map<String, String> attributes = EventMessages.attributes(metadata.getIdentifier(), event);
      ids.add(event.getId());
      isRejection.add(problem.isPresent());
      if (problem.isEmpty()) {
        publishes.add(publisher.publish(data, attributes));
      } else {
        rejections.add(event.getId() + ": " + problem.get());
        publishes.add(deadLetter(metadataJson, event, attributes, problem.get()));
      }
    }

    return CompletableFuture.allOf(publishes.toArray(CompletableFuture[]::new))
        .handle((done, error) -> null)
        .completeOnTimeout(null, publishTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .thenApply(
            ignored -> {
              List<String> succeeded = new ArrayList<>(events.size());
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
              Result result = new Result(succeeded, published, rejected, failed);
              log(metadata, events.size(), result, rejections, start);
              return result;
            });
  }

  private CompletableFuture<String> deadLetter(
      String metadataJson, Event event, Map<String, String> attributes, String reason) {
    if (deadLetters == null) {
      // Dropped on purpose: retrying can never make the event valid. The log line names it.
      return CompletableFuture.completedFuture("dropped");
    }
    Map<String, String> withReason = new LinkedHashMap<>(attributes);
    withReason.put("deadLetter.reason", reason);
    Event kept = event;
    byte[] data = EventMessages.data(metadataJson, kept);
    if (data.length > MAX_MESSAGE_BYTES) {
      // Keep what identifies the event; the rest cannot travel through Pub/Sub.
      kept =
          Event.newBuilder()
              .setId(event.getId())
              .setFeature(event.getFeature())
              .setAction(event.getAction())
              .setTimestamp(event.getTimestamp())
              .build();
      data = EventMessages.data(metadataJson, kept);
    }
    return deadLetters.publish(data, withReason);
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
    return Optional.empty();
  }

  private static void log(
      RecordEventsRequestMetadata metadata,
      int received,
      Result result,
      List<String> rejections,
      long start) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("requestId", metadata.getRequestId());
    fields.put("source", EventMessages.source(metadata.getIdentifier()));
    fields.put("received", received);
    fields.put("published", result.published());
    fields.put("rejected", result.rejected());
    fields.put("failed", result.failed());
    fields.put("result", result.outcome());
    fields.put("latencyMs", (System.nanoTime() - start) / 1_000_000.0);
    if (!rejections.isEmpty()) {
      fields.put("rejections", rejections.subList(0, Math.min(20, rejections.size())));
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
   */
  public record Result(List<String> succeeded, int published, int rejected, int failed) {
    /** {@code success}, {@code partial_failure} or {@code complete_failure}. */
    public String outcome() {
      if (failed == 0) {
        return "success";
      }
      return failed < published + rejected + failed ? "partial_failure" : "complete_failure";
    }
  }
}
