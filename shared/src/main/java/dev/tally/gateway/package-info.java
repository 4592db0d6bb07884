/**
 * The Telemetry Gateway: receives exported events from instances ({@link
 * dev.tally.gateway.GatewayService}, a grpc-java service), authenticates the instance, validates
 * each event and publishes one Pub/Sub message per event, acknowledging only what Pub/Sub accepted.
 *
 * <p>Publishing goes through the {@link dev.tally.gateway.EventPublisher} port; {@link
 * dev.tally.gateway.PubSubEventPublisher} is the real one.
 */
package dev.tally.gateway;
