package render

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance"
)

// Geometry of a client's SVG timeline, in SVG user units.
const (
	tlWidth    = 1000
	tlLabelW   = 230
	tlRightPad = 30
	tlTopPad   = 6
	tlLaneH    = 20
	tlAxisH    = 26
	tlMarkR    = 4
	tlCrossR   = 6
	tlMaxLabel = 30
	tlMaxTicks = 10
	// tlMaxTitleLines bounds the events listed in one merged mark's title.
	tlMaxTitleLines = 8
	tlPlotStart     = tlLabelW
	tlPlotEnd       = tlWidth - tlRightPad
)

// svgTimeline is the view model of one client's timeline: lanes of event
// marks, and bands for when each offered DNS server was valid.
type svgTimeline struct {
	Width, Height int
	// MarkR is the radius of an event mark.
	MarkR          int
	PlotX0, PlotX1 string
	AxisY          string
	Lanes          []svgLane
	Bands          []svgBand
	Marks          []svgMark
	Ticks          []svgTick
	// Outages are the client's DNS outages, each a red band over its
	// span with a dashed line at its start.
	Outages []svgOutage
	// Hatch is the id of the hatch pattern of Elided bands, unique to
	// the client on the page.
	Hatch string
	// Elided are hatched bands where the cap dropped events (one per
	// lane, over the span of that lane's dropped events) or validity
	// intervals: never an empty stretch where packets were.
	Elided []svgElided
	// Elision brackets the whole elided span under the axis, labelled.
	Elision *svgElision
}

// svgElided is one hatched band of dropped entries, with a label inside
// when it fits.
type svgElided struct {
	X, Y, W, H, Title     string
	Label, LabelX, LabelY string
}

// svgElision is the labelled bracket under the axis over the span of the
// dropped timeline events.
type svgElision struct {
	X0, X1, Y, Y0, TextX, TextY, Anchor, Text, Title string
}

// svgLane is one horizontal lane.
type svgLane struct {
	Label, Title string
	Y, TextY     string
	Stripe       bool
}

// svgBand is a validity interval.
type svgBand struct {
	X, Y, W, H, Class, Title string
}

// svgMark is one event. Shape is "req" (a request, hollow), "rsp" (an
// answer, filled) or "derived" (an expiry or withdrawal, a cross).
type svgMark struct {
	X, Y, Class, Shape, Title string
	// X0, X1, Y0, Y1 draw the cross of a derived mark.
	X0, X1, Y0, Y1 string
}

// svgTick is one time axis label.
type svgTick struct {
	X, Label string
}

// svgOutage marks one DNS outage.
type svgOutage struct {
	X, W, Title string
}

// Lanes of the timeline for each event kind, and the mark shape.
var laneOfEvent = map[string]struct{ lane, shape, class string }{
	conformance.EventRS:             {"RS", "req", "k-rs"},
	conformance.EventRA:             {"RA", "rsp", "k-ra"},
	conformance.EventRDNSSExpired:   {"RA", "derived", "k-lost"},
	conformance.EventRDNSSWithdrawn: {"RA", "derived", "k-lost"},
	conformance.EventInfoRequest:    {"DHCPv6", "req", "k-dhcp"},
	conformance.EventSolicit:        {"DHCPv6", "req", "k-dhcp"},
	conformance.EventDHCPv6Client:   {"DHCPv6", "req", "k-dhcp"},
	conformance.EventReply:          {"DHCPv6", "rsp", "k-dhcp"},
	conformance.EventDHCPv6Server:   {"DHCPv6", "rsp", "k-dhcp"},
	conformance.EventDNSQuery:       {"DNS", "req", "k-dns"},
	conformance.EventDNSAnswer:      {"DNS", "rsp", "k-dns"},
	conformance.EventDAD:            {"ND", "req", "k-nd"},
	conformance.EventNS:             {"ND", "req", "k-nd"},
	conformance.EventNA:             {"ND", "rsp", "k-nd"},
	conformance.EventDHCPv4:         {"DHCPv4", "req", "k-dhcp"},
}

// alwaysLanes are drawn even when empty: an empty DHCPv6 or DNS lane is
// itself a finding worth seeing.
var alwaysLanes = []string{"RS", "RA", "DHCPv6", "DNS"}

// niceSteps are the candidate tick spacings, in seconds.
var niceSteps = []float64{
	0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
	172800, 604800,
}

