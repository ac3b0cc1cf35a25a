package conformance

import (
	"container/heap"
	"net/netip"
	"regexp"
	"slices"
	"time"
)

// holdState is whether a client holds IPv6 DNS at one instant, by the
// evidence standard of its verdict: held (the instant verdict is dns-ok),
// none (dns-lost or no-dns), or unknown (inconclusive).
type holdState uint8

const (
	holdUnknown holdState = iota
	holdNone
	holdHeld
)

// holdOf maps an instant verdict to its holdState.
func holdOf(v Verdict) holdState {
	switch v {
	case VerdictDNSOK:
		return holdHeld
	case VerdictDNSLost, VerdictNoDNS:
		return holdNone
	}
	return holdUnknown
}

// maxOutages bounds the outages kept per client (the first eighth and the
// most recent); the statistics count every one.
const maxOutages = 64

// dnsHistory follows a client's instant DNS state over the whole
// observation: when it first held DNS, and every outage after that.
type dnsHistory struct {
	state     holdState
	lastEval  time.Time
	firstHeld time.Time
	lastHeld  time.Time
	// heldServers are the servers valid at the last held instant: those
	// an outage that starts next loses.
	heldServers []netip.Addr
	// vias are the channels through which it was seen to hold DNS.
	vias []string
	open *outageRec

	outages capped[outageRec]
	count   int
	total   time.Duration
	longest time.Duration
	lapses  int
	// longestLapse is the longest lapse shorter than the grace.
	longestLapse time.Duration
	// next is when the client's state may next change by time alone (a
	// lifetime running out); zero if never.
	next time.Time
}

// outageRec is one outage as tracked; its cause is worded at report time,
// when the router's later RAs are known.
type outageRec struct {
	start, end time.Time // end zero: ongoing
	servers    []netip.Addr
	loss       *lossSnapshot
	// reason is the instant verdict's reason when the outage began, for
	// losses that are not of an RA-learned server.
	reason    string
	evidence  []Evidence
	recovered *Evidence
	rsBefore  bool
}

// lossSnapshot is an RA-learned server as it was when it was lost.
type lossSnapshot struct {
	srv  serverState
	view raServer
	rs   bool
}

// observe records the instant verdict v at time at, decided after packet
// p (nil for a lifetime running out).
func (h *dnsHistory) observe(c *client, at time.Time, v *verdictResult, p *Packet, grace time.Duration) {
	if at.Before(h.lastEval) {
		at = h.lastEval // A live report may have looked a little ahead.
	}
	h.lastEval = at
	st := holdOf(v.verdict)
	switch {
	case st == holdHeld:
		if h.firstHeld.IsZero() {
			h.firstHeld = at
		}
		if h.open != nil {
			h.close(c, at, p, grace)
		}
		h.lastHeld, h.heldServers = at, c.heldServers(v)
		if v.via != "" && !slices.Contains(h.vias, v.via) {
			h.vias = append(h.vias, v.via)
		}
	case st == holdNone && h.state == holdHeld && h.open == nil:
		h.open = newOutage(c, h, at, v)
	}
	h.state = st
}

// newOutage starts an outage at at (or when v says DNS was lost, if that
// was after the last held instant).
func newOutage(c *client, h *dnsHistory, at time.Time, v *verdictResult) *outageRec {
	o := &outageRec{start: at, servers: h.heldServers, reason: v.reason}
	if v.lostAt != nil && v.lostAt.After(h.lastHeld) && v.lostAt.Before(at) {
		o.start = *v.lostAt
	}
	if v.lost != nil {
		snap := &lossSnapshot{srv: *v.lost.s, view: *v.lost, rs: v.lostRS}
		snap.view.s = &snap.srv
		o.loss = snap
		o.rsBefore = v.lostRS
	}
	o.evidence = append(o.evidence, v.evidence...)
	if len(o.evidence) > maxEvidence-1 {
		o.evidence = o.evidence[:maxEvidence-1]
	}
	return o
}

// close ends the open outage at at: a lapse shorter than grace is no
// outage; an outage the client was since seen not to have had (it kept
// the server per router, F15) is dropped.
func (h *dnsHistory) close(c *client, at time.Time, p *Packet, grace time.Duration) {
	o := h.open
	h.open = nil
	if o.keptPerRouter(c) || o.keptStale(c, p) {
		return
	}
	d := at.Sub(o.start)
	if d < grace {
		h.lapses++
		h.longestLapse = max(h.longestLapse, d)
		return
	}
	o.end = at
	if p != nil {
		e := ev(p, "DNS held again")
		o.recovered = &e
	}
	h.record(*o, d)
}

