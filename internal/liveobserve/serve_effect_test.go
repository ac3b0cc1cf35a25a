package liveobserve

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// effectScenario is a short F6 scenario: after 1 s, every second RA
// without RDNSS, with RAs at most 4 s apart.
const effectScenario = `
name = "F6-short"
fids = ["F6"]
description = "every second RA without RDNSS"
duration = "60s"
seed = 1

[override]
max_interval = "4s"
rdnss_lifetime = "12s"
dnssl_lifetime = "12s"

[impairment.omit]
type = "rdnss-omit"
mode = "every"
every = 2

[[phase]]
name = "normal"
start = "0s"
impairments = []

[[phase]]
name = "every 2nd RA without RDNSS"
start = "1s"
impairments = ["omit"]
`

// TestServeEffects runs "ralab serve --scenario" with an F6 scenario and
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
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	scPath := filepath.Join(rtr.Dir(), "F6-short.toml")
	if err := os.WriteFile(scPath, []byte(effectScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := rtr.Start(ctx, "ralab", netlabtest.RalabBinary(t), "serve", "-c", path, "--scenario", scPath)
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the live report shows both kinds of RA and the F6
	// finding (RAs go out at most 4 s apart, so about 10 s; a loaded
	// machine may start ralab late), then stop ralab and check the final
	// report.
	report := filepath.Join(dir, "lab0.report.json")
	netlabtest.WaitFor(t, "RAs with and without RDNSS in the live report", 60*time.Second, func() bool {
		r, err := readReport(report)
		return err == nil && checkEffects(r) == ""
	})
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("ralab: %v", err)
	}
	r, err := readReport(report)
	if err != nil {
		t.Fatal(err)
	}
	if why := checkEffects(r); why != "" {
		t.Error(why)
	}
}

// readReport decodes the JSON report at path.
func readReport(path string) (*conformance.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return render.DecodeJSON(f)
}

// checkEffects says what the report lacks of rdnss-omit every 2: RAs sent
// with and without RDNSS, and an F6 impairment finding; "" if nothing.
func checkEffects(r *conformance.Report) string {
	// The omission phase begins a second after the start: the RAs sent
	// from then on alternate with and without RDNSS.
	with, without := 0, 0
	for _, s := range r.Sent {
		if s.Kind != "ra" || strings.Contains(s.Summary, "(final)") {
			continue
		}
		if strings.Contains(s.Summary, "RDNSS") {
			with++
		} else {
			without++
		}
	}
	if with == 0 || without == 0 {
		return fmt.Sprintf("sent RAs: %d with RDNSS, %d without; want both under rdnss-omit every 2: %+v", with, without, r.Sent)
	}
	for _, fd := range r.Findings {
		if fd.ID == "F6" && fd.Severity == "info" {
			return ""
		}
	}
	return fmt.Sprintf("no F6 impairment finding: %+v", r.Findings)
}
