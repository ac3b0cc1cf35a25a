package conformance

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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
	Lost           *svgLost
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

// svgLost marks when the client lost DNS.
type svgLost struct {
	X, Title string
}

// Lanes of the timeline for each event kind, and the mark shape.
var laneOfEvent = map[string]struct{ lane, shape, class string }{
	EventRS:             {"RS", "req", "k-rs"},
	EventRA:             {"RA", "rsp", "k-ra"},
	EventRDNSSExpired:   {"RA", "derived", "k-lost"},
	EventRDNSSWithdrawn: {"RA", "derived", "k-lost"},
	EventInfoRequest:    {"DHCPv6", "req", "k-dhcp"},
	EventSolicit:        {"DHCPv6", "req", "k-dhcp"},
	EventDHCPv6Client:   {"DHCPv6", "req", "k-dhcp"},
	EventReply:          {"DHCPv6", "rsp", "k-dhcp"},
	EventDHCPv6Server:   {"DHCPv6", "rsp", "k-dhcp"},
	EventDNSQuery:       {"DNS", "req", "k-dns"},
	EventDNSAnswer:      {"DNS", "rsp", "k-dns"},
	EventDAD:            {"ND", "req", "k-nd"},
	EventNS:             {"ND", "req", "k-nd"},
	EventNA:             {"ND", "rsp", "k-nd"},
	EventDHCPv4:         {"DHCPv4", "req", "k-dhcp"},
}

// alwaysLanes are drawn even when empty: an empty DHCPv6 or DNS lane is
// itself a finding worth seeing.
var alwaysLanes = []string{"RS", "RA", "DHCPv6", "DNS"}

// niceSteps are the candidate tick spacings, in seconds.
var niceSteps = []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800}

// f1 formats an SVG coordinate.
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// buildTimeline lays out client c's timeline over the report's span. It
// returns nil when the report has no time span (no packets).
func buildTimeline(r *Report, c Client) *svgTimeline {
	if r.Start.IsZero() {
		return nil
	}
	start, end := r.Start, r.End
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	span := end.Sub(start).Seconds()
	x := func(t time.Time) float64 {
		s := t.Sub(start).Seconds()
		s = max(0, min(span, s))
		return tlPlotStart + s/span*(tlPlotEnd-tlPlotStart)
	}

	tl := &svgTimeline{Width: tlWidth, MarkR: tlMarkR, PlotX0: f1(tlPlotStart), PlotX1: f1(tlPlotEnd)}
	laneY := map[string]float64{}
	addLane := func(key, label, title string) float64 {
		if y, ok := laneY[key]; ok {
			return y
		}
		y := float64(tlTopPad + len(tl.Lanes)*tlLaneH)
		laneY[key] = y
		tl.Lanes = append(tl.Lanes, svgLane{
			Label: label, Title: title, Y: f1(y), TextY: f1(y + tlLaneH/2 + 4), Stripe: len(tl.Lanes)%2 == 0,
		})
		return y
	}
	for _, l := range alwaysLanes {
		addLane(l, l, l+" events")
	}
	count := map[string]int{}
	for _, e := range c.Timeline {
		lane := "other"
		if k, ok := laneOfEvent[e.Kind]; ok {
			lane = k.lane
		}
		if k, ok := laneOfEvent[e.Kind]; !ok || k.shape != "derived" {
			count[lane]++
		}
		addLane(lane, lane, lane+" events")
	}
	for i, l := range tl.Lanes {
		tl.Lanes[i].Label = fmt.Sprintf("%s (%d)", l.Label, count[l.Label])
	}

	for _, v := range c.DNSValidity {
		name := "RDNSS "
		if v.Via == ViaDHCPv6 {
			name = "DHCPv6 "
		}
		label := truncate(name+v.Server, tlMaxLabel)
		y := addLane("valid "+v.Via+" "+v.Server, label, "DNS server "+v.Server+" valid via "+v.Via)
		to := end
		toText := "past the end of the capture"
		if v.To != nil {
			to = *v.To
			toText = "until " + fmtRel(start, to)
		}
		x0, x1 := x(v.From), x(to)
		class := "band-ra"
		if v.Via == ViaDHCPv6 {
			class = "band-dhcp"
		}
		tl.Bands = append(tl.Bands, svgBand{
			X: f1(x0), Y: f1(y + 3), W: f1(max(x1-x0, 1.5)), H: f1(tlLaneH - 6), Class: class,
			Title: fmt.Sprintf("%s via %s valid from %s %s", v.Server, v.Via, fmtRel(start, v.From), toText),
		})
	}

	// Marks that would overlap (closer than one mark's width) in the same
	// lane with the same look are drawn once, their titles joined: a lane
	// holds at most a hundred marks however many events a client has.
	type markKey struct {
		x           int
		lane, shape string
		class       string
	}
	merged := map[markKey]int{}
	extra := map[int]int{}
	for _, e := range c.Timeline {
		k, ok := laneOfEvent[e.Kind]
		if !ok {
			k = struct{ lane, shape, class string }{"other", "req", "k-other"}
		}
		ex := x(e.Time)
		ey := laneY[k.lane] + tlLaneH/2
		title := e.Kind + " at " + fmtRel(start, e.Time)
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

	lanesH := len(tl.Lanes) * tlLaneH
	tl.Height = tlTopPad + lanesH + tlAxisH
	tl.AxisY = f1(float64(tlTopPad + lanesH))

	// Beyond the largest nice step, whole days: the tick count stays
	// bounded whatever the span.
	step := math.Ceil(span/tlMaxTicks/86400) * 86400
	for _, s := range niceSteps {
		if span/s <= tlMaxTicks {
			step = s
			break
		}
	}
	for i := 0; float64(i)*step <= span+1e-9; i++ {
		s := float64(i) * step
		tl.Ticks = append(tl.Ticks, svgTick{
			X:     f1(tlPlotStart + s/span*(tlPlotEnd-tlPlotStart)),
			Label: fmtTick(s, step),
		})
	}

	if c.LostAt != nil {
		tl.Lost = &svgLost{X: f1(x(*c.LostAt)), Title: "DNS lost at " + fmtRel(start, *c.LostAt)}
	}
	return tl
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
