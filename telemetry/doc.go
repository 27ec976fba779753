// Package telemetry owns what the gateway tells its operators: Prometheus metrics, OpenTelemetry
// traces, one structured log line per request, and the liveness and readiness checks.
package telemetry
