package conformance

import (
	"fmt"
	"strings"
	"time"
)

// outageView is a client's DNS history as of the report's end.
type outageView struct {
	outages   []Outage
	dropped   int
	stats     OutageStats
	firstHeld *time.Time
	// heldAtEnd: the client holds DNS at the end, or lost it less than
	// the grace before it (a lapse, not an outage).
	heldAtEnd bool
	// endLapse is that lapse, zero if none.
	endLapse time.Duration
	vias     []string
}

// outageView computes the client's outages up to now, where final is its
// instant verdict at now. It does not change the history: a live tracker
// is asked again later.
func (c *client) outageView(now time.Time, final *verdictResult, link linkState, grace time.Duration) outageView {
	h := &c.hist
	ov := outageView{dropped: h.outages.dropped, vias: h.vias}
	recs := h.outages.items()
	count, total, longest := h.count, h.total, h.longest
	if o := h.pending; o != nil && !(o.stale && o.kept(c, now)) {
		d := o.end.Sub(o.start)
		recs = append(recs, *o)
		count, total, longest = count+1, total+d, max(longest, d)
	}
	ov.heldAtEnd = holdOf(final.verdict) == holdHeld
	if o := h.open; o != nil && !ov.heldAtEnd {
		switch d := now.Sub(o.start); {
		case d < grace && o.lapsed():
			ov.heldAtEnd, ov.endLapse = true, max(d, time.Nanosecond)
		case !o.keptPerRouter(c):
			recs = append(recs, *o)
			count, total, longest = count+1, total+d, max(longest, d)
		}
	}
	if !h.firstHeld.IsZero() {
		fh := h.firstHeld
		ov.firstHeld = &fh
	} else if ov.heldAtEnd {
		ov.firstHeld = &now
	}
	ov.stats = OutageStats{Count: count, WithoutDNSSeconds: total.Seconds(), LongestSeconds: longest.Seconds(),
		Lapses: h.lapses, LongestLapseSeconds: h.longestLapse.Seconds()}
	if ov.firstHeld != nil {
		ov.stats.DNSShare = 1
		if span := now.Sub(*ov.firstHeld); span > 0 {
			ov.stats.DNSShare = 1 - total.Seconds()/span.Seconds()
		}
	}
	ov.outages = make([]Outage, 0, len(recs))
	for i := range recs {
		ov.outages = append(ov.outages, c.reportOutage(&recs[i], now, link))
	}
	return ov
}

// lapsed reports whether the outage began with a lifetime running out (a
// timing lapse), not with a withdrawal, an omission or a DHCPv6 change:
// only such a lapse is spared at the end of the observation while it is
// shorter than the grace.
func (o *outageRec) lapsed() bool {
	return o.loss != nil && o.loss.view.why == lossExpired
}

// reportOutage words one outage: its cause as the router's RAs up to now
// explain it.
func (c *client) reportOutage(o *outageRec, now time.Time, link linkState) Outage {
	end := now
	out := Outage{Start: o.start, Servers: []string{}, Cause: o.reason, Evidence: append([]Evidence{}, o.evidence...),
		SolicitedBefore: o.rsBefore}
	if !o.end.IsZero() {
		end = o.end
		e := o.end
		out.End = &e
	}
	out.DurationSeconds = end.Sub(o.start).Seconds()
	for _, a := range o.servers {
		out.Servers = append(out.Servers, a.String())
	}
	if o.loss != nil {
		out.Cause = c.lossReason(&o.loss.view, o.loss.rs, link)
	}
	out.FIDs = FailureIDs(out.Cause)
	out.SolicitedDuring = c.rsBetween(o.start, end)
	if o.recovered != nil {
		out.Evidence = append(out.Evidence, *o.recovered)
	}
	return out
}

// judge is the client's verdict over the whole observation: its instant
// verdict at now, turned into dns-lost when it lost DNS at any time after
// it first held it (for at least the grace), and its outages.
func (c *client) judge(now time.Time, link linkState, grace time.Duration) (verdictResult, outageView) {
	v := c.evaluate(now, link)
	ov := c.outageView(now, &v, link, grace)
	switch {
	case ov.stats.Count > 0:
		c.lostVerdict(&v, &ov, now)
	case ov.endLapse > 0:
		v.verdict = VerdictDNSOK
		v.lostAt = nil
		v.sources = ov.vias
		v.reason = fmt.Sprintf("held DNS from %s; %s %s before the end of the observation, shorter than the %s grace, so no outage: %s",
			stamp(*ov.firstHeld), "its last server lapsed", seconds(ov.endLapse), seconds(grace), v.reason)
	case v.verdict == VerdictDNSLost && v.lostAt != nil:
		c.lostUnproven(&v, &ov, now, grace)
	}
	if ov.stats.Lapses > 0 {
		v.reason += fmt.Sprintf("; its DNS lapsed %d time(s) for under the %s grace (longest %s): not counted as outages (see the router's F5 finding)",
			ov.stats.Lapses, seconds(grace), seconds(time.Duration(ov.stats.LongestLapseSeconds*float64(time.Second))))
	}
	return v, ov
}

