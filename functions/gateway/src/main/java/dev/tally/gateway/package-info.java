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
 *
 * <p>The gateway function's core, in its module ({@code functions/gateway}) with the Pub/Sub client
 * it alone needs; it knows no Cloud Functions type, so its tests call it directly.
 */
package dev.tally.gateway;