// f1 formats an SVG coordinate.
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// timelineBuilder lays out one client's timeline.
type timelineBuilder struct {
	tl         *svgTimeline
	start, end time.Time
	span       float64
	laneY      map[string]float64
}

// x maps t to its abscissa, clamped to the plot.
func (b *timelineBuilder) x(t time.Time) float64 {
	s := t.Sub(b.start).Seconds()
	s = max(0, min(b.span, s))
	return tlPlotStart + s/b.span*(tlPlotEnd-tlPlotStart)
}

// addLane returns the ordinate of lane key, adding the lane if new.
func (b *timelineBuilder) addLane(key, label, title string) float64 {
	if y, ok := b.laneY[key]; ok {
		return y
	}
	tl := b.tl
	y := float64(tlTopPad + len(tl.Lanes)*tlLaneH)
	b.laneY[key] = y
	tl.Lanes = append(tl.Lanes, svgLane{
		Label: label, Title: title, Y: f1(y), TextY: f1(y + tlLaneH/2 + 4), Stripe: len(tl.Lanes)%2 == 0,
	})
	return y
}

// buildTimeline lays out client c's timeline over the report's span. It
// returns nil when the report has no time span (no packets).
func buildTimeline(r *conformance.Report, c conformance.Client) *svgTimeline {
	if r.Start.IsZero() {
		return nil
	}
	start, end := r.Start, r.End
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	b := &timelineBuilder{start: start, end: end, span: end.Sub(start).Seconds(), laneY: map[string]float64{},
		tl: &svgTimeline{Width: tlWidth, MarkR: tlMarkR, PlotX0: f1(tlPlotStart), PlotX1: f1(tlPlotEnd)}}
	tl := b.tl
	b.eventLanes(c)
	eventLanes := len(tl.Lanes)
	b.validityBands(c)
	b.marks(c)
	lanesH := len(tl.Lanes) * tlLaneH
	tl.Height = tlTopPad + lanesH + tlAxisH
	tl.AxisY = f1(float64(tlTopPad + lanesH))
	b.ticks()
	b.outages(r, c)
	tl.Hatch = "hatch-" + idSafe(c.MAC)
	tl.elideEvents(c.TimelineElided, b.laneY, eventLanes, b.x, start)
	if e := c.DNSValidityElided; e != nil && len(tl.Lanes) > eventLanes {
		y0 := float64(tlTopPad + eventLanes*tlLaneH)
		tl.addElided(b.x(e.From), b.x(e.To), y0, float64(tlTopPad+len(tl.Lanes)*tlLaneH)-y0,
			fmt.Sprintf("%d DNS validity intervals not kept (memory cap), from %s to %s",
				e.Count, fmtRel(start, e.From), fmtRel(start, e.To)))
	}
	return tl
}

// eventLanes adds the event lanes, the always-shown ones first, labelled
// with their event counts (elided events included).
func (b *timelineBuilder) eventLanes(c conformance.Client) {
	for _, l := range alwaysLanes {
		b.addLane(l, l, l+" events")
	}
	count := map[string]int{}
	note := func(kind string, n int) {
		k := eventLane(kind)
		if k.shape != "derived" {
			count[k.lane] += n
		}
		b.addLane(k.lane, k.lane, k.lane+" events")
	}
	for _, e := range c.Timeline {
		note(e.Kind, 1)
	}
	if c.TimelineElided != nil {
		for _, k := range c.TimelineElided.Kinds {
			note(k.Kind, k.Count)
		}
	}
	for i, l := range b.tl.Lanes {
		b.tl.Lanes[i].Label = fmt.Sprintf("%s (%d)", l.Label, count[l.Label])
	}
}

// validityBands adds a lane per DNS server with the bands it was valid.
func (b *timelineBuilder) validityBands(c conformance.Client) {
	start := b.start
	for _, v := range c.DNSValidity {
		name := "RDNSS "
		if v.Via == conformance.ViaDHCPv6 {
			name = "DHCPv6 "
		}
		label := truncate(name+v.Server, tlMaxLabel)
		y := b.addLane("valid "+v.Via+" "+v.Server, label, "DNS server "+v.Server+" valid via "+v.Via)
		to := b.end
		toText := "past the end of the capture"
		if v.To != nil {
			to = *v.To
			toText = "until " + fmtRel(start, to)
		}
		x0, x1 := b.x(v.From), b.x(to)
		class := "band-ra"
		if v.Via == conformance.ViaDHCPv6 {
			class = "band-dhcp"
		}
		b.tl.Bands = append(b.tl.Bands, svgBand{
			X: f1(x0), Y: f1(y + 3), W: f1(max(x1-x0, 1.5)), H: f1(tlLaneH - 6), Class: class,
			Title: fmt.Sprintf("%s via %s valid from %s %s", v.Server, v.Via, fmtRel(start, v.From), toText),
		})
	}
}

