package dev.tally.gatewayfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import dev.tally.gateway.GatewayConfig;
import dev.tally.gateway.InstanceTokens;
import dev.tally.grpcweb.GrpcWebClient;
import dev.tally.grpcweb.GrpcWebFrames;
import dev.tally.proto.telemetrygateway.v1.Event;
import dev.tally.proto.telemetrygateway.v1.EventParameters;
import dev.tally.proto.telemetrygateway.v1.Identifier;
import dev.tally.proto.telemetrygateway.v1.RecordEventRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequest;
import dev.tally.proto.telemetrygateway.v1.RecordEventsRequestMetadata;
import dev.tally.proto.telemetrygateway.v1.RecordEventsResponse;
import dev.tally.proto.telemetrygateway.v1.TelemeteryGatewayServiceGrpc;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.PubSubEmulator;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The gateway function in the real invoker, publishing to the real Pub/Sub emulator. */
class GatewayIT {
  static final String RECORD_EVENTS = "telemetrygateway.v1.TelemeteryGatewayService/RecordEvents";
  static final String RECORD_EVENT = "telemetrygateway.v1.TelemeteryGatewayService/RecordEvent";
  static final String TOKEN = "gateway-test-token";
  static final String INSTANCE = "instance-1";

  /** An instance whose token may publish as an unlicensed instance only. */
  static final String UNLICENSED_INSTANCE = "instance-unlicensed";

  static final String UNLICENSED_TOKEN = "gateway-test-unlicensed-token";

  /** {@link #INSTANCE} licensed, {@link #UNLICENSED_INSTANCE} not. */
  static final String TOKENS =
      "licensed-instance:"
          + INSTANCE
          + "="
          + InstanceTokens.sha256Hex(TOKEN)
          + ",instance:"
          + UNLICENSED_INSTANCE
          + "="
          + InstanceTokens.sha256Hex(UNLICENSED_TOKEN);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final GrpcWebClient CLIENT = new GrpcWebClient(Duration.ofSeconds(5));

  private static PubSubEmulator emulator;
  private static FunctionProcess function;
  private static Map<String, String> env;

  private String eventsSub;
  private String deadLettersSub;

  @BeforeAll
  static void start() throws Exception {
    emulator = PubSubEmulator.start();
    emulator.createTopic("events");
    emulator.createTopic("dead-letters");
    env = new HashMap<>();
    env.put("PUBSUB_PROJECT_ID", PubSubEmulator.PROJECT);
    env.put("PUBSUB_EMULATOR_HOST", emulator.hostPort());
    env.put("TELEMETRY_GATEWAY_TOPIC", "events");
    env.put("TELEMETRY_GATEWAY_DEAD_LETTER_TOPIC", "dead-letters");
    env.put("TELEMETRY_GATEWAY_INSTANCE_TOKENS", TOKENS);
    env.put("TELEMETRY_GATEWAY_MAX_REQUEST_BYTES", String.valueOf(1024 * 1024));
    env.put("GOOGLE_CLOUD_PROJECT", "gateway-project");
    function = FunctionProcess.start("gateway", "dev.tally.gatewayfn.GatewayFunction", env);
  }

  /** This test's own subscriptions: what other tests published never shows up in them. */
  @BeforeEach
  void subscribe(TestInfo test) throws Exception {
    String name = test.getTestMethod().orElseThrow().getName().toLowerCase();
    eventsSub = "events-" + name;
    deadLettersSub = "dead-" + name;
    emulator.createSubscription(eventsSub, "events");
    emulator.createSubscription(deadLettersSub, "dead-letters");
  }

