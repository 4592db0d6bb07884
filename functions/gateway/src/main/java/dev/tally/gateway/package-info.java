/**
 * The Telemetry Gateway: receives exported events from instances, authenticates the instance,
 * validates each event and publishes one Pub/Sub message per event, acknowledging only what Pub/Sub
 * accepted.
 *
 * <p>{@link dev.tally.gateway.GatewayCalls} is what a call does, whatever carries it: the gateway
 * function's gRPC-web handler runs it directly, and {@link dev.tally.gateway.GatewayService} (a
 * grpc-java service, behind {@link dev.tally.gateway.InstanceAuthInterceptor}) serves it over
 * native gRPC. Publishing goes through the {@link dev.tally.gateway.EventPublisher} port; {@link
 * dev.tally.gateway.PubSubEventPublisher} is the real one.
 */
package dev.tally.gateway;
