package conformance

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// Clients differ on an RA that comes from the router that offered a
// server but without it (RFC 4861 §6.2.3 lets a router omit options):
// those that store each router's last RA whole (dhcpcd, Apple) drop the
// server at once, the others keep it until its lifetime ends (F6). An
// unidentified client shows which it is by its DNS queries: a query to
// the server well after such an RA shows it kept the server; several
// windows after such RAs in which it was silent longer than it ever is
// otherwise (and at least twice its usual spacing) show it dropped it.

// minSilentOmissions is how many silent windows show a client drops a
// server at an RA without it.
const minSilentOmissions = 3

// omissionSettle is how long after an RA without a server queries to it
// are not counted against a silent window: queries already under way
// when the client dropped the server.
const omissionSettle = time.Second

// minQueryGaps is how many spacings between queries to a server make
// them a usable yardstick for a silent window.
const minQueryGaps = 4

// queryBurst is the spacing under which queries count as one lookup (a
// resolver sends A and AAAA, or retries, together).
const queryBurst = 250 * time.Millisecond

// queryGaps keeps the most recent spacings between a client's lookups of
// one server while no RA omitted it: the yardstick of how long the
// client is silent when nothing happens.
type queryGaps struct {
	last time.Time
	gaps [16]time.Duration
	n    int // spacings recorded, up to len(gaps)
	next int
}

// add records a query at t; omitted says whether an RA omitted the
// server since the previous query, so the spacing is no yardstick.
func (q *queryGaps) add(t time.Time, omitted bool) {
	if !q.last.IsZero() && t.Sub(q.last) < queryBurst {
		return
	}
	if !q.last.IsZero() && !omitted {
		q.gaps[q.next] = t.Sub(q.last)
		q.next = (q.next + 1) % len(q.gaps)
		q.n = min(q.n+1, len(q.gaps))
	}
	q.last = t
}

// yardstick returns the median and the longest recorded spacing, and
// false with fewer than minQueryGaps.
func (q *queryGaps) yardstick() (median, longest time.Duration, ok bool) {
	if q.n < minQueryGaps {
		return 0, 0, false
	}
	g := slices.Clone(q.gaps[:q.n])
	slices.Sort(g)
	return g[len(g)/2], g[len(g)-1], true
}

// omissionEvidence is what a client's queries showed about omissions.
type omissionEvidence struct {
	// kept is a query to a server more than staleGrace after an RA
	// from its router without it, while its lifetime still ran.
	kept *Evidence
	// silent counts windows after such an RA without a query to the
	// server that, after omissionSettle, last at least twice the median
	// and longer than the longest spacing of the client's lookups of it
	// otherwise; first is the RA that opened the first of them.
	silent int
	first  Evidence
	// resumed counts silent windows after which the client queried the
	// server again at once when its router offered it again: it had
	// dropped the server and took it back.
	resumed int
	// await is the last silent window, until the client's next query to
	// its server shows whether it resumed at once.
	await *silentWindow
}

// silentWindow is a window after an RA without a server in which the
// client did not query it, closed when the router offered it again.
type silentWindow struct {
	server     netip.Addr
	omitted    Evidence
	reoffered  time.Time
	resumeWait time.Duration
}

// noteQueryInOmission records a query at p to server s while routers'
// offers of it stand omitted.
func (c *client) noteQueryInOmission(p *wire.Packet, s *serverState) {
	omitted := s.omissionEnded.After(s.queries.last)
	for _, o := range s.byRouter {
		if !o.valid || o.omitted.IsZero() {
			continue
		}
		omitted = true
		if !o.runningAt(p.Time) {
			continue
		}
		if p.Time.Sub(o.omitted) > omissionSettle {
			o.omitQueries++
		}
		if c.omission.kept == nil && p.Time.Sub(o.omitted) > staleGrace {
			e := ev(p, fmt.Sprintf("query to %s after RA %s without it", s.addr, pkt(o.omittedEv.Packet)))
			c.omission.kept = &e
		}
	}
	s.queries.add(p.Time, omitted)
	c.noteResumption(p, s)
}