// lostVerdict makes v the dns-lost verdict of a client with outages.
func (c *client) lostVerdict(v *verdictResult, ov *outageView, now time.Time) {
	last := ov.outages[len(ov.outages)-1]
	recovered := last.End != nil && ov.heldAtEnd
	now0 := v.reason
	start := last.Start
	head := fmt.Sprintf("lost DNS %d time(s), %.0f %% of the time without DNS since %s (%s in all, longest %s): %s",
		ov.stats.Count, 100*(1-ov.stats.DNSShare), stamp(*ov.firstHeld),
		seconds(secondsDur(ov.stats.WithoutDNSSeconds)), seconds(secondsDur(ov.stats.LongestSeconds)),
		causesOf(ov.outages, ov.dropped))
	switch {
	case recovered && v.verdict == VerdictDNSOK:
		head += "; holds DNS again: " + now0
	case recovered:
		head += "; holds DNS again at the end"
	case v.verdict == VerdictInconclusive:
		head += "; since " + stamp(start) + " whether it holds DNS cannot be told: " + now0
	default:
		head += "; without DNS since " + stamp(start) + ": " + now0
	}
	evidence := append([]Evidence{}, ov.outages[0].Evidence...)
	if len(ov.outages) > 1 {
		evidence = append(evidence, last.Evidence...)
	}
	evidence = append(evidence, v.evidence...)
	if len(evidence) > 2*maxEvidence {
		evidence = evidence[:2*maxEvidence]
	}
	*v = verdictResult{verdict: VerdictDNSLost, lostAt: &start, reason: head, evidence: evidence,
		knowledge: v.knowledge, unproven: v.unproven, settle: v.settle}
	if recovered {
		v.sources = ov.vias
	}
	ov.heldAtEnd = recovered
}

// lostUnproven handles an instant dns-lost of a client never seen to hold
// DNS (no query, not identified): the loss is an outage from when it
// began, unless that is under the grace before the end.
func (c *client) lostUnproven(v *verdictResult, ov *outageView, now time.Time, grace time.Duration) {
	d := now.Sub(*v.lostAt)
	if d < grace && v.lost != nil && v.lost.why == lossExpired {
		v.verdict = VerdictInconclusive
		v.settle = "a longer observation, or a DNS query from it"
		v.reason = fmt.Sprintf("its DNS offer ended %s before the end of the observation, shorter than the %s grace: %s",
			seconds(d), seconds(grace), v.reason)
		return
	}
	o := Outage{Start: *v.lostAt, DurationSeconds: d.Seconds(), Servers: []string{}, Cause: v.reason,
		FIDs: FailureIDs(v.reason), Evidence: append([]Evidence{}, v.evidence...), SolicitedBefore: v.lostRS,
		SolicitedDuring: c.rsBetween(*v.lostAt, now)}
	if v.lost != nil {
		o.Servers = append(o.Servers, v.lost.s.addr.String())
	}
	ov.outages = append(ov.outages, o)
	ov.stats.Count, ov.stats.WithoutDNSSeconds, ov.stats.LongestSeconds = 1, d.Seconds(), d.Seconds()
}

// causesOf names every distinct cause among outages, with how often each
// was seen.
func causesOf(outages []Outage, dropped int) string {
	var keys []string
	first := map[string]string{}
	n := map[string]int{}
	for _, o := range outages {
		k := strings.Join(o.FIDs, ",") + "|" + causeKind(o.Cause)
		if _, ok := first[k]; !ok {
			keys = append(keys, k)
			first[k] = o.Cause
		}
		n[k]++
	}
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		p := first[k]
		if n[k] > 1 {
			p += fmt.Sprintf(" (%d times)", n[k])
		}
		parts = append(parts, p)
	}
	s := strings.Join(parts, "; then ")
	if dropped > 0 {
		s += fmt.Sprintf(" (%d more outages in between are counted but not kept)", dropped)
	}
	return s
}

// causeKind reduces a cause to its kind of loss, for grouping.
func causeKind(cause string) string {
	for _, k := range []string{"withdrawn", "came without", "expired", "DHCPv6"} {
		if strings.Contains(cause, k) {
			return k
		}
	}
	return ""
}

// secondsDur converts seconds to a duration.
func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
