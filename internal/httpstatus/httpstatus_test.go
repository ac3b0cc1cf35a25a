package httpstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	h := Handler(reg, Options{
		Status:  func() any { return map[string]any{"eth0": map[string]string{"state": "advertising"}} },
		Reports: func() []string { return []string{"eth1", "eth0"} },
		Report: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "report of %s as %s", r.PathValue("interface"), Negotiate(r))
		}),
	})
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		path, accept string
		wantStatus   int
		wantType     string
		wantIn       string
	}{
		{"/metrics", "", 200, "text/plain", "test_total 3"},
		{"/ra", "", 200, "application/json", `"state": "advertising"`},
		{"/", "", 200, "text/plain", "/report/eth0 "},
		{"/", browser, 200, "text/html", `<a href="/report/eth1">/report/eth1</a>`},
		{"/", browser, 200, "text/html", `<a href="/metrics">/metrics</a>`},
		{"/report/", "", 200, "application/json", `"/report/eth0",`},
		{"/report/", browser, 200, "text/html", `<a href="/report/eth0?format=json">JSON</a>`},
		{"/report/eth0", browser, 200, "text/plain", "report of eth0 as html"},
		{"/report/eth0", "", 200, "text/plain", "report of eth0 as json"},
		{"/report/eth0", "application/json", 200, "text/plain", "report of eth0 as json"},
		{"/report/eth0?format=md", browser, 200, "text/plain", "report of eth0 as md"},
		{"/nope", "", 404, "text/plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			h.ServeHTTP(rec, req)
			got := []any{rec.Code, strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantType), strings.Contains(rec.Body.String(), tt.wantIn)}
			if diff := cmp.Diff([]any{tt.wantStatus, true, true}, got); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s\nbody: %s", tt.path, diff, rec.Body)
			}
		})
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ra", nil))
	var v map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("/ra is not JSON: %v", err)
	}
}

func TestHandlerWithoutObservers(t *testing.T) {
	h := Handler(prometheus.NewRegistry(), Options{})
	for _, path := range []string{"/report/eth0", "/report/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		want := map[string]int{"/report/eth0": 404, "/report/": 200}[path]
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept", "text/html")
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "[interface.observe]") {
		t.Errorf("index without observers does not say how to add one:\n%s", rec.Body)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		query, accept, want string
	}{
		{"", "", FormatJSON},
		{"", "*/*", FormatJSON},
		{"", "application/json", FormatJSON},
		{"", "text/html,application/xhtml+xml", FormatHTML},
		{"", "application/json, text/html", FormatJSON},
		{"format=json", "text/html", FormatJSON},
		{"format=md", "", FormatMarkdown},
		{"format=html", "", FormatHTML},
		{"format=pdf", "", ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/report/x?"+tt.query, nil)
		req.Header.Set("Accept", tt.accept)
		if got := Negotiate(req); got != tt.want {
			t.Errorf("Negotiate(?%s, Accept %q) = %q, want %q", tt.query, tt.accept, got, tt.want)
		}
	}
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("no loopback TCP: %v", err)
	}
	addr := ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	errC := make(chan error, 1)
	go func() {
		errC <- Serve(ctx, ln, Handler(prometheus.NewRegistry(), Options{Status: func() any { return []int{} }}), slog.New(slog.DiscardHandler))
	}()
	var body []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/ra")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if diff := cmp.Diff("[]\n", string(body)); diff != "" {
		t.Errorf("/ra body (-want +got):\n%s", diff)
	}
	cancel()
	select {
	case err := <-errC:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := http.Get("http://" + addr + "/ra"); err == nil {
		t.Error("server still answers after cancel")
	}
}
