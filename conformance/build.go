package conformance

import (
	"bytes"
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// Report returns the report as of now, the evaluation time: pass the
// last packet's time offline (or the zero time, which means exactly
// that) and the clock live. The tracker keeps running; Report can be
// called again later.
func (t *Tracker) Report(now time.Time) *Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.IsZero() {
		now = t.last
	}
	r := &Report{
		Schema:      SchemaVersion,
		GeneratedAt: time.Now().UTC(),
		Source:      t.opts.Source,
		Start:       t.start,
		End:         now,
		Packets:     t.packets,
		Malformed:   t.malformed,
		Ignored:     t.ignored,
		Evictions:   t.evictions,
		Clients:     []Client{},
		Routers:     []Router{},
		Findings:    []Finding{},
	}
	if !t.start.IsZero() {
		r.DurationSeconds = now.Sub(t.start).Seconds()
	}
	t.expireRS(now)
	t.runDeadlines(now)
	r.OutageGraceSeconds = t.opts.OutageGrace.Seconds()
	r.IPv4OnlyHosts = []IPv4Host{}

	t.reportClients(r, now)
	link := t.reportRouters(r, now)
	r.Findings = sortFindings(link.findings())
	r.Sent = slices.Clone(t.sent)
	return r
}

// reportClients adds the clients, in MAC order, to r: IPv6 clients with
// their verdicts, hosts that sent no IPv6 apart; the knowledge the
// verdicts rest on goes to r once.
func (t *Tracker) reportClients(r *Report, now time.Time) {
	macs := make([]wire.MAC, 0, len(t.clients))
	for m := range t.clients {
		macs = append(macs, m)
	}
	slices.SortFunc(macs, func(a, b wire.MAC) int { return bytes.Compare(a[:], b[:]) })
	seenK := map[string]bool{}
	for _, m := range macs {
		c := t.clients[m]
		if c.serverRole && !c.clientRole {
			continue
		}
		if !c.sentIPv6 {
			r.IPv4OnlyHosts = append(r.IPv4OnlyHosts, reportIPv4Host(c))
			r.Summary.IPv4Only++
			continue
		}
		c.expire(now)
		cr := t.reportClient(c, now)
		r.Summary.count(&cr)
		for _, k := range cr.Knowledge {
			if key := k.Client + "\x00" + k.Basis; !seenK[key] {
				seenK[key] = true
				r.Knowledge = append(r.Knowledge, k)
			}
		}
		r.Clients = append(r.Clients, cr)
	}
}

// reportRouters adds the routers, in MAC order, to r and returns the
// link-level findings with the consistency checks between routers.
func (t *Tracker) reportRouters(r *Report, now time.Time) findingSet {
	rmacs := make([]wire.MAC, 0, len(t.routers))
	for m := range t.routers {
		rmacs = append(rmacs, m)
	}
	slices.SortFunc(rmacs, func(a, b wire.MAC) int { return bytes.Compare(a[:], b[:]) })
	var routers []*router
	for _, m := range rmacs {
		rt := t.routers[m]
		routers = append(routers, rt)
		r.Routers = append(r.Routers, reportRouter(rt, t.start, now))
	}
	link := t.linkFind.clone()
	checkConsistency(routers, &link)
	if len(routers) > 1 {
		// R9 compares every pair of routers that sent a usable RA.
		for i, rt := range routers {
			if rt.lastParsed != nil {
				r.Routers[i].Checked = append(r.Routers[i].Checked, "R9")
				slices.SortFunc(r.Routers[i].Checked, CompareIDs)
			}
		}
	}
	return link
}