// noteResumption checks whether query p to server s comes right after a
// silent window closed: the client resumed at the re-offer, so it had
// dropped the server at the omission (F6). The window then was an
// outage, which the client's history records.
func (c *client) noteResumption(p *wire.Packet, s *serverState) {
	w := c.omission.await
	if w == nil || w.server != s.addr {
		return
	}
	c.omission.await = nil
	if p.Time.Sub(w.reoffered) > w.resumeWait {
		return
	}
	c.omission.resumed++
	cause := fmt.Sprintf("RA %s from the same router came without RDNSS %s; this client drops DNS at once (F6): it stopped querying the server at that RA and resumed right after the router offered it again",
		pkt(w.omitted.Packet), s.addr)
	c.hist.doubtWasOutage(w.omitted.Time, w.reoffered, cause,
		[]Evidence{w.omitted, ev(p, "query right after the re-offer")}, c.opts.OutageGrace)
}

// closeOmission ends the omission window of router offer o of server s
// at t, when the router offers s again.
func (c *client) closeOmission(s *serverState, o *routerOffer, t time.Time) {
	if !o.valid || o.omitted.IsZero() {
		return
	}
	s.omissionEnded = t
	quiet := o.omitQueries == 0 && (o.expires.IsZero() || !o.expires.Before(t))
	o.omitQueries = 0
	median, longest, ok := s.queries.yardstick()
	if silence := t.Sub(o.omitted) - omissionSettle; !quiet || !ok || silence < 2*median || silence <= longest {
		return
	}
	if c.omission.silent == 0 {
		c.omission.first = o.omittedEv
	}
	c.omission.silent++
	c.omission.await = &silentWindow{server: s.addr, omitted: o.omittedEv, reoffered: t,
		resumeWait: 2*median + omissionSettle}
}

// dropsOnOmission reports whether the client's queries show it drops a
// server at an RA from the same router without it.
func (c *client) dropsOnOmission() bool {
	return c.omission.kept == nil && (c.omission.silent >= minSilentOmissions || c.omission.resumed > 0)
}

// omissionKnowledge returns the knowledge entry of what the client's
// queries showed about omissions, nil if they showed nothing.
func (c *client) omissionKnowledge() *Knowledge {
	switch {
	case c.omission.kept != nil:
		return &Knowledge{Client: seenHere, Source: seenHere,
			Basis: fmt.Sprintf("DNS query %s to a server after an RA from its router without it",
				pkt(c.omission.kept.Packet)),
			Behaviour: "keeps a server that an RA from the same router omits, until its lifetime ends (RFC 8106; not F6)"}
	case c.dropsOnOmission():
		return &Knowledge{Client: seenHere, Source: seenHere,
			Basis: fmt.Sprintf("%d window(s) after an RA from a server's router without it (first %s), each without a query to that server for longer than it is otherwise ever silent, and at least twice its usual spacing%s",
				c.omission.silent, pkt(c.omission.first.Packet), resumedNote(c.omission.resumed)),
			Behaviour: "drops a server at once when an RA from the same router omits it, as dhcpcd and Apple do (F6)"}
	}
	return nil
}

// resumedNote says how many silent windows ended in an immediate query.
func resumedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; after %d of them it queried the server again right after the re-offer", n)
}

// unsettledOmission returns the RA that omitted server s after the
// client's last query to it (at last), when nothing shows how this
// client treats omissions: that query then no longer shows the client
// holds s.
func (c *client) unsettledOmission(s *serverState, last time.Time) (Evidence, bool) {
	if c.omission.kept != nil || c.dropsOnOmission() {
		return Evidence{}, false
	}
	var latest Evidence
	for _, o := range s.byRouter {
		if o.valid && !o.omitted.IsZero() && o.omitted.After(last) && o.omitted.After(latest.Time) {
			latest = o.omittedEv
		}
	}
	return latest, latest.Packet != 0
}
