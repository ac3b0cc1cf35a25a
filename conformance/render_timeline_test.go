package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuildTimeline(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := t0.Add(50 * time.Second)
	r := &Report{Start: t0, End: t0.Add(100 * time.Second)}
	c := Client{
		Timeline: []Event{
			{Kind: EventRS, Time: t0, Packet: 1},
			{Kind: EventRA, Time: t0.Add(50 * time.Second), Packet: 2},
			{Kind: EventDNSQuery, Time: t0.Add(200 * time.Second), Packet: 3}, // after End: clamped
			{Kind: "Something new", Time: t0.Add(10 * time.Second)},
		},
		DNSValidity: []Interval{{Server: "2001:db8::1", Via: ViaRA, From: t0.Add(-10 * time.Second), To: &to}},
	}
	tl := buildTimeline(r, c)
	var lanes, marks, bands []string
	for _, l := range tl.Lanes {
		lanes = append(lanes, l.Label)
	}
	for _, m := range tl.Marks {
		marks = append(marks, m.X+" "+m.Shape+" "+m.Class)
	}
	for _, b := range tl.Bands {
		bands = append(bands, b.X+" "+b.W)
	}
	// The plot runs from x=230 to x=970: 7.4 units per second.
	if diff := cmp.Diff([]string{"RS (1)", "RA (1)", "DHCPv6 (0)", "DNS (1)", "other (1)", "RDNSS 2001:db8::1"}, lanes); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"230.0 req k-rs", "600.0 rsp k-ra", "970.0 req k-dns", "304.0 req k-other"}, marks); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"230.0 370.0"}, bands); diff != "" {
		t.Errorf("bands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("0 s,10 s,20 s,30 s,40 s,50 s,60 s,70 s,80 s,90 s,100 s", tickLabels(tl)); diff != "" {
		t.Errorf("ticks (-want +got):\n%s", diff)
	}
	// Events on the same pixel merge into one mark listing them.
	var burst []Event
	for i := range 20 {
		burst = append(burst, Event{Kind: EventInfoRequest, Time: t0.Add(time.Duration(i) * time.Millisecond), Packet: i + 1})
	}
	merged := buildTimeline(r, Client{Timeline: burst})
	if diff := cmp.Diff(1, len(merged.Marks)); diff != "" {
		t.Fatalf("marks for a burst (-want +got):\n%s", diff)
	}
	title := merged.Marks[0].Title
	if !strings.Contains(title, "packet #1") || !strings.Contains(title, "packet #8") || !strings.HasSuffix(title, "… and 12 more") {
		t.Errorf("merged title %q", title)
	}

	// A span of centuries still gets a handful of ticks, in days.
	long := buildTimeline(&Report{Start: t0, End: t0.AddDate(200, 0, 0)}, c)
	if n := len(long.Ticks); n < 2 || n > tlMaxTicks+1 {
		t.Errorf("%d ticks over 200 years, want 2 to %d", n, tlMaxTicks+1)
	}
	if got := long.Ticks[1].Label; !strings.HasSuffix(got, " d") {
		t.Errorf("tick label %q, want days", got)
	}
	if buildTimeline(&Report{}, c) != nil {
		t.Error("timeline built for a report without packets")
	}
	// A report whose end is not after its start still gets a timeline.
	if tl := buildTimeline(&Report{Start: t0, End: t0}, c); tl == nil || len(tl.Ticks) == 0 {
		t.Error("no timeline for a zero-length capture")
	}
}

// tickLabels joins a timeline's tick labels with commas.
func tickLabels(tl *svgTimeline) string {
	var s string
	for i, tk := range tl.Ticks {
		if i > 0 {
			s += ","
		}
		s += tk.Label
	}
	return s
}
