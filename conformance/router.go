package conformance

import (
	"net/netip"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// router is the tracker's model of one host sending RAs.
type router struct {
	mac                                  wire.MAC
	ll                                   netip.Addr
	ras, unsolicited, solicited, unicast int
	first, last                          time.Time

	// lastMcast is the last multicast RA that hosts accept.
	lastMcast *raSeen
	// prevMcast is the evidence of the previous multicast RA (any).
	prevMcast *Evidence
	// prevRDNSS is the smallest non-zero RDNSS lifetime of that RA.
	prevRDNSS uint32

	gapCount               int
	gapMin, gapMax, gapSum time.Duration
	unsolGaps              int
	unsolMax               time.Duration
	prevUnsol              time.Time
	minRDNSS               uint32
	minRDNSSEv             Evidence
	lastRA                 *RA
	lastParsed             *wire.RouterAdvertisement
	find                   findingSet

	// initial are its first multicast RAs (up to maxInitialRAs), and
	// laterGaps and laterMax count and bound the intervals after them.
	initial   []Evidence
	laterGaps int
	laterMax  time.Duration
	// sawDAD: it sent DAD before its first RA, so it came up during the
	// capture.
	sawDAD bool
	// history are its recent RAs, oldest first, for explaining why a
	// client's server ran out (see gapCause).
	history []raEvent
	// grace is the tracker's outage grace; lapses are the times its RDNSS
	// lifetime ran out shorter than that before its next multicast RA.
	grace  time.Duration
	lapses rdnssLapses
}

// rdnssLapses counts RDNSS lifetimes that ran out just before the next RA.
type rdnssLapses struct {
	count           int
	longest         time.Duration
	lifetime        uint32
	first, firstEnd Evidence
}

// maxRAHistory bounds router.history; when full, the older half goes.
// It holds over 12 minutes of RAs at the RFC 4861 minimum interval of
// 3 s, a day at a typical 200 s, and keeps a flood of routers (at most
// maxRouters) to about 25 MB.
const maxRAHistory = 512

// raEvent is one RA a router sent.
type raEvent struct {
	at     time.Time
	packet int
	// dst is the destination MAC of a unicast RA; zero for multicast.
	dst wire.MAC
	// solicited: it answered a Router Solicitation.
	solicited bool
	// fragmented: it came as IPv6 fragments, which hosts drop.
	fragmented bool
	// accepted: hosts accept it (RFC 4861 §6.1.2 validity, not
	// fragmented).
	accepted bool
}

// remember adds an RA to r.history.
func (r *router) remember(e raEvent) {
	if len(r.history) >= maxRAHistory {
		r.history = append(r.history[:0], r.history[maxRAHistory/2:]...)
	}
	r.history = append(r.history, e)
}

// raSeen is an RA and the packet that carried it.
type raSeen = raTemplate

// observeRA tracks an RA: its router's checks, counts and history, the
// RS it answers, and what it offers the clients it reaches.
func (t *Tracker) observeRA(p *wire.Packet) {
	r := t.routerOf(p)
	if r == nil {
		return
	}
	r.ras++
	r.last = p.Time
	r.ll = p.Src
	t.matchSent(p, SentRA)
	for _, pr := range p.Problems {
		r.find.add(Finding{ID: pr.ID, Severity: problemSeverity(pr), Router: r.mac.String(), Time: p.Time, RFC: pr.RFC,
			Message: pr.Message}, "problem:"+pr.ID+":"+pr.Message, ev(p, ""))
	}
	accepted := checkRA(r, p)
	r.lastRA = reportRA(p)
	r.lastParsed = p.RA

	multicast := p.DstMAC.Multicast() || p.Dst.IsMulticast()
	solicited := t.answersRS(r, p, multicast)
	r.count(p, multicast, solicited)
	if multicast {
		checkMulticastGap(r, p)
	}
	e := raEvent{at: p.Time, packet: p.N, solicited: solicited, fragmented: p.Fragmented, accepted: accepted}
	if !multicast {
		e.dst = p.DstMAC
	}
	r.remember(e)
	t.deliverRA(r, p, multicast, accepted)
}

// routerOf returns the router that sent p, new or known, or nil when
// there are too many routers already.
func (t *Tracker) routerOf(p *wire.Packet) *router {
	if r, ok := t.routers[p.SrcMAC]; ok {
		return r
	}
	if len(t.routers) >= maxRouters {
		t.ignored++
		return nil
	}
	r := &router{mac: p.SrcMAC, first: p.Time, grace: t.opts.OutageGrace}
	t.routers[p.SrcMAC] = r
	if c, ok := t.clients[p.SrcMAC]; ok {
		// It looked like a client (its own DAD, say) until it sent an RA.
		r.sawDAD = c.counts.DAD > 0
		t.lru.Remove(c.elem)
		delete(t.clients, p.SrcMAC)
	}
	return r
}

// answersRS marks the pending Router Solicitations RA p answers (R3, N3)
// and reports whether it answers any.
func (t *Tracker) answersRS(r *router, p *wire.Packet, multicast bool) bool {
	solicited := false
	for i := range t.pendingRS {
		rs := &t.pendingRS[i]
		d := p.Time.Sub(rs.ev.Time)
		if rs.done || d < 0 || d > rsAnswerWindow || (!multicast && p.DstMAC != rs.mac) {
			continue
		}
		rs.done, solicited = true, true
		r.find.check("R3")
		if c, ok := t.clients[rs.mac]; ok {
			c.find.check("N3")
		}
		if d > maxRADelay {
			r.find.add(Finding{ID: "R3", Severity: SeverityInfo, Router: r.mac.String(), Time: p.Time,
				RFC:     "RFC 4861 §6.2.6",
				Message: "answered a Router Solicitation after " + seconds(d) + ", later than MAX_RA_DELAY_TIME 0.5 s (allowed only to keep multicast RAs 3 s apart)"},
				"R3", rs.ev, ev(p, "RA"))
		}
	}
	return solicited
}

// count counts RA p as unicast, solicited or unsolicited, with the gaps
// between unsolicited ones.
func (r *router) count(p *wire.Packet, multicast, solicited bool) {
	switch {
	case !multicast:
		r.unicast++
		if solicited {
			r.solicited++
		}
	case solicited:
		r.solicited++
	default:
		r.unsolicited++
		if !r.prevUnsol.IsZero() {
			r.unsolGaps++
			r.unsolMax = max(r.unsolMax, p.Time.Sub(r.prevUnsol))
		}
		r.prevUnsol = p.Time
	}
}

// deliverRA applies RA p to the clients it reaches, all of them when
// multicast; a fragmented RA hosts drop is noted instead.
func (t *Tracker) deliverRA(r *router, p *wire.Packet, multicast, accepted bool) {
	if !accepted && p.Fragmented && p.RA != nil {
		if !multicast {
			if c, ok := t.clients[p.DstMAC]; ok {
				c.noteFragmentedRA(p)
			}
		} else {
			for _, c := range t.clients {
				c.noteFragmentedRA(p)
			}
		}
	}
	if !accepted {
		return
	}
	if multicast {
		tpl := newRATemplate(p, r.mac)
		r.lastMcast = tpl
		for _, c := range t.clients {
			t.applyRA(c, tpl, ReachedMulticast, p)
		}
		return
	}
	if c := t.client(p.DstMAC, p.Time); c != nil {
		t.applyRA(c, newRATemplate(p, r.mac), ReachedUnicast, p)
	}
}

// prfName names an RFC 4191 §2.1 preference value.
func prfName(v uint8) string {
	switch v {
	case 1:
		return "high"
	case 0:
		return "medium"
	case 3:
		return "low"
	}
	return "reserved"
}

// reportRA converts a decoded RA to its report form.
func reportRA(p *wire.Packet) *RA {
	ra := p.RA
	o := &RA{
		Time: p.Time, Packet: p.N, Source: addrString(p.Src), Destination: addrString(p.Dst),
		HopLimit: p.HopLimit, CurHopLimit: ra.CurHopLimit, Managed: ra.Managed, Other: ra.Other,
		Preference: prfName(ra.Preference), RouterLifetimeSeconds: ra.RouterLifetime,
		ReachableTimeMillis: ra.ReachableTime, RetransTimerMillis: ra.RetransTimer,
		MTU: ra.Options.MTU, CaptivePortal: ra.Options.CaptivePortal,
	}
	if ra.Options.HasSourceLLA {
		o.SourceLLA = ra.Options.SourceLLA.String()
	}
	for _, x := range ra.Options.Prefixes {
		o.Prefixes = append(o.Prefixes,
			PrefixInfo{Prefix: x.Prefix.String(), OnLink: x.OnLink, Autonomous: x.Autonomous,
				ValidSeconds: x.Valid, PreferredSeconds: x.Preferred})
	}
	for _, x := range ra.Options.Routes {
		o.Routes = append(o.Routes,
			RouteInfo{Prefix: x.Prefix.String(), Preference: prfName(x.Preference), LifetimeSeconds: x.Lifetime})
	}
	for _, x := range ra.Options.RDNSS {
		s := RDNSSInfo{Servers: []string{}, LifetimeSeconds: x.Lifetime}
		for _, a := range x.Servers {
			s.Servers = append(s.Servers, a.String())
		}
		o.RDNSS = append(o.RDNSS, s)
	}
	for _, x := range ra.Options.DNSSL {
		o.DNSSL = append(o.DNSSL, DNSSLInfo{Domains: append([]string{}, x.Domains...), LifetimeSeconds: x.Lifetime})
	}
	for _, x := range ra.Options.PREF64 {
		o.PREF64 = append(o.PREF64, PREF64Info{Prefix: x.Prefix.String(), LifetimeSeconds: x.Lifetime})
	}
	for _, pr := range p.Problems {
		o.Malformed = append(o.Malformed, pr.Message)
	}
	return o
}
