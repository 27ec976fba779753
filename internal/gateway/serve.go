package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listeners are the addresses the gateway serves on: the API, and /metrics when the
// configuration gives it an address of its own (nil otherwise).
type Listeners struct {
	API, Metrics net.Listener
}

// Listen opens the configured addresses.
func (g *Gateway) Listen() (Listeners, error) {
	api, err := net.Listen("tcp", g.cfg.Addr)
	if err != nil {
		return Listeners{}, err
	}
	ls := Listeners{API: api}
	if g.metricsHandler != nil {
		if ls.Metrics, err = net.Listen("tcp", g.cfg.MetricsAddr); err != nil {
			api.Close()
			return Listeners{}, fmt.Errorf("metrics_addr: %w", err)
		}
	}
	return ls, nil
}

// Serve serves on ls until ctx ends, then stops gracefully: readiness turns false at once,
// after shutdown.delay (for load balancers to stop sending) the listeners close, so new
// connections are refused, and in-flight requests get up to shutdown.grace to finish. The
// API's server stops first, the metrics' after it, so its shutdown can be watched.
func (g *Gateway) Serve(ctx context.Context, ls Listeners) error {
	type endpoint struct {
		ln net.Listener
		h  http.Handler
	}
	endpoints := []endpoint{{ls.API, g.handler}}
	if ls.Metrics != nil {
		endpoints = append(endpoints, endpoint{ls.Metrics, g.metricsHandler})
	}
	errc := make(chan error, len(endpoints))
	servers := make([]*http.Server, len(endpoints))
	for i, e := range endpoints {
		l := g.cfg.Limits
		servers[i] = &http.Server{Handler: e.h, ReadHeaderTimeout: l.ReadHeaderTimeout, WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout}
		go func() { errc <- servers[i].Serve(e.ln) }()
	}
	select {
	case err := <-errc:
		for _, srv := range servers {
			srv.Close()
		}
		return err
	case <-ctx.Done():
	}
	sd := g.cfg.Shutdown
	g.health.Stopping()
	g.log.Info("shutting down: not ready any more", "delay", sd.Delay, "grace", sd.Grace)
	time.Sleep(sd.Delay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), sd.Grace)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(shutdownCtx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutdown: requests still running after %s: %w", sd.Grace, err)
	}
	g.log.Info("stopped")
	return nil
}
