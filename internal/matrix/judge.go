package matrix

import (
	"fmt"
	"time"
)

// DefaultGrace is the shortest empty stretch of a client's resolver that
// counts as a loss of DNS. It equals the observer's default outage grace
// (conformance.DefaultOutageGrace), so that both sides call the same
// stretches outages.
const DefaultGrace = 2 * time.Second

// Outage is one stretch in which a client's resolver held no server after
// it had held one, lasting at least the grace.
//
// The harness reads the resolver about once a second, so a stretch is
// only known to lie between samples: it began after the last sample that
// held a server (H0) and at or before the first empty one (E1), and it
// ended after the last empty sample (E2) and at or before the first that
// held a server again (H1). Start and End are the midpoints of those
// intervals, so the estimated length is ((E2+H1) - (H0+E1)) / 2; it is at
// least E2-E1 and at most H1-H0 (MinSeconds, MaxSeconds). With 1 s
// samples, n empty samples in a row estimate n seconds.
type Outage struct {
	// Start is the estimated start: midway between the last sample that
	// held a server and the first empty one.
	Start time.Time `json:"start"`
	// End is the estimated end: midway between the last empty sample and
	// the first that held a server again; absent while the stretch lasts
	// to the end of the evaluation.
	End *time.Time `json:"end,omitempty"`
	// Seconds is the estimated length, to End or to the end of the
	// evaluation.
	Seconds float64 `json:"duration_s"`
	// MinSeconds and MaxSeconds bound the true length from the samples.
	MinSeconds float64 `json:"min_s"`
	MaxSeconds float64 `json:"max_s"`
}

// Judgement is what a client's resolver samples say it held over a run,
// in the observer's terms (conformance.VerdictDNSOK and the others).
type Judgement struct {
	// Actual is no-dns when no sample held a server, dns-ok when the
	// client held one from its first acquisition to the end without an
	// outage, dns-lost after at least one outage, unknown without a
	// readable sample.
	Actual Actual
	// Recovered reports, for dns-lost, that the client held DNS again at
	// the end.
	Recovered bool
	// FirstDNS is the first sample that held a server.
	FirstDNS *time.Time
	// Outages are the empty stretches after FirstDNS that lasted the
	// grace, oldest first.
	Outages []Outage
	// Lapses counts the empty stretches shorter than the grace.
	Lapses int
	// WithoutDNSSeconds is the estimated time without DNS over Outages.
	WithoutDNSSeconds float64
}

// stretch is one empty run of a client's resolver after it first held a
// server (see Outage for the sample names).
type stretch struct {
	h0, e1, e2 time.Time
	h1         *time.Time // nil: empty until the end
}

// bounds returns the stretch's shortest, estimated and longest length,
// as lasting up to end when it has not ended.
func (s stretch) bounds(end time.Time) (lo, est, hi time.Duration) {
	stop := end
	lo = end.Sub(s.e1)
	if s.h1 != nil {
		stop, lo = *s.h1, s.e2.Sub(s.e1)
	}
	hi = stop.Sub(s.h0)
	if s.h1 != nil {
		est = (s.e2.Sub(s.h0) + s.h1.Sub(s.e1)) / 2
	} else {
		est = end.Sub(s.h0) - s.e1.Sub(s.h0)/2
	}
	return lo, est, hi
}

// ambiguous reports whether the samples cannot tell whether s lasted the
// grace: its shortest possible length is under it, its longest not.
func (s stretch) ambiguous(end time.Time, grace time.Duration) bool {
	lo, _, hi := s.bounds(end)
	return lo < grace && hi >= grace
}

// describe says when s was and how long it lasted, for an unsettled
// cell's explanation.
func (s stretch) describe(end time.Time) string {
	lo, est, hi := s.bounds(end)
	return fmt.Sprintf("the client's resolver was empty from about %s for %.1f s (between %.1f and %.1f s by the samples)",
		midpoint(s.h0, s.e1).UTC().Format("15:04:05.0"), est.Seconds(), lo.Seconds(), hi.Seconds())
}

// midpoint returns the moment halfway between a and b.
func midpoint(a, b time.Time) time.Time { return a.Add(b.Sub(a) / 2) }

// stretches returns the empty runs of the readable samples at or before
// end that follow the first sample holding a server, and that sample's
// time. ok is false when no sample is readable.
func stretches(samples []Sample, end time.Time) (runs []stretch, first *time.Time, ok bool) {
	var (
		lastHeld time.Time
		open     *stretch
	)
	for _, s := range samples {
		if s.Error != "" || s.At.After(end) {
			continue
		}
		ok = true
		switch {
		case len(s.Servers) > 0 && first == nil:
			at := s.At
			first = &at
		case len(s.Servers) > 0 && open != nil:
			at := s.At
			open.h1 = &at
			runs = append(runs, *open)
			open = nil
		case len(s.Servers) == 0 && first != nil && open == nil:
			open = &stretch{h0: lastHeld, e1: s.At, e2: s.At}
		case len(s.Servers) == 0 && open != nil:
			open.e2 = s.At
		}
		if len(s.Servers) > 0 {
			lastHeld = s.At
		}
	}
	if open != nil {
		runs = append(runs, *open)
	}
	return runs, first, ok
}

// graceMode says how a stretch whose length the samples cannot settle
// (see stretch.ambiguous) is counted.
type graceMode int

const (
	// byEstimate counts it by its estimated length.
	byEstimate graceMode = iota
	// asOutage counts it as an outage.
	asOutage
	// asLapse counts it as a lapse.
	asLapse
)

// Judge reduces a client's resolver samples up to end to what it held,
// by the observer's rules: an empty stretch after the first acquisition
// is an outage when its estimated length (see Outage) is at least grace,
// otherwise a lapse. Unreadable samples are skipped.
func Judge(samples []Sample, end time.Time, grace time.Duration) Judgement {
	return judge(samples, end, grace, byEstimate)
}

func judge(samples []Sample, end time.Time, grace time.Duration, mode graceMode) Judgement {
	runs, first, ok := stretches(samples, end)
	switch {
	case !ok:
		return Judgement{Actual: ActualUnknown, Outages: []Outage{}}
	case first == nil:
		return Judgement{Actual: ActualNoDNS, Outages: []Outage{}}
	}
	j := Judgement{Actual: ActualDNSOK, FirstDNS: first, Outages: []Outage{}}
	for _, s := range runs {
		lo, est, hi := s.bounds(end)
		outage := est >= grace
		if s.ambiguous(end, grace) && mode != byEstimate {
			outage = mode == asOutage
		}
		if !outage {
			j.Lapses++
			continue
		}
		o := Outage{Start: midpoint(s.h0, s.e1), Seconds: roundSeconds(est), MinSeconds: roundSeconds(lo),
			MaxSeconds: roundSeconds(hi)}
		if s.h1 != nil {
			e := midpoint(s.e2, *s.h1)
			o.End = &e
		}
		j.Outages = append(j.Outages, o)
		j.WithoutDNSSeconds += o.Seconds
	}
	if n := len(j.Outages); n > 0 {
		j.Actual, j.Recovered = ActualDNSLost, j.Outages[n-1].End != nil
	}
	j.WithoutDNSSeconds = roundSeconds(time.Duration(j.WithoutDNSSeconds * float64(time.Second)))
	return j
}

// roundSeconds returns d in seconds, rounded to milliseconds.
func roundSeconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }

// LostAt returns the estimated start of the last outage, or nil.
func (j Judgement) LostAt() *time.Time {
	if n := len(j.Outages); n > 0 {
		at := j.Outages[n-1].Start
		return &at
	}
	return nil
}