// keptPerRouter reports whether o began with another router's withdrawal
// of a server that the client was seen, after that, to keep per router.
func (o *outageRec) keptPerRouter(c *client) bool {
	return o.loss != nil && o.loss.view.why == "withdrawn" && o.loss.srv.withdrawnFrom != (MAC{}) &&
		c.perRouter != nil && c.perRouter.Time.After(o.start)
}

// keptStale reports whether p, the packet that ends o, is a query to a
// server o lost, sent while no offer of it was valid: the client evidently
// kept the server all along (C8), so it had DNS throughout.
func (o *outageRec) keptStale(c *client, p *Packet) bool {
	return p != nil && p.DNS != nil && !p.DNS.Response && slices.Contains(o.servers, p.Dst) && !c.validAt(p.Dst, p.Time)
}

func (h *dnsHistory) record(o outageRec, d time.Duration) {
	h.count++
	h.total += d
	h.longest = max(h.longest, d)
	h.outages.add(o, maxOutages)
}

// nextChange returns when the client's instant state may next change by
// time alone after now: the earliest end of a running lifetime of an
// RA-learned server, in any of the views client knowledge may select.
func (c *client) nextChange(now time.Time) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, s := range c.servers {
		if s.valid {
			consider(s.expires)
		}
		if s.androidValid {
			consider(s.androidExpires)
		}
		if s.nzValid {
			consider(s.nzExpires)
		}
		for _, o := range s.byRouter {
			if o.valid {
				consider(o.expires)
			}
		}
	}
	return next
}

// deadline is a time at which a client's state may change with no packet.
type deadline struct {
	at time.Time
	c  *client
}

// deadlines is a min-heap of deadlines by time (container/heap).
type deadlines []deadline

func (d deadlines) Len() int           { return len(d) }
func (d deadlines) Less(i, j int) bool { return d[i].at.Before(d[j].at) }
func (d deadlines) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *deadlines) Push(x any)        { *d = append(*d, x.(deadline)) }
func (d *deadlines) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// follow evaluates client c at time at, after packet p (nil when a
// lifetime ran out), records the result in its history and schedules its
// next deadline.
func (t *Tracker) follow(c *client, at time.Time, p *Packet) {
	v := c.decide(at, t.link())
	c.hist.observe(c, at, &v, p, t.opts.OutageGrace)
	if n := c.nextChange(at); !n.Equal(c.hist.next) {
		c.hist.next = n
		if !n.IsZero() {
			heap.Push(&t.deadlines, deadline{at: n, c: c})
		}
	}
}

// runDeadlines evaluates every client whose state may have changed by time
// alone up to now, in time order.
func (t *Tracker) runDeadlines(now time.Time) {
	for len(t.deadlines) > 0 && !t.deadlines[0].at.After(now) {
		d := heap.Pop(&t.deadlines).(deadline)
		c := d.c
		if t.clients[c.mac] != c || !d.at.Equal(c.hist.next) {
			continue // Evicted, or rescheduled since.
		}
		c.hist.next = time.Time{}
		c.expire(d.at)
		t.follow(c, d.at, nil)
	}
}

// link returns what verdicts need to know about the whole link.
func (t *Tracker) link() linkState {
	return linkState{replies: t.replies, routers: len(t.routers), byMAC: t.routers}
}

// fidRE matches failure-catalogue ids in reasons.
var fidRE = regexp.MustCompile(`\bF(1[0-7]|[1-9])\b`)

// failureIDs returns the F-ids named in s, in order of first mention.
func failureIDs(s string) []string {
	out := []string{}
	for _, m := range fidRE.FindAllString(s, -1) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// lookup records a Neighbor Solicitation from the client for the address
// of a DNS server offered to it.
func (c *client) lookup(p *Packet) {
	a := p.NS.Target
	if !c.offered(a) {
		return
	}
	u, ok := c.lookups[a]
	if !ok {
		if len(c.lookups) >= maxServers {
			return
		}
		if c.lookups == nil {
			c.lookups = make(map[netip.Addr]*lookupUse)
		}
		u = &lookupUse{first: ev(p, "Neighbor Solicitation for "+a.String())}
		c.lookups[a] = u
	}
	u.count++
	u.last = ev(p, "Neighbor Solicitation for "+a.String())
}
