package httpstatus

import (
	"context"
	"encoding/json"
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
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ralab_test_total", Help: "Test."})
	reg.MustRegister(c)
	c.Add(3)
	h := Handler(reg, func() any { return map[string]any{"eth0": map[string]string{"state": "advertising"}} })

	tests := []struct {
		path       string
		wantStatus int
		wantType   string
		wantIn     string
	}{
		{"/metrics", 200, "text/plain", "ralab_test_total 3"},
		{"/ra", 200, "application/json", `"state": "advertising"`},
		{"/", 200, "text/plain", "/metrics"},
		{"/nope", 404, "text/plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
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

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("no loopback TCP: %v", err)
	}
	addr := ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	errC := make(chan error, 1)
	go func() {
		errC <- Serve(ctx, ln, Handler(prometheus.NewRegistry(), func() any { return []int{} }), slog.New(slog.DiscardHandler))
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
