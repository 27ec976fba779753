package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel"
)

// TestOTLPExport: with an endpoint configured, spans reach an OTLP/HTTP collector (a loopback
// server standing in for one) when the tracer provider shuts down.
func TestOTLPExport(t *testing.T) {
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	shutdown, err := SetupTracing(context.Background(), Tracing{OTLPEndpoint: collector.URL, SampleRatio: 1}, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := otel.Tracer("test").Start(context.Background(), "lookup crm")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Fatal("no spans reached the collector")
	}
}

func TestTracingOff(t *testing.T) {
	prev := otel.GetTracerProvider()
	shutdown, err := SetupTracing(context.Background(), Tracing{}, "test")
	if err != nil || shutdown(context.Background()) != nil || otel.GetTracerProvider() != prev {
		t.Fatal("tracing without an endpoint installed a provider")
	}
}
