package matrix

import (
	"fmt"
	"time"

	"github.com/ralab/ralab/conformance"
)

// Window is how far around the end of the evaluation a client's state
// may have changed for a difference from the verdict to count as
// unsettled rather than as a disagreement. A client applies a packet
// some time after the capture saw it (it runs a hook script or writes a
// state file), it runs lifetimes on its own timers (in whole seconds,
// for some), and the harness reads its state once a second. The window
// never makes a cell agree: a verdict agrees only with the state judged
// at the end of the evaluation.
type Window struct {
	// Before is how long before the end a change counts.
	Before time.Duration
	// After is how long after it a change counts.
	After time.Duration
}

// DefaultWindow is the window "ralab lab" uses: two sample periods
// before the end and two after it. One period before was too short on a
// loaded machine: a client that held a server for a moment between an
// RA and a withdrawal that came late (F15) read as held in a sample 1.3
// s before the end.
var DefaultWindow = Window{Before: 2 * time.Second, After: 2 * time.Second}

// Comparison is an observer verdict compared with a client's samples.
type Comparison struct {
	// Judgement is what the samples say the client held up to the end.
	Judgement
	// Agree reports that the verdict matches Judgement: the same
	// category and, for dns-lost, the same recovered flag.
	Agree bool
	// Unsettled is set, when they do not agree, if the difference comes
	// from a change of the client's state within the window around the
	// end or from an empty stretch whose length the samples cannot place
	// on either side of the grace: it says which, in words. Empty for a
	// plain disagreement.
	Unsettled string
}

// Compare compares an observer verdict (and its recovered flag) on a
// client, evaluated up to end, with the client's resolver samples, by
// Judge with grace. They agree only when the judgement up to end matches;
// otherwise the cell is unsettled when the judgement of an ambiguous
// stretch the other way, or the judgement at another moment within w
// around end, matches, and a disagreement when neither does.
func Compare(verdict conformance.Verdict, recovered bool, samples []Sample, end time.Time, grace time.Duration,
	w Window) Comparison {
	c := Comparison{Judgement: Judge(samples, end, grace)}
	if c.Agree = matches(verdict, recovered, c.Judgement); c.Agree || !knownVerdict(verdict) {
		return c
	}
	if why := graceUnsettled(verdict, recovered, samples, end, grace); why != "" {
		c.Unsettled = why
		return c
	}
	c.Unsettled = windowUnsettled(verdict, recovered, samples, end, grace, w)
	return c
}

// matches reports whether verdict and recovered say what j says.
func matches(verdict conformance.Verdict, recovered bool, j Judgement) bool {
	if !Agrees(verdict, j.Actual) {
		return false
	}
	return verdict != conformance.VerdictDNSLost || recovered == j.Recovered
}

// knownVerdict reports whether verdict is one Agrees can match.
func knownVerdict(verdict conformance.Verdict) bool {
	return verdict == conformance.VerdictDNSOK || verdict == conformance.VerdictDNSLost ||
		verdict == conformance.VerdictNoDNS
}

// graceUnsettled returns why the verdict matches the samples when their
// ambiguous stretches are counted the other way, or "".
func graceUnsettled(verdict conformance.Verdict, recovered bool, samples []Sample, end time.Time,
	grace time.Duration) string {
	runs, _, _ := stretches(samples, end)
	var amb []stretch
	for _, s := range runs {
		if s.ambiguous(end, grace) {
			amb = append(amb, s)
		}
	}
	if len(amb) == 0 {
		return ""
	}
	for _, mode := range []graceMode{asOutage, asLapse} {
		if matches(verdict, recovered, judge(samples, end, grace, mode)) {
			return fmt.Sprintf("%s, too close to the %.0f s grace to tell an outage from a lapse (%d such stretch(es))",
				amb[0].describe(end), grace.Seconds(), len(amb))
		}
	}
	return ""
}

// windowUnsettled returns why the verdict matches the samples judged at
// another moment within w around end, or "". The judgement only changes
// at a sample, so the moments tried are the window's start and each
// sample within it.
func windowUnsettled(verdict conformance.Verdict, recovered bool, samples []Sample, end time.Time,
	grace time.Duration, w Window) string {
	from, to := end.Add(-w.Before), end.Add(w.After)
	moments := []time.Time{from}
	for _, s := range samples {
		if s.At.After(from) && !s.At.After(to) && !s.At.Equal(end) {
			moments = append(moments, s.At)
		}
	}
	for _, m := range moments {
		for _, mode := range []graceMode{byEstimate, asOutage, asLapse} {
			if matches(verdict, recovered, judge(samples, m, grace, mode)) {
				return fmt.Sprintf("the client's state read at %s (%+.1f s from the end of the capture) matches the verdict, its state at the end does not: a change within %s/+%s of the end",
					m.UTC().Format("15:04:05.0"), m.Sub(end).Seconds(), (-w.Before).String(), w.After.String())
			}
		}
	}
	return ""
}

// Agrees reports whether the observer's verdict names the same category
// as what the client held: dns-ok, dns-lost or no-dns. An inconclusive
// verdict or an unknown actual state never agrees.
func Agrees(verdict conformance.Verdict, actual Actual) bool {
	return knownVerdict(verdict) && actual != ActualUnknown && string(verdict) == string(actual)
}

// TimerSlack is how much longer than the grace the observer's outages
// may be while a client need not show them: clients run lifetimes on
// timers of whole seconds (ConnMan through GLib's
// g_timeout_add_seconds, which may fire up to a second late), and the
// harness reads their state once a second. Measured: ConnMan kept a
// server through an observed outage of 3.1 s (F5, grace 2 s).
const TimerSlack = 1500 * time.Millisecond

// SettleShortOutages marks the cell unsettled when it disagrees only
// because the observer reports dns-lost from outages all shorter than
// grace plus TimerSlack while the client's samples show no loss: too close
// to the grace for a client's own timers to tell.
func (c *Cell) SettleShortOutages(grace time.Duration) {
	if c.Agree || c.Unsettled != "" || c.Verdict != conformance.VerdictDNSLost || c.Actual != ActualDNSOK {
		return
	}
	if c.LongestOutageSeconds <= 0 || c.LongestOutageSeconds >= (grace+TimerSlack).Seconds() {
		return
	}
	c.Unsettled = fmt.Sprintf("the observer's longest outage lasted %.1f s, within %s of the %.0f s grace; a client that runs lifetimes on whole-second timers may not show it",
		c.LongestOutageSeconds, TimerSlack, grace.Seconds())
}

// SetComparison records comp on the cell: the client's judgement,
// agreement and, if any, why the cell is unsettled.
func (c *Cell) SetComparison(comp Comparison) {
	j := comp.Judgement
	c.Actual, c.ActualRecovered, c.ActualFirstDNS = j.Actual, j.Recovered, j.FirstDNS
	c.ActualOutages, c.ActualLapses, c.ActualWithoutDNSSeconds = j.Outages, j.Lapses, j.WithoutDNSSeconds
	c.ActualLostAt = j.LostAt()
	c.Agree, c.Unsettled = comp.Agree, comp.Unsettled
}
