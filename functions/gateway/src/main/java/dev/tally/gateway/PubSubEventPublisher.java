package dev.tally.gateway;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.core.InstantiatingExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publishes to a Google Cloud Pub/Sub topic through one batching {@link Publisher}, created once
 * per function instance and shut down (flushing what is pending) on {@link #close()}.
 */
public final class PubSubEventPublisher implements ClosableEventPublisher {
  static final int MIN_RETRY_TIMEOUT_SECONDS = 10;

  private final Publisher publisher;
  private final ManagedChannel emulatorChannel;

  private PubSubEventPublisher(Publisher publisher, ManagedChannel emulatorChannel) {
    this.publisher = publisher;
    this.emulatorChannel = emulatorChannel;
  }

  /**
   * A publisher for {@code projects/<projectId>/topics/<topicId>}.
   *
   * @param emulatorHost {@code host:port} of a Pub/Sub emulator, or {@code null} for Google Cloud
   *     (the Java client does not read {@code PUBSUB_EMULATOR_HOST} itself)
   * @param publishTimeout how long one publish may keep retrying before it fails (the client allows
   *     no less than {@value #MIN_RETRY_TIMEOUT_SECONDS} seconds)
   * @param threads threads that send batches
   */
  public static PubSubEventPublisher create(
      String projectId, String topicId, String emulatorHost, Duration publishTimeout, int threads) {
    Duration retryTimeout = max(publishTimeout, Duration.ofSeconds(MIN_RETRY_TIMEOUT_SECONDS));
    Publisher.Builder builder =
        Publisher.newBuilder(TopicName.of(projectId, topicId))
            .setBatchingSettings(
                BatchingSettings.newBuilder()
                    .setElementCountThreshold(500L)
                    .setRequestByteThreshold(1024L * 1024)
                    .setDelayThresholdDuration(Duration.ofMillis(5))
                    .setFlowControlSettings(
                        FlowControlSettings.newBuilder()
                            .setMaxOutstandingElementCount(20_000L)
                            .setMaxOutstandingRequestBytes(16L * 1024 * 1024)
                            .setLimitExceededBehavior(FlowController.LimitExceededBehavior.Block)
                            .build())
                    .build())
            .setRetrySettings(
                RetrySettings.newBuilder()
                    .setInitialRetryDelayDuration(Duration.ofMillis(100))
                    .setRetryDelayMultiplier(2)
                    .setMaxRetryDelayDuration(Duration.ofSeconds(5))
                    .setInitialRpcTimeoutDuration(retryTimeout)
                    .setRpcTimeoutMultiplier(1)
                    .setMaxRpcTimeoutDuration(retryTimeout)
                    .setTotalTimeoutDuration(retryTimeout)
                    .build())
            .setExecutorProvider(
                InstantiatingExecutorProvider.newBuilder().setExecutorThreadCount(threads).build());
    ManagedChannel channel = null;
    if (emulatorHost != null) {
      channel = ManagedChannelBuilder.forTarget(emulatorHost).usePlaintext().build();
      builder
          .setChannelProvider(
              FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
          .setCredentialsProvider(NoCredentialsProvider.create());
    }
    try {
      return new PubSubEventPublisher(builder.build(), channel);
    } catch (IOException e) {
      if (channel != null) {
        channel.shutdownNow();
      }
      throw new UncheckedIOException("cannot create a Pub/Sub publisher for " + topicId, e);
    }
  }

  @Override
  public CompletableFuture<String> publish(byte[] data, Map<String, String> attributes) {
    ApiFuture<String> published =
        publisher.publish(
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFrom(data))
                .putAllAttributes(attributes)
                .build());
    CompletableFuture<String> result = new CompletableFuture<>();
    ApiFutures.addCallback(
        published,
        new ApiFutureCallback<>() {
          @Override
          public void onSuccess(String messageId) {
            result.complete(messageId);
          }

          @Override
          public void onFailure(Throwable error) {
            result.completeExceptionally(error);
          }
        },
        MoreExecutors.directExecutor());
    return result;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** Publishes what is pending, then releases the publisher's threads and connections. */
  @Override
  public void close() throws InterruptedException {
    publisher.shutdown();
    publisher.awaitTermination(30, TimeUnit.SECONDS);
    if (emulatorChannel != null) {
      emulatorChannel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