// marks adds a mark per event. Marks that would overlap (closer than one
// mark's width) in the same lane with the same look are drawn once, their
// titles joined: a lane holds at most a hundred marks however many events
// a client has.
func (b *timelineBuilder) marks(c conformance.Client) {
	type markKey struct {
		x           int
		lane, shape string
		class       string
	}
	tl := b.tl
	merged := map[markKey]int{}
	extra := map[int]int{}
	for _, e := range c.Timeline {
		k := eventLane(e.Kind)
		ex := b.x(e.Time)
		ey := b.laneY[k.lane] + tlLaneH/2
		title := e.Kind + " at " + fmtRel(b.start, e.Time)
		if e.Packet != 0 {
			title += ", packet #" + strconv.Itoa(e.Packet)
		}
		if e.Detail != "" {
			title += ": " + e.Detail
		}
		key := markKey{int(ex-tlPlotStart) / (2 * tlMarkR), k.lane, k.shape, k.class}
		if i, ok := merged[key]; ok {
			if strings.Count(tl.Marks[i].Title, "\n") < tlMaxTitleLines-1 {
				tl.Marks[i].Title += "\n" + title
			} else {
				extra[i]++
			}
			continue
		}
		merged[key] = len(tl.Marks)
		tl.Marks = append(tl.Marks, svgMark{
			X: f1(ex), Y: f1(ey), Class: k.class, Shape: k.shape, Title: title,
			X0: f1(ex - tlCrossR), X1: f1(ex + tlCrossR), Y0: f1(ey - tlCrossR), Y1: f1(ey + tlCrossR),
		})
	}
	for i, n := range extra {
		tl.Marks[i].Title += fmt.Sprintf("\n… and %d more", n)
	}
}

// ticks adds the time axis ticks at a nice step. Beyond the largest nice
// step, whole days: the tick count stays bounded whatever the span.
func (b *timelineBuilder) ticks() {
	span := b.span
	step := math.Ceil(span/tlMaxTicks/86400) * 86400
	for _, s := range niceSteps {
		if span/s <= tlMaxTicks {
			step = s
			break
		}
	}
	for i := 0; float64(i)*step <= span+1e-9; i++ {
		s := float64(i) * step
		b.tl.Ticks = append(b.tl.Ticks, svgTick{
			X:     f1(tlPlotStart + s/span*(tlPlotEnd-tlPlotStart)),
			Label: fmtTick(s, step),
		})
	}
}

// outages adds a shaded span per outage of c.
func (b *timelineBuilder) outages(r *conformance.Report, c conformance.Client) {
	for _, o := range c.Outages {
		end, until := r.End, "the end"
		if o.End != nil {
			end, until = *o.End, fmtRel(b.start, *o.End)
		}
		x0 := b.x(o.Start)
		b.tl.Outages = append(b.tl.Outages, svgOutage{X: f1(x0), W: f1(max(b.x(end)-x0, 1)),
			Title: fmt.Sprintf("no DNS from %s to %s (%s): %s", fmtRel(b.start, o.Start), until,
				fmtSeconds(round3(o.DurationSeconds)), o.Cause)})
	}
}

// eventLane returns the lane, shape and class of an event kind.
func eventLane(kind string) struct{ lane, shape, class string } {
	if k, ok := laneOfEvent[kind]; ok {
		return k
	}
	return struct{ lane, shape, class string }{"other", "req", "k-other"}
}

// tlCharW is the estimated width of a character of an elision label, in
// SVG units, to decide whether a label fits.
const tlCharW = 6.2

