package conformance

import (
	"container/heap"
	"encoding/binary"
	"net/netip"
	"regexp"
	"slices"
	"time"

	"github.com/ralab/ralab/conformance/wire"
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
	// doubt is the span since it last went from held to unknown, and
	// lastDoubt the last such span that ended held: evidence seen later
	// may show it was an outage (doubtWasOutage).
	doubt, lastDoubt *doubtSpan
	open             *outageRec
	// pending is the last closed outage, not yet recorded: one that
	// begins again within the grace continues it, and later lookups may
	// still show the client did not have it (see settle).
	pending *outageRec

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
	// stale: it ended with a query to a lost server while no offer of
	// it was valid.
	stale bool
}

// lossSnapshot is an RA-learned server as it was when it was lost.
type lossSnapshot struct {
	srv  serverState
	view raServer
	rs   bool
}

// observe records the instant verdict v at time at, decided after packet
// p (nil for a lifetime running out).
func (h *dnsHistory) observe(c *client, at time.Time, v *verdictResult, p *wire.Packet, grace time.Duration) {
	if at.Before(h.lastEval) {
		at = h.lastEval // A live report may have looked a little ahead.
	}
	h.lastEval = at
	h.settle(c, at, grace)
	st := holdOf(v.verdict)
	h.trackDoubt(st, at)
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
	case st == holdNone && !h.firstHeld.IsZero() && h.open == nil:
		if o := h.pending; o != nil {
			// Held again for less than the grace: the same outage.
			h.pending = nil
			o.end, o.recovered, o.stale = time.Time{}, nil, false
			h.open = o
			break
		}
		h.open = h.newOutage(at, v)
	}
	h.state = st
}

// doubtSpan is a span in which a client that held DNS could not be told
// to hold it.
type doubtSpan struct {
	start, end time.Time
	servers    []netip.Addr
}

// trackDoubt follows spans of unknown state between held ones.
func (h *dnsHistory) trackDoubt(st holdState, at time.Time) {
	switch {
	case st == holdUnknown && h.state == holdHeld:
		h.doubt = &doubtSpan{start: at, servers: h.heldServers}
	case st == holdHeld && h.doubt != nil:
		h.doubt.end = at
		h.lastDoubt, h.doubt = h.doubt, nil
	case st == holdNone:
		h.doubt = nil
	}
}

// doubtWasOutage records the last doubtful span as an outage, when later
// evidence shows the client had no DNS from start to end (and the span
// covers that time).
func (h *dnsHistory) doubtWasOutage(start, end time.Time, cause string, evidence []Evidence, grace time.Duration) {
	d := h.lastDoubt
	if d == nil || start.Before(d.start.Add(-time.Second)) || end.After(d.end.Add(time.Second)) ||
		end.Sub(start) < grace {
		return
	}
	h.lastDoubt = nil
	e := end
	o := outageRec{start: start, end: e, servers: d.servers, reason: cause, evidence: evidence}
	h.record(o, end.Sub(start))
}

