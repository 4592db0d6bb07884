/**
 * The gateway function: serves {@code telemetrygateway.v1.TelemeteryGatewayService} over gRPC-web
 * inside an HTTP Cloud Function ({@link dev.tally.gatewayfn.GatewayFunction}), and over native gRPC
 * from its own process ({@link dev.tally.gatewayfn.GatewayServer}). Both run the same {@link
 * dev.tally.gateway.GatewayService}.
 */
package dev.tally.gatewayfn;