// elideEvents draws the events the cap dropped: per lane, a hatched band
// over the span of that lane's dropped events labelled with how many and
// how often; and under the axis a bracket over the whole span. A lane
// with no dropped event keeps its true emptiness; without a breakdown by
// kind, every event lane is hatched.
func (tl *svgTimeline) elideEvents(e *conformance.Elided, laneY map[string]float64, eventLanes int,
	x func(time.Time) float64, start time.Time) {
	if e == nil || e.Count == 0 {
		return
	}
	type laneSpan struct {
		first, last  time.Time
		parts, short []string
		count        int
	}
	var order []string
	lanes := map[string]*laneSpan{}
	for _, k := range e.Kinds {
		name := eventLane(k.Kind).lane
		ls, ok := lanes[name]
		if !ok {
			ls = &laneSpan{first: k.First, last: k.Last}
			lanes[name] = ls
			order = append(order, name)
		}
		ls.first, ls.last = minTime(ls.first, k.First), maxTime(ls.last, k.Last)
		ls.parts = append(ls.parts, kindSummary(k))
		ls.short = append(ls.short, fmt.Sprintf("%s ×%d", k.Kind, k.Count))
		ls.count += k.Count
	}
	for _, name := range order {
		ls := lanes[name]
		full := strings.Join(ls.parts, "; ")
		tl.addElided(x(ls.first), x(ls.last), laneY[name]+2, tlLaneH-4,
			fmt.Sprintf("not kept (memory cap) from %s to %s: %s", fmtRel(start, ls.first), fmtRel(start, ls.last),
				full),
			full, strings.Join(ls.short, "; "), "×"+strconv.Itoa(ls.count))
	}
	x0, x1 := x(e.From), x(e.To)
	if len(order) == 0 {
		tl.addElided(x0, x1, tlTopPad, float64(eventLanes*tlLaneH),
			fmt.Sprintf("%d events not kept (memory cap)", e.Count))
	}
	y := float64(tlTopPad+len(tl.Lanes)*tlLaneH) + tlAxisH
	tl.Height += tlElisionH
	text := elisionSummary(e, start)
	label := truncate(text, tlMaxElisionLabel)
	tx, anchor := (x0+x1)/2, "middle"
	if half := float64(len([]rune(label))) * tlCharW / 2; tx-half < tlPlotStart {
		tx, anchor = tlPlotStart, "start"
	} else if tx+half > tlPlotEnd {
		tx, anchor = tlPlotEnd, "end"
	}
	tl.Elision = &svgElision{
		X0: f1(x0), X1: f1(max(x1, x0+1)), Y: f1(y + 4), Y0: f1(y), TextX: f1(tx), TextY: f1(y + 15),
		Anchor: anchor, Text: label, Title: text,
	}
}

// tlElisionH is the height of the elision bracket row under the axis,
// and tlMaxElisionLabel the runes of its label that fit the plot.
const (
	tlElisionH        = 20
	tlMaxElisionLabel = 119 // (tlPlotEnd - tlPlotStart) / tlCharW
)

// addElided appends a hatched band from x0 to x1 (at least 3 units wide),
// with inside it the first of labels, most detailed first, that fits.
func (tl *svgTimeline) addElided(x0, x1, y, h float64, title string, labels ...string) {
	if x1-x0 < 3 {
		mid := (x0 + x1) / 2
		x0, x1 = mid-1.5, mid+1.5
	}
	b := svgElided{X: f1(x0), Y: f1(y), W: f1(x1 - x0), H: f1(h), Title: title}
	for _, l := range labels {
		if float64(len([]rune(l)))*tlCharW+8 <= x1-x0 {
			b.Label, b.LabelX, b.LabelY = l, f1((x0+x1)/2), f1(y+h/2+3.5)
			break
		}
	}
	tl.Elided = append(tl.Elided, b)
}

// kindSummary describes the dropped events of one kind, e.g. "RA ×24
// every 3.3 s".
func kindSummary(k conformance.ElidedKind) string {
	s := fmt.Sprintf("%s ×%d", k.Kind, k.Count)
	if k.EverySeconds > 0 {
		s += " every " + fmtSpacing(k.EverySeconds)
		if k.MaxGapSeconds > 2*k.EverySeconds {
			s += " (longest gap " + fmtSpacing(k.MaxGapSeconds) + ")"
		}
	}
	return s
}

// elisionSummary describes all dropped events in one line.
func elisionSummary(e *conformance.Elided, start time.Time) string {
	parts := make([]string, 0, len(e.Kinds))
	for _, k := range e.Kinds {
		parts = append(parts, kindSummary(k))
	}
	s := fmt.Sprintf("%d events not kept (memory cap) from %s to %s",
		e.Count, fmtRel(start, e.From), fmtRel(start, e.To))
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, "; ")
	}
	return s
}

