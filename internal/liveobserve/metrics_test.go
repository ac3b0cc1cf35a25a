package liveobserve

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ralab/ralab/conformance"
)

// TestMetrics feeds three successive live reports of one interface and
// checks that each outage is counted once, by its start, with its first
// F-id as cause, and that the gauges follow the latest report.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	end := func(s int) *time.Time { e := at(s); return &e }
	a, b := "02:00:00:00:00:0a", "02:00:00:00:00:0b"
	first := &conformance.Report{Clients: []conformance.Client{
		{MAC: a, Verdict: conformance.VerdictDNSLost, Outages: []conformance.Outage{
			{Start: at(10), End: end(20), FIDs: []string{"F5"}},
			{Start: at(30), FIDs: []string{"F6", "F5"}},
		}},
		{MAC: b, Verdict: conformance.VerdictDNSOK},
	}}
	second := &conformance.Report{Clients: []conformance.Client{
		{MAC: a, Verdict: conformance.VerdictDNSLost, Outages: []conformance.Outage{
			{Start: at(10), End: end(20), FIDs: []string{"F5"}},
			{Start: at(30), End: end(40), FIDs: []string{"F6", "F5"}},
			{Start: at(50), FIDs: nil},
		}},
		{MAC: b, Verdict: conformance.VerdictDNSLost, Outages: []conformance.Outage{
			{Start: at(45), FIDs: []string{"bogus label"}},
		}},
	}}
	m.Update("eth1", first)
	m.Update("eth1", first)
	m.Update("eth1", second)
	m.Update("eth2", &conformance.Report{Clients: []conformance.Client{{MAC: a, Verdict: conformance.VerdictNoDNS}}})

	want := `
# HELP ralab_clients Clients the observer tracks on the interface, by verdict (dns-ok, dns-lost, no-dns, inconclusive).
# TYPE ralab_clients gauge
ralab_clients{interface="eth1",verdict="dns-lost"} 2
ralab_clients{interface="eth1",verdict="dns-ok"} 0
ralab_clients{interface="eth1",verdict="inconclusive"} 0
ralab_clients{interface="eth1",verdict="no-dns"} 0
ralab_clients{interface="eth2",verdict="dns-lost"} 0
ralab_clients{interface="eth2",verdict="dns-ok"} 0
ralab_clients{interface="eth2",verdict="inconclusive"} 0
ralab_clients{interface="eth2",verdict="no-dns"} 1
# HELP ralab_dns_outages_total DNS outages that started on the interface (a client stopped holding IPv6 DNS), by cause: the first failure id (F1-F17) of the outage, or unknown.
# TYPE ralab_dns_outages_total counter
ralab_dns_outages_total{cause="F5",interface="eth1"} 1
ralab_dns_outages_total{cause="F6",interface="eth1"} 1
ralab_dns_outages_total{cause="unknown",interface="eth1"} 2
# HELP ralab_dns_outages_ongoing Clients on the interface without IPv6 DNS now after having held it (outages not yet ended).
# TYPE ralab_dns_outages_ongoing gauge
ralab_dns_outages_ongoing{interface="eth1"} 2
ralab_dns_outages_ongoing{interface="eth2"} 0
# HELP ralab_dns_last_outage_timestamp_seconds Unix time at which the latest DNS outage on the interface started; absent before the first. Alert on time() minus it.
# TYPE ralab_dns_last_outage_timestamp_seconds gauge
ralab_dns_last_outage_timestamp_seconds{interface="eth1"} 1.79611925e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestMetricsForgetsGoneClients checks that the state of clients no longer
// reported is dropped, and that a nil Metrics is a no-op.
func TestMetricsForgetsGoneClients(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 100 {
		mac := strings.Repeat("0", 10) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		m.Update("eth1", &conformance.Report{Clients: []conformance.Client{
			{MAC: mac, Verdict: conformance.VerdictDNSLost, Outages: []conformance.Outage{{Start: t0}}},
		}})
	}
	if n := len(m.counted["eth1"]); n != 1 {
		t.Errorf("state holds %d clients, want the 1 of the last report", n)
	}
	var nilM *Metrics
	nilM.Update("eth1", &conformance.Report{})
}

// TestObserverUpdatesMetrics starts an observer with Metrics on an
// interface that does not exist (nothing touches the host) and checks that
// its report rewrites and Close set the interface's series.
func TestObserverUpdatesMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := Config{
		Interface: "ralabno2", Wait: true, Poll: 10 * time.Millisecond, Progress: -1,
		Outputs:     []Output{{Path: filepath.Join(t.TempDir(), "r.json"), Format: FormatJSON}},
		ReportEvery: 20 * time.Millisecond, Metrics: NewMetrics(reg), Generator: "ralab test",
	}
	obs, err := Start(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for testutil.CollectAndCount(reg, "ralab_clients") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no ralab_clients series after the report rewrites")
		}
		time.Sleep(10 * time.Millisecond)
	}
	final, err := obs.Close()
	if err != nil {
		t.Fatal(err)
	}
	if final.Generator != "ralab test" {
		t.Errorf("report generator %q, want Config.Generator", final.Generator)
	}
	want := `
# HELP ralab_clients Clients the observer tracks on the interface, by verdict (dns-ok, dns-lost, no-dns, inconclusive).
# TYPE ralab_clients gauge
ralab_clients{interface="ralabno2",verdict="dns-lost"} 0
ralab_clients{interface="ralabno2",verdict="dns-ok"} 0
ralab_clients{interface="ralabno2",verdict="inconclusive"} 0
ralab_clients{interface="ralabno2",verdict="no-dns"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "ralab_clients"); err != nil {
		t.Error(err)
	}
}
