package lab

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/scenario"
)

func TestPlanLabs(t *testing.T) {
	scs := []embeddedScenario{{sc: &scenario.Scenario{Name: "baseline"}}, {sc: &scenario.Scenario{Name: "F1-ra-throttle"}}}
	clients := []*labclient.Client{labclient.RDNSSD(), labclient.ConnMan(), labclient.DHCPCD(), labclient.NetworkManager()}
	type lab struct {
		Name     string
		Scenario int
		Clients  string
		MACs     []string
	}
	var got []lab
	for _, p := range planLabs(scs, clients) {
		got = append(got, lab{p.name(), p.scenario, strings.Join(clientNames(p), " "), p.macs})
	}
	// ConnMan gets a lab of its own; every client keeps its column's MAC.
	want := []lab{
		{"baseline", 0, "rdnssd dhcpcd networkmanager", []string{"02:00:00:00:02:01", "02:00:00:00:02:03", "02:00:00:00:02:04"}},
		{"baseline.connman", 0, "connman", []string{"02:00:00:00:02:02"}},
		{"F1-ra-throttle", 1, "rdnssd dhcpcd networkmanager", []string{"02:00:00:00:02:01", "02:00:00:00:02:03", "02:00:00:00:02:04"}},
		{"F1-ra-throttle.connman", 1, "connman", []string{"02:00:00:00:02:02"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("planLabs (-want +got):\n%s", diff)
	}
}

func TestAutoParallel(t *testing.T) {
	for _, labs := range []int{1, 2, 36} {
		if got := AutoParallel(labs); got < 1 || got > labs {
			t.Errorf("AutoParallel(%d) = %d, want 1 to %d", labs, got, labs)
		}
	}
	if _, err := memAvailable(); err != nil {
		t.Error(err)
	}
}

func TestProgressLeft(t *testing.T) {
	sc := func(d time.Duration) embeddedScenario {
		return embeddedScenario{sc: &scenario.Scenario{Name: "s", Duration: d}}
	}
	plans := []labPlan{{e: sc(90 * time.Second)}, {e: sc(60 * time.Second)}, {e: sc(60 * time.Second)}}
	tests := []struct {
		name string
		par  int
		want time.Duration // with the default overhead, nothing started
	}{
		// All at once: the longest lab.
		{"all at once", 3, 90*time.Second + defaultOverhead},
		// One slot: one after the other.
		{"one at a time", 1, 210*time.Second + 3*defaultOverhead},
		// Two slots: 90 s in one, 60 + 60 s in the other.
		{"two slots", 2, 120*time.Second + 2*defaultOverhead},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		p := newProgress(&b, plans, tt.par)
		p.mu.Lock()
		got := p.left()
		p.mu.Unlock()
		if d := got - tt.want; d < -time.Second || d > time.Second {
			t.Errorf("%s: left = %v, want %v", tt.name, got, tt.want)
		}
	}
	var b bytes.Buffer
	p := newProgress(&b, plans, 3)
	p.started(0)
	p.finished(0, nil, nil, nil)
	if !strings.Contains(b.String(), "1 of 3 done") || !strings.Contains(b.String(), "ETA") {
		t.Errorf("progress output:\n%s", b.String())
	}
}

func TestStaggered(t *testing.T) {
	sc := func(d time.Duration) labPlan {
		return labPlan{e: embeddedScenario{sc: &scenario.Scenario{Duration: d}}}
	}
	plans := []labPlan{sc(60 * time.Second), sc(90 * time.Second), sc(80 * time.Second)}
	if diff := cmp.Diff([]time.Duration{15 * time.Second, 0, 5 * time.Second}, staggered(plans, 3)); diff != "" {
		t.Errorf("all at once (-want +got):\n%s", diff)
	}
	// Fewer slots than labs: a waiting lab would hold a slot.
	if diff := cmp.Diff([]time.Duration{0, 0, 0}, staggered(plans, 2)); diff != "" {
		t.Errorf("two slots (-want +got):\n%s", diff)
	}
}
