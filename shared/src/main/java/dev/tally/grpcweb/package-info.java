/**
 * gRPC-web framing: how gRPC messages and trailers travel in an HTTP/1.1 body. Used by the gateway
 * function to serve gRPC over plain HTTP, and by the exporter to call it.
 */
package dev.tally.grpcweb;