// reportClient reports client c as of now.
func (t *Tracker) reportClient(c *client, now time.Time) Client {
	find := c.find.clone()
	finishClient(c, now, t.replies, &find)
	v, ov := c.judge(now, t.link(), t.opts.OutageGrace)
	cr := Client{
		MAC:              c.mac.String(),
		Vendor:           wire.Vendor(c.mac),
		Randomized:       c.mac.LocallyAdministered(),
		Addresses:        make([]Address, 0, len(c.addrOrder)),
		AddressesDropped: c.addrDropped,
		DUIDs:            slices.Clone(c.duids),
		Hostname:         c.hostname,
		VendorClass:      slices.Clone(c.vendorClass),
		PRL:              slices.Clone(c.prl),
		FirstSeen:        c.first,
		LastSeen:         c.last,
		Counts:           c.counts,
		DNSOffered: DNSOffered{
			ByRA: c.raOffers.items(), ByRADropped: c.raOffers.dropped,
			ByDHCPv6: c.dhcpOffers.items(), ByDHCPv6Dropped: c.dhcpOffers.dropped,
		},
		DNSQueried:      make([]DNSUse, 0, len(c.dnsOrder)),
		DNSValidity:     c.intervals.items(),
		Verdict:         v.verdict,
		LostAt:          v.lostAt,
		Reason:          v.reason,
		Settle:          v.settle,
		Evidence:        v.evidence,
		Knowledge:       v.knowledge,
		Findings:        sortFindings(find.findings()),
		Checked:         find.checkedIDs(),
		DNSSources:      v.sources,
		Timeline:        c.timeline.items(),
		TimelineDropped: c.timeline.dropped,
		Recovered:       v.verdict == VerdictDNSLost && ov.heldAtEnd,
		FirstDNS:        ov.firstHeld,
		Outages:         ov.outages,
		OutagesDropped:  ov.dropped,
		OutageStats:     ov.stats,
		ServerOutages:   c.serverOutages(now, t.opts.OutageGrace),
		IPv4DNS:         c.ipv4DNS(),
		Unreachable:     c.unreachable(now, t.naSeen),
	}
	c.annotate(&cr)
	c.reportDNS(&cr)
	return cr
}

// annotate completes cr with what is derived from it: readiness,
// unreachable servers, the identified profile, the elided records and
// empty lists where JSON wants [] rather than null.
func (c *client) annotate(cr *Client) {
	cr.Readiness = c.readiness(cr)
	if len(cr.Unreachable) > 0 {
		cr.Reason += "; " + unreachableNote(cr.Unreachable)
	}
	if p := identify(c); p != nil {
		cr.Identified = p.name
	}
	cr.TimelineElided = c.timeline.elided()
	cr.DNSOffered.ByRAElided, cr.DNSOffered.ByDHCPv6Elided = c.raOffers.elided(), c.dhcpOffers.elided()
	cr.DNSValidityElided = c.intervals.elided()
	if c.sentDHCPv6Client {
		cr.ORO = slices.Clone(c.oro)
		if cr.ORO == nil {
			cr.ORO = []uint16{}
		}
	}
	if cr.Evidence == nil {
		cr.Evidence = []Evidence{}
	}
	if cr.DNSSources == nil {
		cr.DNSSources = []string{}
	}
}

// reportDNS adds c's addresses, its IPv6 DNS queries, and the validity
// intervals still open, to cr.
func (c *client) reportDNS(cr *Client) {
	for _, a := range c.addrOrder {
		cr.Addresses = append(cr.Addresses, *c.addrs[a])
	}
	for _, a := range c.dnsOrder {
		if a.Is4() {
			continue
		}
		u := *c.dns[a]
		u.Offered = c.offered(a)
		cr.DNSQueried = append(cr.DNSQueried, u)
	}
	// Open validity intervals: RA servers still valid, DHCPv6 servers held.
	addrs := make([]netip.Addr, 0, len(c.servers))
	for a, s := range c.servers {
		if s.valid {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, a := range addrs {
		cr.DNSValidity = append(cr.DNSValidity, Interval{Server: a.String(), Via: ViaRA, From: c.servers[a].from})
	}
	for _, a := range c.dhcpDNS {
		cr.DNSValidity = append(cr.DNSValidity, Interval{Server: a.String(), Via: ViaDHCPv6, From: c.dhcpSince[a]})
	}
	slices.SortStableFunc(cr.DNSValidity, func(a, b Interval) int { return a.From.Compare(b.From) })
	slices.SortStableFunc(cr.Timeline, func(a, b Event) int { return a.Time.Compare(b.Time) })
}

func reportRouter(rt *router, start, now time.Time) Router {
	find := rt.find.clone()
	finishRouter(rt, start, now, &find)
	out := Router{
		MAC: rt.mac.String(), Vendor: wire.Vendor(rt.mac), LinkLocal: addrString(rt.ll),
		RAs: rt.ras, Unsolicited: rt.unsolicited, Solicited: rt.solicited, Unicast: rt.unicast,
		FirstSeen: rt.first, LastSeen: rt.last, LastRA: rt.lastRA,
		Findings: sortFindings(find.findings()),
		Checked:  find.checkedIDs(),
	}
	if rt.gapCount > 0 {
		out.Intervals = IntervalStats{Count: rt.gapCount, MinSeconds: rt.gapMin.Seconds(),
			MaxSeconds: rt.gapMax.Seconds(), MeanSeconds: (rt.gapSum / time.Duration(rt.gapCount)).Seconds()}
	}
	return out
}

// sortFindings orders findings by time, then id.
func sortFindings(f []Finding) []Finding {
	slices.SortStableFunc(f, func(a, b Finding) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return f
}
