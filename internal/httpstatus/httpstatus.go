package httpstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// StatusFunc returns the value served as JSON at /ra. It is called for
// every request and must be safe for concurrent use.
type StatusFunc func() any

// Options are what Handler serves besides /metrics.
type Options struct {
	// Status is served as JSON at /ra.
	Status StatusFunc
	// Reports returns the interfaces whose live report Report serves; nil
	// means none. It must be safe for concurrent use.
	Reports func() []string
	// Report serves GET /report/{interface}; nil answers 404.
	Report http.Handler
}

// Response formats chosen by Negotiate.
const (
	FormatJSON     = "json"
	FormatHTML     = "html"
	FormatMarkdown = "md"
)

// Negotiate returns the format a request asks for: the format query
// parameter (json, html or md) when given, else HTML when the Accept
// header names text/html before any JSON type, as browsers do, else JSON.
// It returns "" for a format parameter of another value.
func Negotiate(r *http.Request) string {
	if f := r.URL.Query().Get("format"); f != "" {
		if slices.Contains([]string{FormatJSON, FormatHTML, FormatMarkdown}, f) {
			return f
		}
		return ""
	}
	accept := r.Header.Get("Accept")
	h := strings.Index(accept, "text/html")
	j := strings.Index(accept, "json")
	if h >= 0 && (j < 0 || h < j) {
		return FormatHTML
	}
	return FormatJSON
}

// Handler returns the HTTP handler: /metrics from g, /ra, /report/ and
// /report/{interface} from o, and an index at / linking them (HTML for a
// browser, plain text otherwise).
func Handler(g prometheus.Gatherer, o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /ra", func(w http.ResponseWriter, r *http.Request) {
		var v any = map[string]any{}
		if o.Status != nil {
			v = o.Status()
		}
		writeJSON(w, v)
	})
	mux.HandleFunc("GET /report/{$}", func(w http.ResponseWriter, r *http.Request) {
		names := reportNames(o)
		if Negotiate(r) == FormatHTML {
			serveIndex(w, names)
			return
		}
		paths := make([]string, len(names))
		for i, n := range names {
			paths[i] = "/report/" + n
		}
		writeJSON(w, map[string][]string{"reports": paths})
	})
	mux.HandleFunc("GET /report/{interface}", func(w http.ResponseWriter, r *http.Request) {
		if o.Report == nil {
			http.NotFound(w, r)
			return
		}
		o.Report.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		names := reportNames(o)
		if Negotiate(r) == FormatHTML {
			serveIndex(w, names)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ralab status\n\n/metrics         Prometheus metrics\n/ra              JSON: each interface's current RA, state and counters\n/report/         the live observer reports")
		for _, n := range names {
			fmt.Fprintf(w, "/report/%-8s the live report of %s (HTML in a browser; ?format=json|html|md)\n", n, n)
		}
	})
	return mux
}

// reportNames returns the sorted interfaces with a live report.
func reportNames(o Options) []string {
	if o.Reports == nil {
		return nil
	}
	names := slices.Clone(o.Reports())
	slices.Sort(names)
	return names
}

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// indexPage is the HTML index of / and /report/.
var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ralab</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:50em}code{background:#f3f3f3;padding:0 .2em}li{margin:.3em 0}</style>
</head><body>
<h1>ralab</h1>
<ul id="endpoints">
<li><a href="/metrics">/metrics</a>: Prometheus metrics (clients by verdict, DNS outages, RAs, DHCPv6)</li>
<li><a href="/ra">/ra</a>: JSON: each interface's current Router Advertisement, state and counters</li>
</ul>
<h2>Live observer reports</h2>
{{if .}}<ul id="reports">{{range .}}
<li><a href="/report/{{.}}">/report/{{.}}</a> (<a href="/report/{{.}}?format=json">JSON</a>, <a href="/report/{{.}}?format=md">Markdown</a>)</li>{{end}}
</ul>{{else}}<p id="reports">No interface has an observer: add <code>[interface.observe]</code> with a <code>dir</code> to the configuration.</p>{{end}}
</body></html>
`))

// serveIndex writes the HTML index.
func serveIndex(w http.ResponseWriter, names []string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := indexPage.Execute(w, names); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// Serve serves h on ln until ctx ends, then shuts down, giving requests in
// flight up to a second. The caller listens, so that a bad address fails
// startup before anything else runs.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errC := make(chan error, 1)
	go func() { errC <- srv.Serve(ln) }()
	log.Info("HTTP status listening", "addr", ln.Addr().String())
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
