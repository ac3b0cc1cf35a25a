package httpstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// StatusFunc returns the value served as JSON at /ra. It is called for
// every request and must be safe for concurrent use.
type StatusFunc func() any

// Handler returns the HTTP handler: /metrics from g, /ra from status, and
// a short index at /.
func Handler(g prometheus.Gatherer, status StatusFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /ra", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(status()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ralab: /metrics (Prometheus), /ra (JSON: each interface's current RA, state and counters)")
	})
	return mux
}

// Serve serves h on ln until ctx ends, then shuts down, giving requests in
// flight up to a second. The caller listens, so that a bad address fails
// startup before anything else runs.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errC := make(chan error, 1)
	go func() { errC <- srv.Serve(ln) }()
	log.Info("HTTP status listening", "address", ln.Addr().String())
	select {
	case err := <-errC:
		return fmt.Errorf("httpstatus: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("httpstatus: %w", err)
		}
		return nil
	}
}
