package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestServeObserveDir runs "ralab serve" with an [interface.observe] dir
// that is missing (ralab creates it and observes) and with one that cannot
// be created (ralab logs it and serves without the observer): either way
// the RAs go on and serve keeps running.
func TestServeObserveDir(t *testing.T) {
	requireServeLab(t, "tcpdump", "rdisc6")
	l := newServeLab(t)
	tmp := t.TempDir()
	blocker := filepath.Join(tmp, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, dir string
		observes  bool
	}{
		{"missing", filepath.Join(tmp, "state", "observe"), true},
		{"cannot be created", filepath.Join(blocker, "observe"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "ralab.toml")
			doc := fmt.Sprintf("[[interface]]\nname = %q\nmax_interval = \"10s\"\n\n[interface.observe]\nenabled = true\ndir = %q\n", netlab.BridgeName, tt.dir)
			if err := os.WriteFile(cfg, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			srv := startServe(t, l.Router(), "serve", "-c", cfg)
			start := time.Now()
			netlabtest.WaitFor(t, "ralab to advertise", 30*time.Second, func() bool {
				return strings.Contains(serveOutput(srv), "msg=advertising")
			})
			// The RAs go on: rdisc6 is answered after the observer started
			// or failed, and serve still runs.
			time.Sleep(time.Second)
			if out, err := l.cli.Run(t.Context(), "rdisc6", "-1", "-r", "3", "-w", "1000", netlab.HostIfName); err != nil {
				t.Fatalf("rdisc6: %v\n%s", err, out)
			}
			if srv.Exited() {
				t.Fatalf("ralab serve exited: %v\n%s", srv.Err(), serveOutput(srv))
			}
			failed := strings.Contains(serveOutput(srv), "observer not started")
			if failed == tt.observes {
				t.Errorf("log says observer not started: %v, want %v", failed, !tt.observes)
			}
			if tt.observes {
				netlabtest.WaitFor(t, "the observer's pcapng", 30*time.Second, func() bool {
					fi, err := os.Stat(filepath.Join(tt.dir, netlab.BridgeName+".pcapng"))
					return err == nil && fi.Size() > 0
				})
			}
			t.Logf("served %v with observe dir %s", time.Since(start), tt.dir)
			if err := srv.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			waitServeExit(t, srv, 30*time.Second, "SIGINT")
		})
	}
}

// TestCheckObserveDir checks that ralab check warns about an observe
// directory that cannot be created, and still passes.
func TestCheckObserveDir(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	blocker := filepath.Join(tmp, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dir, want string }{
		{filepath.Join(tmp, "observe"), "  observer writes to " + filepath.Join(tmp, "observe") + "\n"},
		{filepath.Join(blocker, "observe"), "  WARNING: the observer will not start: " + blocker + ": not a directory\n"},
	} {
		cfg := filepath.Join(t.TempDir(), "ralab.toml")
		doc := fmt.Sprintf("[[interface]]\nname = \"eth9\"\n\n[interface.observe]\nenabled = true\ndir = %q\n", tt.dir)
		if err := os.WriteFile(cfg, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		if err := checkMain(&out, []string{"-c", cfg}); err != nil {
			t.Errorf("check with observe dir %s: %v", tt.dir, err)
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("check output lacks %q:\n%s", tt.want, out.String())
		}
	}
}
