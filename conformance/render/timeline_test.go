package render

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance"
	ft "github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
	"golang.org/x/net/html"
)

func TestBuildTimeline(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := t0.Add(50 * time.Second)
	r := &conformance.Report{Start: t0, End: t0.Add(100 * time.Second)}
	c := conformance.Client{
		Timeline: []conformance.Event{
			{Kind: conformance.EventRS, Time: t0, Packet: 1},
			{Kind: conformance.EventRA, Time: t0.Add(50 * time.Second), Packet: 2},
			{Kind: conformance.EventDNSQuery, Time: t0.Add(200 * time.Second), Packet: 3}, // after End: clamped
			{Kind: "Something new", Time: t0.Add(10 * time.Second)},
		},
		DNSValidity: []conformance.Interval{{Server: "2001:db8::1", Via: conformance.ViaRA, From: t0.Add(-10 * time.Second), To: &to}},
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
	var burst []conformance.Event
	for i := range 20 {
		burst = append(burst, conformance.Event{Kind: conformance.EventInfoRequest, Time: t0.Add(time.Duration(i) * time.Millisecond), Packet: i + 1})
	}
	merged := buildTimeline(r, conformance.Client{Timeline: burst})
	if diff := cmp.Diff(1, len(merged.Marks)); diff != "" {
		t.Fatalf("marks for a burst (-want +got):\n%s", diff)
	}
	title := merged.Marks[0].Title
	if !strings.Contains(title, "packet #1") || !strings.Contains(title, "packet #8") || !strings.HasSuffix(title, "… and 12 more") {
		t.Errorf("merged title %q", title)
	}

	// A span of centuries still gets a handful of ticks, in days.
	long := buildTimeline(&conformance.Report{Start: t0, End: t0.AddDate(200, 0, 0)}, c)
	if n := len(long.Ticks); n < 2 || n > tlMaxTicks+1 {
		t.Errorf("%d ticks over 200 years, want 2 to %d", n, tlMaxTicks+1)
	}
	if got := long.Ticks[1].Label; !strings.HasSuffix(got, " d") {
		t.Errorf("tick label %q, want days", got)
	}
	if buildTimeline(&conformance.Report{}, c) != nil {
		t.Error("timeline built for a report without packets")
	}
	// A report whose end is not after its start still gets a timeline.
	if tl := buildTimeline(&conformance.Report{Start: t0, End: t0}, c); tl == nil || len(tl.Ticks) == 0 {
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

// busyClient is the busy client: an RA every 3 s and a DNS query
// (answered) every second for secs seconds, far more events than the
// default cap.
func busyClient(t *testing.T, secs int) []ft.TF {
	frames := []ft.TF{ft.At(0, ft.RS(t, ft.ClientMAC, ft.ClientLL))}
	for i := range secs {
		if i%3 == 0 {
			frames = append(frames, ft.At(float64(i)+0.1, ft.RA(t, ft.RASpec{Lifetime: 1800 * time.Second, RDNSS: ft.RDNSS(30*time.Second, ft.DNSServer)})))
		}
		id := uint16(i + 1)
		frames = append(frames, ft.At(float64(i)+0.5, ft.Query(t, ft.ClientMAC, ft.ClientLL, ft.DNSServer, id)),
			ft.At(float64(i)+0.52, ft.Answer(t, ft.ClientMAC, ft.ClientLL, ft.DNSServer, id)))
	}
	return frames
}

// observe feeds frames to a tracker with options o and reports the
// client.
func observe(t *testing.T, frames []ft.TF, o conformance.Options) (*conformance.Report, conformance.Client) {
	tr := conformance.NewTracker(o)
	for _, f := range frames {
		tr.ObserveFrame(f.Frame, ft.T0.Add(f.At))
	}
	r := tr.Report(time.Time{})
	return r, clientOf(t, r, ft.ClientMAC)
}

// laneGaps returns, per timeline lane, the longest time between two
// consecutive events of the lane, and the longest between any two.
func laneGaps(events []conformance.Event) (map[string]time.Duration, time.Duration) {
	last := map[string]time.Time{}
	gaps := map[string]time.Duration{}
	var overall time.Duration
	for i, e := range events {
		lane := eventLane(e.Kind).lane
		if l, ok := last[lane]; ok {
			gaps[lane] = max(gaps[lane], e.Time.Sub(l))
		}
		last[lane] = e.Time
		if i > 0 {
			overall = max(overall, e.Time.Sub(events[i-1].Time))
		}
	}
	return gaps, overall
}

// TestTimelineNoUnmarkedGap is issue 9's timeline test: a client with more
// events than the cap, whose SVG and Markdown show no unmarked gap.
func TestTimelineNoUnmarkedGap(t *testing.T) {
	frames := busyClient(t, 200)
	_, truth := observe(t, frames, conformance.Options{MaxEvents: 1 << 20})
	r, c := observe(t, frames, conformance.Options{})
	all := truth.Timeline
	keepHead, keepTail := conformance.DefaultMaxEvents/8, conformance.DefaultMaxEvents-conformance.DefaultMaxEvents/8
	if len(all) <= conformance.DefaultMaxEvents || truth.TimelineElided != nil {
		t.Fatalf("uncapped run has %d events (elided %v), want more than %d and none elided", len(all), truth.TimelineElided, conformance.DefaultMaxEvents)
	}
	dropped := all[keepHead : len(all)-keepTail]
	e := c.TimelineElided
	if e == nil {
		t.Fatal("no timeline_elided in the capped report")
	}
	if diff := cmp.Diff([]any{keepHead, len(dropped), dropped[0].Time, dropped[len(dropped)-1].Time, c.TimelineDropped},
		[]any{e.Index, e.Count, e.From, e.To, len(dropped)}); diff != "" {
		t.Errorf("index, count, from, to, dropped (-want +got):\n%s", diff)
	}
	// The event cap leaves the validity bands and the verdict alone.
	if diff := cmp.Diff([]any{truth.DNSValidity, truth.Verdict, truth.LostAt}, []any{c.DNSValidity, c.Verdict, c.LostAt}); diff != "" {
		t.Errorf("validity, verdict, lost at (-uncapped +capped):\n%s", diff)
	}
	gaps, overall := laneGaps(all)
	checkSVGGaps(t, r, c, gaps)
	checkMarkdownGaps(t, r, dropped, overall)
}

// svgBox is a drawn element of a timeline: a mark (a point) or an elided
// band.
type svgBox struct{ x, y, w, h float64 }

// checkSVGGaps renders r as HTML and checks, lane by lane, that every
// stretch between two drawn marks longer than the lane's real longest gap
// (plus the width the merging of marks may add) is covered by a hatched
// elided band, and that the bracket under the axis labels the span.
func checkSVGGaps(t *testing.T, r *conformance.Report, c conformance.Client, gaps map[string]time.Duration) {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	num := func(n *html.Node, k string) float64 {
		v, err := strconv.ParseFloat(attr(n, k), 64)
		if err != nil {
			t.Fatalf("<%s %s=%q>: %v", n.Data, k, attr(n, k), err)
		}
		return v
	}
	var marks, bands []svgBox
	var labels []string
	var bracket, bracketTitle string
	walk(doc, func(n *html.Node) {
		switch {
		case n.Data == "circle":
			marks = append(marks, svgBox{x: num(n, "cx"), y: num(n, "cy")})
		case n.Data == "rect" && attr(n, "class") == "elided":
			bands = append(bands, svgBox{num(n, "x"), num(n, "y"), num(n, "width"), num(n, "height")})
		case n.Data == "text" && attr(n, "class") == "elided-label":
			labels = append(labels, n.FirstChild.Data)
		case n.Data == "g" && attr(n, "class") == "elision":
			walk(n, func(m *html.Node) {
				switch m.Data {
				case "text":
					bracket = m.FirstChild.Data
				case "title":
					bracketTitle = m.FirstChild.Data
				}
			})
		}
	})
	tl := buildTimeline(r, c)
	perSecond := float64(tlPlotEnd-tlPlotStart) / r.End.Sub(r.Start).Seconds()
	for i, lane := range tl.Lanes {
		name, _, _ := strings.Cut(lane.Label, " (")
		gap, ok := gaps[name]
		if !ok {
			continue
		}
		y0 := float64(tlTopPad + i*tlLaneH)
		allowed := gap.Seconds()*perSecond + 2*tlMarkR + 0.5
		var xs []float64
		for _, m := range marks {
			if m.y > y0 && m.y < y0+tlLaneH {
				xs = append(xs, m.x)
			}
		}
		slices.Sort(xs)
		for j := 1; j < len(xs); j++ {
			a, z := xs[j-1], xs[j]
			if z-a <= allowed {
				continue
			}
			covered := slices.ContainsFunc(bands, func(b svgBox) bool {
				return b.y > y0 && b.y < y0+tlLaneH && b.x <= a+allowed && b.x+b.w >= z-allowed
			})
			if !covered {
				t.Errorf("lane %s: unmarked gap from x=%.1f to x=%.1f (%.1f s; its longest real gap is %s)", name, a, z, (z-a)/perSecond, gap)
			}
		}
	}
	e := c.TimelineElided
	if !strings.Contains(bracket, fmt.Sprintf("%d events not kept (memory cap) from %s to %s", e.Count, fmtRel(r.Start, e.From), fmtRel(r.Start, e.To))) {
		t.Errorf("bracket label %q does not give the elided span", bracket)
	}
	if !slices.ContainsFunc(labels, func(s string) bool { return strings.HasPrefix(s, "RA ×") && strings.HasSuffix(s, " every 3.0 s") }) ||
		!slices.ContainsFunc(labels, func(s string) bool { return strings.HasPrefix(s, "DNS query ×") }) {
		t.Errorf("band labels %q do not count the RAs every 3 s and the queries", labels)
	}
	for _, k := range e.Kinds {
		if want := kindSummary(k); !strings.Contains(bracketTitle, want) {
			t.Errorf("bracket title %q lacks %q", bracketTitle, want)
		}
	}
}

// checkMarkdownGaps renders r as Markdown and checks that the timeline
// table holds the elision row between the kept rows, with the dropped
// span and counts, and that no two consecutive rows are further apart
// than the capture's longest real gap.
func checkMarkdownGaps(t *testing.T, r *conformance.Report, dropped []conformance.Event, overall time.Duration) {
	t.Helper()
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(b.String(), "### Timeline\n\n")
	if !ok {
		t.Fatal("no timeline table in the Markdown")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := strings.Split(table, "\n")[2:]
	count := map[string]int{}
	for _, e := range dropped {
		count[e.Kind]++
	}
	from, to := fmtRel(r.Start, dropped[0].Time), fmtRel(r.Start, dropped[len(dropped)-1].Time)
	want := fmt.Sprintf("| … %s to %s | … | **%d events not kept (memory cap)** | ", md(from), md(to), len(dropped))
	i := slices.IndexFunc(rows, func(s string) bool { return strings.HasPrefix(s, "| … ") })
	if i != conformance.DefaultMaxEvents/8 || !strings.HasPrefix(rows[i], want) {
		t.Fatalf("elision row %d, want %d starting %q:\n%s", i, conformance.DefaultMaxEvents/8, want, rows[max(i, 0)])
	}
	for k, n := range count {
		if !strings.Contains(rows[i], fmt.Sprintf("%s ×%d every ", md(k), n)) {
			t.Errorf("elision row lacks %d × %s:\n%s", n, k, rows[i])
		}
	}
	rel := func(cell string) time.Duration {
		s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(cell, "… "), "\\+"), " s")
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("time cell %q: %v", cell, err)
		}
		return time.Duration(f * float64(time.Second))
	}
	// Each row spans from its first to its last time: one instant for an
	// event, the elided span for the elision row.
	var prev time.Duration
	for j, row := range rows {
		cell := strings.Split(row, " | ")[0][2:]
		first, last, span := strings.Cut(cell, " to ")
		if !span {
			last = first
		}
		if d := rel(first) - prev; j > 0 && d > overall+time.Millisecond {
			t.Errorf("Markdown timeline: %s between rows at %s and %s, longer than any real gap (%s)", d, prev, rel(first), overall)
		}
		prev = rel(last)
	}
}

func TestBuildTimelineElided(t *testing.T) {
	sec := func(s int) time.Time { return ft.T0.Add(time.Duration(s) * time.Second) }
	to := sec(100)
	r := &conformance.Report{Start: ft.T0, End: sec(100)}
	c := conformance.Client{
		MAC: "02:00:00:00:02:01",
		Timeline: []conformance.Event{
			{Kind: conformance.EventRS, Time: sec(0), Packet: 1}, {Kind: conformance.EventRA, Time: sec(1), Packet: 2},
			{Kind: conformance.EventRA, Time: sec(90), Packet: 90}, {Kind: conformance.EventDNSQuery, Time: sec(91), Packet: 91},
		},
		TimelineElided: &conformance.Elided{Index: 2, Count: 40, From: sec(4), To: sec(80), MaxGapSeconds: 3, Kinds: []conformance.ElidedKind{
			{Kind: conformance.EventRA, Count: 25, First: sec(4), Last: sec(76), EverySeconds: 3, MaxGapSeconds: 3},
			{Kind: conformance.EventDNSQuery, Count: 10, First: sec(10), Last: sec(80), EverySeconds: 7.8, MaxGapSeconds: 30},
			{Kind: conformance.EventNS, Count: 5, First: sec(20), Last: sec(21), EverySeconds: 0.25, MaxGapSeconds: 0.3},
		}},
		DNSValidity:       []conformance.Interval{{Server: "2001:db8::53", Via: conformance.ViaRA, From: sec(1), To: &to}},
		DNSValidityElided: &conformance.Elided{Index: 0, Count: 2, From: sec(30), To: sec(40)},
	}
	tl := buildTimeline(r, c)
	var lanes, bands []string
	for _, l := range tl.Lanes {
		lanes = append(lanes, l.Label)
	}
	for _, b := range tl.Elided {
		bands = append(bands, strings.Join([]string{b.X, b.W, b.Y, b.Label}, " "))
	}
	// Lanes count the elided events; only the lanes that lost events are
	// hatched, over the span of their own lost events (7.4 units a
	// second); the DHCPv6 and RS lanes keep their true emptiness. The
	// ND band is too narrow for any label; the validity lane is hatched
	// over the dropped intervals.
	if diff := cmp.Diff([]string{"RS (1)", "RA (27)", "DHCPv6 (0)", "DNS (11)", "ND (5)", "RDNSS 2001:db8::53"}, lanes); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
	want := []string{
		"259.6 532.8 28.0 RA ×25 every 3.0 s",
		"304.0 518.0 68.0 DNS query ×10 every 7.8 s (longest gap 30 s)",
		"378.0 7.4 88.0 ",
		"452.0 74.0 106.0 ",
	}
	if diff := cmp.Diff(want, bands); diff != "" {
		t.Errorf("elided bands (-want +got):\n%s", diff)
	}
	if tl.Elision == nil || tl.Elision.X0 != "259.6" || tl.Elision.X1 != "822.0" ||
		!strings.HasPrefix(tl.Elision.Title, "40 events not kept (memory cap) from +4.000 s to +80.000 s: RA ×25 every 3.0 s; ") {
		t.Errorf("elision bracket %+v", tl.Elision)
	}
	if diff := cmp.Diff(tlTopPad+len(tl.Lanes)*tlLaneH+tlAxisH+tlElisionH, tl.Height); diff != "" {
		t.Errorf("height (-want +got):\n%s", diff)
	}
	if tl.Hatch != "hatch-020000000201" {
		t.Errorf("hatch id %q", tl.Hatch)
	}
	// Without a breakdown by kind, every event lane is hatched.
	c.TimelineElided.Kinds, c.DNSValidityElided = nil, nil
	bands = nil
	for _, b := range buildTimeline(r, c).Elided {
		bands = append(bands, strings.Join([]string{b.X, b.W, b.Y, b.H}, " "))
	}
	if diff := cmp.Diff([]string{"259.6 562.4 6.0 80.0"}, bands); diff != "" {
		t.Errorf("elided bands without kinds (-want +got):\n%s", diff)
	}
}

// clientOf returns the report entry of mac.
func clientOf(t testing.TB, r *conformance.Report, mac [6]byte) conformance.Client {
	t.Helper()
	for _, c := range r.Clients {
		if c.MAC == wire.MAC(mac).String() {
			return c
		}
	}
	t.Fatalf("client %s not in report (clients: %d)", wire.MAC(mac), len(r.Clients))
	return conformance.Client{}
}
