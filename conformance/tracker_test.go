package conformance

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

func TestCapped(t *testing.T) {
	var c capped[int]
	for i := range 20 {
		c.add(i, 8) // keeps 1 first and 7 most recent
	}
	if diff := cmp.Diff([]int{0, 13, 14, 15, 16, 17, 18, 19}, c.items()); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if c.dropped != 12 || c.n != 20 || c.last != 19 {
		t.Errorf("dropped %d count %d last %d", c.dropped, c.n, c.last)
	}
}

func TestNoteSent(t *testing.T) {
	tr := NewTracker(Options{})
	tr.NoteSent(Sent{Time: t0, Kind: SentRA, From: routerMAC, Destination: allNodes, Summary: "RDNSS 2001:db8::53 600 s"})
	tr.NoteSent(Sent{Time: t0.Add(time.Second), Kind: SentDHCPv6Reply, From: routerMAC, Destination: clientLL})
	tr.ObserveFrame(ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(600*time.Second, dnsServer)}), t0.Add(10*time.Millisecond))
	got := tr.Report(time.Time{}).Sent
	want := []SentRecord{
		{Time: t0, Kind: SentRA, Destination: "ff02::1", Summary: "RDNSS 2001:db8::53 600 s", SeenPacket: 1},
		{Time: t0.Add(time.Second), Kind: SentDHCPv6Reply, Destination: clientLL.String()},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
}

func TestEviction(t *testing.T) {
	tr := NewTracker(Options{MaxClients: 2})
	for i, m := range []wire.MAC{clientMAC, client2MAC, {0x02, 0, 0, 0, 2, 3}} {
		tr.ObserveFrame(dad(t, m, clientLL), t0.Add(time.Duration(i)*time.Second))
	}
	r := tr.Report(time.Time{})
	var got []string
	for _, c := range r.Clients {
		got = append(got, c.MAC)
	}
	if diff := cmp.Diff([]string{client2MAC.String(), "02:00:00:00:02:03"}, got); diff != "" || r.Evictions != 1 {
		t.Errorf("evictions %d, clients (-want +got):\n%s", r.Evictions, diff)
	}
}

func TestReportJSON(t *testing.T) {
	r := run(scenarioFrames(t), 0)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["schema"] != SchemaVersion {
		t.Errorf("schema = %v", raw["schema"])
	}
}

func TestConcurrentReport(t *testing.T) {
	tr := NewTracker(Options{Source: Source{Kind: SourceInterface, Name: "eth0"}})
	frames := scenarioFrames(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			tr.Report(time.Time{})
		}
	}()
	for _, f := range frames {
		tr.ObserveFrame(f.b, t0.Add(f.at))
	}
	<-done
	if r := tr.Report(time.Time{}); r.Packets != len(frames) || r.Source.Name != "eth0" {
		t.Errorf("packets %d source %+v", r.Packets, r.Source)
	}
}

// FuzzObserveFrame checks that no frame makes the tracker panic, whether
// it is fed decoded or raw.
func FuzzObserveFrame(f *testing.F) {
	for _, b := range frametest.Seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _ := wire.Decode(b, t0, 1)
		tr := NewTracker(Options{})
		tr.Observe(p)
		tr.ObserveFrame(b, t0.Add(time.Second))
		tr.Report(t0.Add(time.Hour))
	})
}