// newOutage starts an outage at at (or when v says DNS was lost, if that
// was after the last held instant).
func (h *dnsHistory) newOutage(at time.Time, v *verdictResult) *outageRec {
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
func (h *dnsHistory) close(c *client, at time.Time, p *wire.Packet, grace time.Duration) {
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
	// Held again only by using a lost server stale: later lookups may
	// still show that the client kept it all along.
	o.stale = o.staleUse(c, p)
	h.pending = o
}

// settle decides the pending outage at now: dropped once the client is
// seen to have kept its server, recorded once it has held DNS again for
// the grace (and, for a stale recovery, once a new offer makes the
// question moot).
func (h *dnsHistory) settle(c *client, now time.Time, grace time.Duration) {
	o := h.pending
	if o == nil {
		return
	}
	if o.stale {
		if o.kept(c, now) {
			h.pending = nil
			return
		}
		for _, a := range o.servers {
			if s, ok := c.servers[a]; ok && s.rfcValidAt(now) {
				o.stale = false
			}
		}
	}
	if !o.stale && now.Sub(o.end) >= grace {
		h.pending = nil
		h.record(*o, o.end.Sub(o.start))
	}
}

// kept reports whether the client was seen, by now, to have kept a
// server o lost: per router (F15), or by lookups after its end.
func (o *outageRec) kept(c *client, now time.Time) bool {
	if o.keptPerRouter(c) {
		return true
	}
	for _, a := range o.servers {
		if s, ok := c.servers[a]; ok && !s.valid && s.keptAt(now) {
			return true
		}
	}
	return false
}

// keptPerRouter reports whether o began with another router's withdrawal
// of a server that the client was seen, after that, to keep per router.
func (o *outageRec) keptPerRouter(c *client) bool {
	return o.loss != nil && o.loss.view.why == lossWithdrawn && o.loss.srv.withdrawnFrom != (wire.MAC{}) &&
		c.perRouter != nil && c.perRouter.Time.After(o.start)
}

// keptStale reports whether p, the packet that ends o, is a query to a
// server o lost, sent while no offer of it was valid: the client evidently
// kept the server all along (C8), so it had DNS throughout.
func (o *outageRec) keptStale(c *client, p *wire.Packet) bool {
	if !o.staleUse(c, p) {
		return false
	}
	s, ok := c.servers[p.Dst]
	return ok && s.keptAt(p.Time)
}

// staleUse reports whether p is a query to a server o lost while no offer
// of it is valid.
func (o *outageRec) staleUse(c *client, p *wire.Packet) bool {
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

// applyRA applies RA p (template tpl) to client c and follows the client
// when the RA changed which of its servers are valid in any view: an RA
// that only refreshes lifetimes changes no instant state.
func (t *Tracker) applyRA(c *client, tpl *raTemplate, reached string, p *wire.Packet) {
	c.expire(p.Time)
	before, first := c.raSignature(p.Time), c.counts.RAsReceived == 0
	c.applyRA(tpl, reached, false)
	if first || c.raSignature(p.Time) != before {
		t.follow(c, p.Time, p)
		return
	}
	t.schedule(c, p.Time)
}

// raSignature sums, order-free, what the instant state depends on in the
// client's RA-learned servers at t: in every view, which are valid,
// assumed, ignored or omitted.
func (c *client) raSignature(t time.Time) uint64 {
	var sig uint64
	for a, s := range c.servers {
		b := a.As16()
		h := mix(binary.BigEndian.Uint64(b[:8])^bits(s.rfcValidAt(t), s.assumed, s.androidValid, s.androidEver),
			binary.BigEndian.Uint64(b[8:]))
		h = mix(h, bits(s.nzValid, s.nzEver, s.nzOmitted.IsZero(), s.valid))
		for m, o := range s.byRouter {
			h += mix(uint64(m[0])<<40|uint64(m[1])<<32|uint64(m[2])<<24|uint64(m[3])<<16|uint64(m[4])<<8|uint64(m[5]),
				bits(o.runningAt(t), o.omitted.IsZero(), o.valid, false))
		}
		sig += h
	}
	return sig
}

// bits packs four flags.
func bits(a, b, c, d bool) uint64 {
	var v uint64
	for i, f := range []bool{a, b, c, d} {
		if f {
			v |= 1 << i
		}
	}
	return v
}

// mix combines two words (a multiply-xorshift step, as in splitmix64).
func mix(a, b uint64) uint64 {
	x := (a ^ b*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	return x ^ x>>31
}

// follow evaluates client c at time at, after packet p (nil when a
// lifetime ran out), records the result in its history and schedules its
// next deadline.
func (t *Tracker) follow(c *client, at time.Time, p *wire.Packet) {
	v := c.decide(at, t.link())
	c.hist.observe(c, at, &v, p, t.opts.OutageGrace)
	t.schedule(c, at)
}

// followUse follows client c after a DNS query or answer p: it only
// adds evidence, so a client that holds DNS keeps holding it.
func (t *Tracker) followUse(c *client, p *wire.Packet) {
	if c.hist.state != holdHeld {
		t.follow(c, p.Time, p)
		return
	}
	c.hist.settle(c, p.Time, t.opts.OutageGrace)
}

// schedule makes sure a deadline is pending for the client's next change
// by time alone after now. A pending earlier one is kept: when it comes,
// runDeadlines looks again.
func (t *Tracker) schedule(c *client, now time.Time) {
	n := c.nextChange(now)
	if n.IsZero() || (!c.hist.next.IsZero() && !n.Before(c.hist.next)) {
		return
	}
	c.hist.next = n
	heap.Push(&t.deadlines, deadline{at: n, c: c})
}

// runDeadlines evaluates every client whose state may have changed by time
// alone up to now, in time order.
func (t *Tracker) runDeadlines(now time.Time) {
	for len(t.deadlines) > 0 && !t.deadlines[0].at.After(now) {
		d := heap.Pop(&t.deadlines).(deadline)
		c := d.c
		if t.clients[c.mac] != c || !d.at.Equal(c.hist.next) {
			continue // Evicted, or superseded by an earlier one.
		}
		c.hist.next = time.Time{}
		if n := c.nextChange(d.at.Add(-time.Nanosecond)); n.After(d.at) {
			t.schedule(c, d.at) // Refreshed since: nothing ends now.
			continue
		}
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

// FailureIDs returns the field guide failure ids (F1-F17) named in s, in
// order of first mention, without duplicates.
func FailureIDs(s string) []string {
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
func (c *client) lookup(p *wire.Packet) {
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