// fmtSpacing formats a spacing in seconds with one decimal
// below ten seconds and whole seconds above.
func fmtSpacing(s float64) string {
	if s < 10 {
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	}
	return strconv.FormatFloat(math.Round(s), 'f', 0, 64) + " s"
}

// idSafe keeps the letters and digits of s, for an SVG id.
func idSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, s)
}

// minTime and maxTime return the earlier and the later of a and b.
func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// fmtTick labels an axis tick at s seconds, in the largest unit the step
// allows.
func fmtTick(s, step float64) string {
	switch {
	case step >= 86400 && math.Mod(step, 86400) == 0:
		return strconv.FormatFloat(s/86400, 'f', -1, 64) + " d"
	case step >= 3600 && int(step)%3600 == 0:
		return strconv.FormatFloat(s/3600, 'f', -1, 64) + " h"
	case step >= 60 && int(step)%60 == 0:
		return strconv.FormatFloat(s/60, 'f', -1, 64) + " min"
	case step < 1:
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	}
	return strconv.FormatFloat(s, 'f', 0, 64) + " s"
}

// truncate shortens s to at most n runes, marking a cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// timelineRow is one row of a client's event table: an event, or the
// summary of the events the cap did not keep, where they sat.
type timelineRow struct {
	Time, Packet, Kind, Detail string
	// Elided marks the summary row.
	Elided bool
}

// timelineRows lists client c's kept events with, between the first
// ones and the most recent ones, a row for those not kept.
func timelineRows(r *conformance.Report, c conformance.Client) []timelineRow {
	rows := make([]timelineRow, 0, len(c.Timeline)+1)
	e := c.TimelineElided
	at := elidedIndex(e, len(c.Timeline))
	for i, ev := range c.Timeline {
		if i == at {
			rows = append(rows, elidedRow(r, e))
		}
		pkt := "derived"
		if ev.Packet != 0 {
			pkt = "#" + strconv.Itoa(ev.Packet)
		}
		rows = append(rows, timelineRow{Time: fmtRel(r.Start, ev.Time), Packet: pkt, Kind: ev.Kind, Detail: ev.Detail})
	}
	if e != nil && at == len(c.Timeline) {
		rows = append(rows, elidedRow(r, e))
	}
	return rows
}

// elidedRow is the event table's row for the events e summarises.
func elidedRow(r *conformance.Report, e *conformance.Elided) timelineRow {
	parts := make([]string, 0, len(e.Kinds)+1)
	for _, k := range e.Kinds {
		parts = append(parts, kindSummary(k))
	}
	parts = append(parts, "longest silence "+fmtSpacing(e.MaxGapSeconds))
	return timelineRow{
		Time:   fmtRel(r.Start, e.From) + " to " + fmtRel(r.Start, e.To),
		Packet: "…",
		Kind:   fmt.Sprintf("%d events not kept (memory cap)", e.Count),
		Detail: strings.Join(parts, "; "),
		Elided: true,
	}
}

// elidedCells is a table row of cols cells standing for the entries e
// summarises: how many of what in the first cell, their span in cell at,
// "…" elsewhere.
func elidedCells(r *conformance.Report, e *conformance.Elided, what string, cols, at int) []string {
	row := make([]string, cols)
	for i := range row {
		row[i] = "…"
	}
	row[0] = fmt.Sprintf("%d %s not kept (memory cap)", e.Count, what)
	row[at] = fmtRel(r.Start, e.From) + " to " + fmtRel(r.Start, e.To)
	return row
}

// insertElided returns rows with, where the entries e summarises sat,
// their elidedCells row; rows itself when e is nil.
func insertElided(rows [][]string, r *conformance.Report, e *conformance.Elided, what string, at int) [][]string {
	if e == nil || len(rows) == 0 {
		return rows
	}
	return slices.Insert(rows, elidedIndex(e, len(rows)), elidedCells(r, e, what, len(rows[0]), at))
}

// elidedIndex is where, in a list of n kept entries, the row for the
// entries e summarises goes (0 to n; a report read from JSON may say
// anything); -1 when e is nil.
func elidedIndex(e *conformance.Elided, n int) int {
	if e == nil {
		return -1
	}
	return max(0, min(e.Index, n))
}
