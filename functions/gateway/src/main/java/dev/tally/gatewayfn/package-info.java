/**
 * The gateway function: serves {@code telemetrygateway.v1.TelemeteryGatewayService} over gRPC-web
 * inside an HTTP Cloud Function ({@link dev.tally.gatewayfn.GatewayFunction}, which runs each call
 * directly, without a gRPC server), and over native gRPC from its own process ({@link
 * dev.tally.gatewayfn.GatewayServer}). Both run the same calls, {@link
 * dev.tally.gateway.GatewayCalls}.
 */
package dev.tally.gatewayfn;
