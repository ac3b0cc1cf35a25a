package liveobserve

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestServeEffects runs "ralab serve --scenario" with the F6 scenario and
// the observer on: what the impairment did to the daemon's RAs appears in
// the report as an F6 finding.
func TestServeEffects(t *testing.T) {
	lab := netlabtest.New(t)
	rtr := lab.Router()
	lab.Host(t, "c1", "02:00:00:00:02:01")
	ctx := t.Context()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
[[interface]]
name = "lab0"
max_interval = "10s"
[[interface.rdnss]]
servers = ["2001:db8:1::53"]
[interface.observe]
enabled = true
dir = %q
report_every = "1s"
`, dir)
	path := filepath.Join(rtr.Dir(), "ralab.toml")
	os.WriteFile(path, []byte(cfg), 0o644)
	start := time.Now().Add(-19 * time.Second).UTC().Format(time.RFC3339Nano)
	scen, err := filepath.Abs("../../configs/scenarios/F6-rdnss-omit.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rtr.Start(ctx, "ralab", netlabtest.RalabBinary(t), "serve", "-c", path, "--scenario", scen, "--scenario-start", start)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(12 * time.Second)
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("ralab: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "lab0.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := conformance.DecodeJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Sent {
		t.Logf("sent %s %s %s seen=%d", s.Kind, s.Destination, s.Summary, s.SeenPacket)
	}
	found := false
	for _, fd := range r.Findings {
		t.Logf("finding %s %s %s count=%d", fd.ID, fd.Severity, fd.Message, fd.Count)
		if fd.ID == "F6" && fd.Severity == "info" {
			found = true
		}
	}
	if !found {
		t.Error("no F6 impairment finding")
	}
}