  @AfterAll
  static void stop() throws Exception {
    if (function != null) {
      function.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  static RecordEventsRequestMetadata metadata(String instanceId) {
    return RecordEventsRequestMetadata.newBuilder()
        .setRequestId("req-" + UUID.randomUUID())
        .setIdentifier(
            Identifier.newBuilder()
                .setLicensedInstance(
                    Identifier.LicensedInstanceIdentifier.newBuilder()
                        .setLicenseKey("license-key-in-clear")
                        .setInstanceId(instanceId)
                        .setExternalUrl("https://sourcegraph.example.com")))
        .build();
  }

  static Event event(String feature, EventParameters.Builder parameters) {
    return Event.newBuilder()
        .setId(UUID.randomUUID().toString())
        .setFeature(feature)
        .setAction("used")
        .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000))
        .setParameters(parameters)
        .build();
  }

  static List<byte[]> stream(RecordEventsRequestMetadata metadata, List<Event> events) {
    return List.of(
        RecordEventsRequest.newBuilder().setMetadata(metadata).build().toByteArray(),
        RecordEventsRequest.newBuilder()
            .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(events))
            .build()
            .toByteArray());
  }

  static GrpcWebClient.Result call(String method, List<byte[]> messages, String token, boolean text)
      throws Exception {
    Map<String, String> headers =
        token == null ? Map.of() : Map.of("Authorization", "Bearer " + token);
    return CLIENT.call(function.uri("/"), method, messages, headers, text, Duration.ofSeconds(30));
  }

  static Set<String> ids(List<Event> events) {
    return events.stream().map(Event::getId).collect(Collectors.toSet());
  }

  static Set<String> acknowledged(GrpcWebClient.Result result) throws Exception {
    Set<String> ids = new java.util.HashSet<>();
    for (byte[] message : result.messages()) {
      ids.addAll(RecordEventsResponse.parseFrom(message).getSucceededEventsList());
    }
    return ids;
  }

  @Test
  void logs_ofACallCarryItsTraceOnEveryLine() throws Exception {
    String trace = UUID.randomUUID().toString().replace("-", "");
    String requestId = "traced-" + UUID.randomUUID();
    RecordEventsRequestMetadata metadata =
        metadata(INSTANCE).toBuilder().setRequestId(requestId).build();

    List<byte[]> frames =
        List.of(
            RecordEventsRequest.newBuilder().setMetadata(metadata).build().toByteArray(),
            eventsFrame(event("traced.call", EventParameters.newBuilder())),
            eventsFrame(event("traced.call", EventParameters.newBuilder())));

    GrpcWebClient.Result result =
        CLIENT.call(
            function.uri("/"),
            RECORD_EVENTS,
            frames,
            Map.of("Authorization", "Bearer " + TOKEN, "X-Cloud-Trace-Context", trace + "/42;o=1"),
            false,
            Duration.ofSeconds(30));
    assertTrue(result.isOk(), result.grpcMessage());

    // Each batch's line (written where its publishes complete, the two batches publishing at
    // once) and the HTTP request's line, which is written once the answer is sent: wait for all.
    List<JsonNode> lines = new java.util.ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (lines.size() < 3 && System.nanoTime() < deadline) {
      lines.clear();
      for (String line : function.output().split("\n")) {
        if (line.endsWith("}") && line.contains(trace)) {
          lines.add(JSON.readTree(line));
        }
      }
      Thread.sleep(20);
    }

    assertEquals(
        List.of("gateway batch", "gateway batch", "gateway request"),
        lines.stream().map(l -> l.path("message").asText()).sorted().toList(),
        function.output());
    for (JsonNode line : lines) {
      assertEquals(
          "projects/gateway-project/traces/" + trace,
          line.path("logging.googleapis.com/trace").asText());
      assertEquals("000000000000002a", line.path("logging.googleapis.com/spanId").asText());
    }
  }

  @Test
  void recordEvents_overGrpcWebPublishesEveryEventWithItsAttributes() throws Exception {
    Event transcript =
        event(
            "cody.chat",
            EventParameters.newBuilder().putMetadata("recordsPrivateMetadataTranscript", 1));
    Event emptyPrivate =
        event(
            "cody.chat",
            EventParameters.newBuilder().setPrivateMetadata(Struct.getDefaultInstance()));
    Event plain =
        event(
            "search",
            EventParameters.newBuilder()
                .putMetadata("recordTranscript", 1)
                .putLegacyMetadata("old", 2));
    List<Event> events = List.of(transcript, emptyPrivate, plain);
    RecordEventsRequestMetadata metadata = metadata(INSTANCE);

    GrpcWebClient.Result result = call(RECORD_EVENTS, stream(metadata, events), TOKEN, false);

    assertTrue(result.isOk(), result.grpcStatus() + " " + result.grpcMessage());
    assertEquals(200, result.httpStatus());
    assertEquals(1, result.messages().size(), "one response per events message");
    assertEquals(ids(events), acknowledged(result));

    Map<String, PubSubEmulator.Message> byId = new HashMap<>();
    for (PubSubEmulator.Message message : emulator.pull(eventsSub, 3, Duration.ofSeconds(10))) {
      byId.put(JSON.readTree(message.data()).path("event").path("id").asText(), message);
    }
    assertEquals(ids(events), byId.keySet());

    PubSubEmulator.Message first = byId.get(transcript.getId());
    JsonNode data = JSON.readTree(first.data());
    assertEquals(metadata.getRequestId(), data.path("metadata").path("requestId").asText());
    JsonNode licensed = data.path("metadata").path("identifier").path("licensedInstance");
    assertEquals(INSTANCE, licensed.path("instanceId").asText());
    assertFalse(first.text().contains("license-key-in-clear"), "no license key in clear");
    assertEquals("cody.chat", data.path("event").path("feature").asText());
    assertEquals("2023-11-14T22:13:20Z", data.path("event").path("timestamp").asText());
    assertEquals(
        Map.of(
            "publisher.source", "licensed_instance",
            "event.feature", "cody.chat",
            "event.action", "used",
            "event.hasPrivateMetadata", "false",
            "event.recordsPrivateMetadataTranscript", "true"),
        first.attributes());
    assertEquals(
        "true", byId.get(emptyPrivate.getId()).attributes().get("event.hasPrivateMetadata"));
    Map<String, String> plainAttributes = byId.get(plain.getId()).attributes();
    assertFalse(plainAttributes.containsKey("event.recordTranscript"));
    JsonNode plainEvent = JSON.readTree(byId.get(plain.getId()).data()).path("event");
    assertEquals(2.0, plainEvent.path("parameters").path("metadata").path("old").asDouble());
    assertTrue(plainEvent.path("parameters").path("legacyMetadata").isMissingNode());
  }

  @Test
  void recordEvents_overGrpcWebTextWorksTheSame() throws Exception {
    List<Event> events = List.of(event("text.mode", EventParameters.newBuilder()));

    GrpcWebClient.Result result =
        call(RECORD_EVENTS, stream(metadata(INSTANCE), events), TOKEN, true);

    assertTrue(result.isOk(), result.grpcMessage());
    assertEquals(ids(events), acknowledged(result));
    assertEquals(1, emulator.pull(eventsSub, 1, Duration.ofSeconds(10)).size());
  }

  @Test
  void recordEvents_anInvalidEventGoesToTheDeadLetterTopicAndIsAcknowledged() throws Exception {
    Event valid = event("valid.feature", EventParameters.newBuilder());
    Event invalid = event("Invalid_Feature", EventParameters.newBuilder());

    GrpcWebClient.Result result =
        call(RECORD_EVENTS, stream(metadata(INSTANCE), List.of(valid, invalid)), TOKEN, false);

    assertEquals(ids(List.of(valid, invalid)), acknowledged(result), "senders stop retrying it");
    List<PubSubEmulator.Message> published = emulator.pull(eventsSub, 1, Duration.ofSeconds(10));
    assertEquals(1, published.size());
    assertEquals(
        valid.getId(), JSON.readTree(published.get(0).data()).path("event").path("id").asText());
    List<PubSubEmulator.Message> dead = emulator.pull(deadLettersSub, 1, Duration.ofSeconds(10));
    assertEquals(1, dead.size());
    assertEquals(
        invalid.getId(), JSON.readTree(dead.get(0).data()).path("event").path("id").asText());
    assertTrue(
        dead.get(0).attributes().get("deadLetter.reason").startsWith("'feature' must start"),
        dead.get(0).attributes().toString());
  }

  @Test
  void recordEvent_unaryOverGrpcWeb() throws Exception {
    Event event = event("unary.call", EventParameters.newBuilder());
    byte[] request =
        RecordEventRequest.newBuilder()
            .setMetadata(metadata(INSTANCE))
            .setEvent(event)
            .build()
            .toByteArray();

    GrpcWebClient.Result result = call(RECORD_EVENT, List.of(request), TOKEN, false);

    assertTrue(result.isOk(), result.grpcMessage());
    assertEquals(1, result.messages().size());
    assertEquals(1, emulator.pull(eventsSub, 1, Duration.ofSeconds(10)).size());
  }

  @Test
  void authentication_missingTokenIsUnauthenticatedAndAnotherInstanceIsDenied() throws Exception {
    List<Event> events = List.of(event("auth.check", EventParameters.newBuilder()));

    GrpcWebClient.Result missing =
        call(RECORD_EVENTS, stream(metadata(INSTANCE), events), null, false);
    GrpcWebClient.Result unknown =
        call(RECORD_EVENTS, stream(metadata(INSTANCE), events), "not-a-token", false);
    GrpcWebClient.Result otherInstance =
        call(RECORD_EVENTS, stream(metadata("instance-2"), events), TOKEN, false);

    assertEquals(200, missing.httpStatus());
    assertEquals(16, missing.grpcStatus(), "UNAUTHENTICATED");
    assertEquals(16, unknown.grpcStatus(), "UNAUTHENTICATED");
    assertEquals(7, otherInstance.grpcStatus(), "PERMISSION_DENIED");
    assertEquals(
        "the token does not belong to licensed instance 'instance-2'", otherInstance.grpcMessage());
    assertEquals(0, emulator.pull(eventsSub, 0, Duration.ZERO).size(), "nothing published");
  }

  @Test
  void authentication_anUnlicensedInstancesTokenPublishesAsUnlicensedOnly() throws Exception {
    Event asLicensed = event("auth.licensed", EventParameters.newBuilder());
    Event asUnlicensed = event("auth.unlicensed", EventParameters.newBuilder());
    RecordEventsRequestMetadata unlicensed =
        RecordEventsRequestMetadata.newBuilder()
            .setRequestId("req-" + UUID.randomUUID())
            .setIdentifier(
                Identifier.newBuilder()
                    .setUnlicensedInstance(
                        Identifier.UnlicensedInstanceIdentifier.newBuilder()
                            .setInstanceId(UNLICENSED_INSTANCE)))
            .build();

    GrpcWebClient.Result refused =
        call(
            RECORD_EVENTS,
            stream(metadata(UNLICENSED_INSTANCE), List.of(asLicensed)),
            UNLICENSED_TOKEN,
            false);
    GrpcWebClient.Result accepted =
        call(RECORD_EVENTS, stream(unlicensed, List.of(asUnlicensed)), UNLICENSED_TOKEN, false);

    assertEquals(7, refused.grpcStatus(), "PERMISSION_DENIED");
    assertTrue(
        refused
            .grpcMessage()
            .contains("licensed-instance:" + UNLICENSED_INSTANCE + "=<the token's SHA-256>"),
        refused.grpcMessage());
    assertTrue(accepted.isOk(), accepted.grpcMessage());
    List<PubSubEmulator.Message> published = emulator.pull(eventsSub, 1, Duration.ofSeconds(10));
    assertEquals(1, published.size());
    assertEquals("unlicensed_instance", published.get(0).attributes().get("publisher.source"));
    assertEquals("auth.unlicensed", published.get(0).attributes().get("event.feature"));
  }

  @Test
  void badRequests_getAGrpcStatusNeverA500() throws Exception {
    byte[] valid =
        stream(metadata(INSTANCE), List.of(event("a.b", EventParameters.newBuilder()))).get(0);
    byte[] frame = GrpcWebFrames.frame(GrpcWebFrames.DATA, valid);

    HttpResponse<byte[]> truncated =
        raw("application/grpc-web+proto", java.util.Arrays.copyOf(frame, frame.length - 3));
    assertEquals(200, truncated.statusCode());
    assertEquals("3", truncated.headers().firstValue("grpc-status").orElse(null));

    HttpResponse<byte[]> garbage =
        raw(
            "application/grpc-web+proto",
            GrpcWebFrames.frame(GrpcWebFrames.DATA, new byte[] {(byte) 0xff, 1, 2}));
    assertEquals(200, garbage.statusCode());
    assertFalse(garbage.headers().firstValue("grpc-status").orElse("0").equals("0"));

    HttpResponse<byte[]> compressed =
        raw("application/grpc-web", GrpcWebFrames.frame(GrpcWebFrames.COMPRESSED, valid));
    assertEquals("12", compressed.headers().firstValue("grpc-status").orElse(null));

    HttpResponse<byte[]> json = raw("application/json", "{}".getBytes());
    assertEquals(415, json.statusCode());
    assertEquals("3", json.headers().firstValue("grpc-status").orElse(null));

    HttpResponse<byte[]> badText = raw("application/grpc-web-text", "%%%".getBytes());
    assertEquals(200, badText.statusCode());
    assertEquals("3", badText.headers().firstValue("grpc-status").orElse(null));

    GrpcWebClient.Result unknownMethod =
        CLIENT.call(
            function.uri("/"),
            "telemetrygateway.v1.TelemeteryGatewayService/Nope",
            List.of(),
            Map.of("Authorization", "Bearer " + TOKEN),
            false,
            Duration.ofSeconds(10));
    assertEquals(12, unknownMethod.grpcStatus(), "UNIMPLEMENTED");
  }

  @Test
  void classes_aGrpcWebCallLoadsNoGrpcServer() throws Exception {
    Path classLog = FunctionProcess.logFile("gateway-classes");
    Map<String, String> logged = new HashMap<>(env);
    logged.put("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + classLog);
    try (FunctionProcess fresh =
        FunctionProcess.start("gateway", "dev.tally.gatewayfn.GatewayFunction", logged)) {
      List<Event> events = List.of(event("class.check", EventParameters.newBuilder()));
      GrpcWebClient.Result result =
          CLIENT.call(
              fresh.uri("/"),
              RECORD_EVENTS,
              stream(metadata(INSTANCE), events),
              Map.of("Authorization", "Bearer " + TOKEN),
              false,
              Duration.ofSeconds(30));
      assertTrue(result.isOk(), result.grpcMessage());
      assertEquals(ids(events), acknowledged(result));
      awaitLine(fresh, "instance warm"); // the warm-up's refused call ran too

      String classes = Files.readString(classLog);
      assertTrue(classes.contains("dev.tally.gatewayfn.GrpcWebBridge "), "the log lists classes");
      for (String server :
          List.of(
              "io.grpc.internal.Server",
              "io.grpc.inprocess.",
              "io.grpc.ServerInterceptors",
              "io.grpc.stub.ServerCalls",
              "io.grpc.ServerServiceDefinition",
              "dev.tally.gateway.GatewayService ",
              "dev.tally.gateway.InstanceAuthInterceptor ")) {
        assertFalse(classes.contains(server), server + " was loaded");
      }
    }
  }

  @Test
  void cors_answersThePreflightAndExposesTheStatus() throws Exception {
    HttpResponse<byte[]> preflight =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(function.uri("/" + RECORD_EVENT))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "https://app.example.com")
                    .header("Access-Control-Request-Method", "POST")
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());

    assertEquals(204, preflight.statusCode());
    assertTrue(
        preflight
            .headers()
            .firstValue("Access-Control-Allow-Headers")
            .orElse("")
            .contains("authorization"));
    assertTrue(
        preflight
            .headers()
            .firstValue("Access-Control-Expose-Headers")
            .orElse("")
            .contains("grpc-status"));
  }

  @Test
  void recordEvents_nativeGrpcBidirectionalStream() throws Exception {
    GatewayRuntime runtime = new GatewayRuntime(GatewayConfig.fromEnv(env));
    Map<String, String> serverEnv = new HashMap<>(env);
    serverEnv.put("PORT", String.valueOf(FunctionProcess.freePort()));
    Server server =
        GatewayServer.start(
            runtime, GatewayServer.Settings.fromEnv(serverEnv, GatewayConfig.fromEnv(env)));
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
      LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>();
      StreamObserver<RecordEventsRequest> requests =
          TelemeteryGatewayServiceGrpc.newStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
              .recordEvents(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(RecordEventsResponse value) {
                      responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                      responses.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      responses.add("completed");
                    }
                  });
      requests.onNext(RecordEventsRequest.newBuilder().setMetadata(metadata(INSTANCE)).build());
      for (int batch = 0; batch < 3; batch++) {
        List<Event> events =
            List.of(
                event("native.grpc", EventParameters.newBuilder()),
                event("native.grpc", EventParameters.newBuilder()));
        requests.onNext(
            RecordEventsRequest.newBuilder()
                .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(events))
                .build());
        Object response = responses.poll(10, TimeUnit.SECONDS);
        assertTrue(
            response instanceof RecordEventsResponse, "answer to batch " + batch + ": " + response);
        assertEquals(
            ids(events), Set.copyOf(((RecordEventsResponse) response).getSucceededEventsList()));
      }
      requests.onCompleted();
      assertEquals("completed", responses.poll(10, TimeUnit.SECONDS));
      assertEquals(6, emulator.pull(eventsSub, 6, Duration.ofSeconds(10)).size());

      // One message may be no larger than a gRPC-web request may (1 MiB here).
      StreamObserver<RecordEventsRequest> tooLarge =
          TelemeteryGatewayServiceGrpc.newStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
              .recordEvents(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(RecordEventsResponse value) {
                      responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                      responses.add(io.grpc.Status.fromThrowable(t).getCode());
                    }

                    @Override
                    public void onCompleted() {
                      responses.add("completed");
                    }
                  });
      tooLarge.onNext(RecordEventsRequest.newBuilder().setMetadata(metadata(INSTANCE)).build());
      tooLarge.onNext(
          RecordEventsRequest.newBuilder()
              .setEvents(
                  RecordEventsRequest.EventsPayload.newBuilder()
                      .addEvents(
                          event(
                              "too.large",
                              EventParameters.newBuilder()
                                  .setPrivateMetadata(
                                      Struct.newBuilder()
                                          .putFields(
                                              "blob",
                                              com.google.protobuf.Value.newBuilder()
                                                  .setStringValue("x".repeat(1_100_000))
                                                  .build())))))
              .build());
      tooLarge.onCompleted();
      assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, responses.poll(10, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      runtime.close();
    }
  }

  @Test
  void recordEvents_unprintableEventsBetweenValidOnesAffectOnlyThemselves() throws Exception {
    Event good1 = event("good.one", EventParameters.newBuilder());
    Event good2 = event("good.two", EventParameters.newBuilder());
    Event good3 = event("good.three", EventParameters.newBuilder());
    Event bad =
        event("bad.time", EventParameters.newBuilder()).toBuilder()
            .setTimestamp(Timestamp.newBuilder().setSeconds(1_700_000_000).setNanos(-1))
            .build();
    List<byte[]> frames =
        List.of(
            RecordEventsRequest.newBuilder().setMetadata(metadata(INSTANCE)).build().toByteArray(),
            eventsFrame(good1),
            eventsFrame(good2, bad),
            eventsFrame(good3));

    GrpcWebClient.Result result = call(RECORD_EVENTS, frames, TOKEN, false);

    assertTrue(result.isOk(), result.grpcStatus() + " " + result.grpcMessage());
    assertEquals(3, result.messages().size(), "one answer per events frame");
    assertEquals(
        List.of(good1.getId()),
        RecordEventsResponse.parseFrom(result.messages().get(0)).getSucceededEventsList());
    assertEquals(
        List.of(good2.getId(), bad.getId()),
        RecordEventsResponse.parseFrom(result.messages().get(1)).getSucceededEventsList());
    assertEquals(
        List.of(good3.getId()),
        RecordEventsResponse.parseFrom(result.messages().get(2)).getSucceededEventsList());
    Map<String, Integer> published = countById(eventsSub, 3);
    assertEquals(Map.of(good1.getId(), 1, good2.getId(), 1, good3.getId(), 1), published);
    List<PubSubEmulator.Message> dead = emulator.pull(deadLettersSub, 1, Duration.ofSeconds(10));
    assertEquals(1, dead.size());
    assertEquals(bad.getId(), JSON.readTree(dead.get(0).data()).path("event").path("id").asText());
    assertTrue(
        dead.get(0).attributes().get("deadLetter.reason").startsWith("'timestamp' is not a valid"),
        dead.get(0).attributes().toString());
  }

  @Test
  void recordEvents_anEventWithOneHundredFiftyFlagsIsPublishedWithinPubSubLimits()
      throws Exception {
    EventParameters.Builder parameters = EventParameters.newBuilder();
    for (int i = 0; i < 150; i++) {
      parameters.putMetadata(String.format("recordsPrivateMetadataKey%03d", i), 1);
    }
    Event flagged = event("many.flags", parameters);

    GrpcWebClient.Result result =
        call(RECORD_EVENTS, stream(metadata(INSTANCE), List.of(flagged)), TOKEN, false);

    assertTrue(result.isOk(), result.grpcMessage());
    assertEquals(Set.of(flagged.getId()), acknowledged(result), "acknowledged: never retried");
    List<PubSubEmulator.Message> messages = emulator.pull(eventsSub, 1, Duration.ofSeconds(10));
    assertEquals(1, messages.size());
    Map<String, String> attributes = messages.get(0).attributes();
    // The emulator accepts more; production Pub/Sub allows 100 attributes.
    assertEquals(100, attributes.size());
    assertEquals("55", attributes.get("event.omittedAttributes"));
    assertEquals("true", attributes.get("event.recordsPrivateMetadataKey000"));
    assertEquals(
        150,
        JSON.readTree(messages.get(0).data())
            .path("event")
            .path("parameters")
            .path("metadata")
            .size(),
        "the data keeps every key");
  }

  @Test
  void authentication_anUnauthenticated32MiBBodyIsRefusedBeforeItIsRead() throws Exception {
    Map<String, String> defaults = new HashMap<>(env);
    defaults.remove("TELEMETRY_GATEWAY_MAX_REQUEST_BYTES"); // 32 MiB
    try (FunctionProcess gateway =
        FunctionProcess.start("gateway", "dev.tally.gatewayfn.GatewayFunction", defaults)) {
      byte[] emptyFrames = new byte[32 * 1024 * 1024]; // 6.7 million empty data frames
      HttpResponse<byte[]> refused =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(gateway.uri("/") + RECORD_EVENTS))
                      .header("Content-Type", "application/grpc-web+proto")
                      .header("Authorization", "Bearer not-a-token")
                      // The body goes only when the server asks for it by reading it.
                      .expectContinue(true)
                      .timeout(Duration.ofSeconds(30))
                      .POST(HttpRequest.BodyPublishers.ofByteArray(emptyFrames))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());

      assertEquals(200, refused.statusCode());
      assertEquals("16", refused.headers().firstValue("grpc-status").orElse(null));
      assertEquals("close", refused.headers().firstValue("connection").orElse(null));
      JsonNode line = awaitLine(gateway, "gateway request");
      assertEquals(33_554_432, line.path("declaredBytes").asLong(), line.toString());
      assertEquals(0, line.path("requestBytes").asLong(), "the body was never read: " + line);
      assertEquals("16", line.path("grpcStatus").asText());
    }
  }

  @Test
  void limits_anAuthenticatedBodyOverTheLimitIsAnsweredEveryTime() throws Exception {
    // Three times the limit, and more than the socket buffers hold: the gateway reads such a body
    // to its end and drops it before answering. Closing the connection on unread data would reset
    // it, and a sender still sending would lose the answer (before, about 1 call in 20 did).
    List<byte[]> tooLarge = List.of(new byte[3 * 1024 * 1024]);
    for (int i = 0; i < 100; i++) {
      GrpcWebClient.Result refused = call(RECORD_EVENTS, tooLarge, TOKEN, false);
      assertEquals(8, refused.grpcStatus(), "call " + i + ": RESOURCE_EXHAUSTED");
      assertTrue(refused.grpcMessage().contains("TELEMETRY_GATEWAY_MAX_REQUEST_BYTES"));
    }
  }

  @Test
  void authentication_refusedCallsInARowOnOneClientEachGetTheirAnswer() throws Exception {
    // The gateway leaves a refused body unread and closes the connection: it says so, so that
    // the client's next call opens a new one instead of failing on the closing one.
    List<byte[]> body =
        stream(metadata(INSTANCE), List.of(event("auth.again", EventParameters.newBuilder())));
    for (int i = 0; i < 50; i++) {
      GrpcWebClient.Result refused = call(RECORD_EVENTS, body, "not-a-token", false);
      assertEquals(16, refused.grpcStatus(), "call " + i);
    }
    GrpcWebClient.Result accepted = call(RECORD_EVENTS, body, TOKEN, false);
    assertTrue(accepted.isOk(), accepted.grpcMessage());
  }

  @Test
  void recordEvents_moreFramesThanAllowedIsResourceExhausted() throws Exception {
    List<byte[]> frames = new java.util.ArrayList<>();
    frames.add(
        RecordEventsRequest.newBuilder().setMetadata(metadata(INSTANCE)).build().toByteArray());
    for (int i = 0; i < 1000; i++) {
      frames.add(new byte[0]);
    }

    GrpcWebClient.Result result = call(RECORD_EVENTS, frames, TOKEN, false);

    assertEquals(8, result.grpcStatus(), "RESOURCE_EXHAUSTED: " + result.grpcMessage());
    assertTrue(result.grpcMessage().contains("TELEMETRY_GATEWAY_MAX_FRAMES_PER_CALL"));
  }

  private static byte[] eventsFrame(Event... events) {
    return RecordEventsRequest.newBuilder()
        .setEvents(RecordEventsRequest.EventsPayload.newBuilder().addAllEvents(List.of(events)))
        .build()
        .toByteArray();
  }

  /** Event IDs pulled from a subscription, with how often each arrived. */
  private Map<String, Integer> countById(String subscription, int expected) throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    List<PubSubEmulator.Message> messages =
        new java.util.ArrayList<>(emulator.pull(subscription, expected, Duration.ofSeconds(10)));
    messages.addAll(emulator.pull(subscription, 1, Duration.ofMillis(500)));
    for (PubSubEmulator.Message message : messages) {
      counts.merge(
          JSON.readTree(message.data()).path("event").path("id").asText(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * The function's first log line with this message, once it is written: a function logs a request
   * after it answered it.
   */
  private static JsonNode awaitLine(FunctionProcess function, String message) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    do {
      for (String line : function.output().split("\n")) {
        if (line.startsWith("{")) {
          JsonNode json = JSON.readTree(line);
          if (message.equals(json.path("message").asText())) {
            return json;
          }
        }
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("no '" + message + "' line in:\n" + function.output());
  }

  private static HttpResponse<byte[]> raw(String contentType, byte[] body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(function.uri("/").toString() + RECORD_EVENTS))
                .header("Content-Type", contentType)
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
  }
}
