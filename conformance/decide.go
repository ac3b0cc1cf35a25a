package conformance

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// decision is the state of one client's verdict while decide works
// through its stages, strongest evidence first: 1. a DNS query
// (byQuery), 2. DHCPv6 DNS in answer to its request (byDHCPv6), 3. an RA
// offer valid now (byRAOffer), 4. nothing valid now: lost (byLoss) or
// never had it (never).
type decision struct {
	c    *client
	now  time.Time
	link linkState
	prof *profile
	ra   []raServer
	v    verdictResult
	// used reports that prof's knowledge is in v already.
	used bool
	// tx is the DHCPv6 transaction still waiting for a Reply, when
	// waiting; waitNote says so.
	tx       *transaction
	waiting  bool
	waitNote string
	// unsettled are queries to servers an RA omitted since (F6).
	unsettled map[netip.Addr]unsettledUse
	// rdnss is whether the client takes DNS from RDNSS.
	rdnss tri
	// validNow and assumedNow are the RA offers valid now, seen after
	// the client appeared and assumed from before.
	validNow, assumedNow []raServer
}

// decide is evaluate without the absence note.
func (c *client) decide(now time.Time, link linkState) verdictResult {
	d := &decision{c: c, now: now, link: link, prof: identify(c), rdnss: unknown}
	d.ra = c.raView(now, d.prof)
	d.v.ra = d.ra
	if d.prof != nil {
		d.rdnss = d.prof.rdnss
	}
	d.noteKnowledge()
	d.noteWaiting()
	if d.byQuery() || d.byDHCPv6() || d.byRAOffer() || d.byLoss() {
		return d.v
	}
	d.never()
	return d.v
}

// useKnowledge adds the client's profile to the verdict, once.
func (d *decision) useKnowledge() {
	if d.prof != nil && !d.used {
		d.used = true
		d.v.knowledge = append(d.v.knowledge, d.prof.knowledge())
	}
}

// noteKnowledge adds what the verdict rests on of the client's profile
// and of what this capture showed of it (F15, F6).
func (d *decision) noteKnowledge() {
	c, prof, v := d.c, d.prof, &d.v
	if prof != nil && (prof.minRDNSSLifetime > 0 || prof.replaceOnRA || prof.ignoreRL0) {
		for _, s := range d.ra {
			if s.ignored || s.why == lossOmitted || s.valid != s.s.rfcValidAt(d.now) {
				d.useKnowledge()
			}
		}
	}
	if c.perRouter != nil && (prof == nil || !prof.replaceOnRA) {
		for _, s := range d.ra {
			if s.valid != s.s.rfcValidAt(d.now) {
				v.knowledge = append(v.knowledge, Knowledge{Client: seenHere, Source: seenHere,
					Basis: fmt.Sprintf("DNS query %s to a server after another router withdrew it while the offering router's offer still ran",
						pkt(c.perRouter.Packet)),
					Behaviour: "keeps RDNSS servers per router: one router's lifetime 0 does not remove another router's offer (F15)"})
				break
			}
		}
	}
	if k := c.omissionKnowledge(); k != nil && prof == nil {
		v.knowledge = append(v.knowledge, *k)
	}
}

// noteWaiting describes a DHCPv6 request still without a Reply.
func (d *decision) noteWaiting() {
	c := d.c
	tx, waiting := c.pending(d.now)
	d.tx, d.waiting = tx, waiting
	if !waiting {
		return
	}
	what := "Information-Request(s)"
	if tx.typ == wire.DHCPv6Solicit {
		what = "Solicit(s)"
	}
	d.waitNote = fmt.Sprintf("%d %s since %s got no Reply", tx.count, what, stamp(tx.sends[0].Time))
	switch {
	case d.link.replies > 0:
		d.waitNote += " (F9)"
	case c.counts.RAsReceived > 0 && !c.sawO && !c.sawM:
		// No DHCPv6 is announced: the silence is no loss (not F9)
		// and no broken promise (not F10).
		d.waitNote += "; the RAs that reached it set neither O nor M, so no DHCPv6 service is announced, and no Reply was seen on the link"
	default:
		d.waitNote += "; no DHCPv6 Reply was seen on the link at all (F9, or F10 if there is no server)"
	}
	if tx.discarded {
		d.waitNote = fmt.Sprintf("%d %s since %s got no Reply the client accepted (N1)",
			tx.count, what, stamp(tx.sends[0].Time))
	}
}

// byQuery is stage 1: it queried a server. The query shows it holds the
// server; it shows valid DNS when the server is validly offered to it now
// (then even unanswered: the client holds valid configuration, and the
// unanswered queries are a C7 finding said in the reason), or when
// answers came back (DNS demonstrably works through a server learned
// before the capture, configured, or kept stale). Unanswered queries to a
// server not validly offered prove nothing (SCHEMA.md).
func (d *decision) byQuery() bool {
	c, v := d.c, &d.v
	lastQ, lastQAddr, lastValid := d.strongestQuery()
	if lastQ == nil {
		return false
	}
	v.verdict = VerdictDNSOK
	v.via = c.viaOf(lastQAddr, d.ra)
	how := c.describeHold(lastQAddr, d.ra)
	v.reason = fmt.Sprintf("queried %s %d time(s) (%d answered), last at %s; %s",
		lastQAddr, lastQ.Queries, lastQ.Answers, stamp(lastQ.Last), how)
	switch {
	case unanswered(lastQ, d.now):
		v.reason += "; queries unanswered: it holds the server but no answer from it was seen (C7)"
	case lastQ.Answers == 0:
		v.reason += "; no answer yet (the query is under " + seconds(dnsAnswerWait) + " old)"
	}
	if !lastValid {
		v.reason += "; the answers show DNS works through it"
	}
	if lastQ.Stale > 0 && c.offered(lastQAddr) {
		v.reason += fmt.Sprintf("; %d stale quer(ies) (C8)", lastQ.Stale)
	}
	if d.waiting {
		v.reason += "; its " + d.waitNote
	}
	v.evidence = append(v.evidence,
		Evidence{Packet: lastQ.LastPacket, Time: lastQ.Last, Note: "DNS query to " + lastQAddr.String()})
	return true
}

// strongestQuery returns the strongest use of an IPv6 DNS server that
// shows the client holds DNS now: answered and valid, then answered,
// then valid; the most recent among equals. It notes the unproven and
// unsettled uses on the way.
func (d *decision) strongestQuery() (*DNSUse, netip.Addr, bool) {
	c := d.c
	var lastQ *DNSUse
	var lastQAddr netip.Addr
	lastValid, lastRank := false, 0
	for _, a := range c.dnsOrder {
		if a.Is4() {
			continue // IPv4 DNS is no evidence: Client.IPv4DNS shows it.
		}
		u := c.dns[a]
		valid := c.heldValid(a, u, d.now, d.ra)
		if !d.showsNow(a, u, valid) {
			continue
		}
		rank := 1
		if u.Answers > 0 {
			rank = 2
			if valid {
				rank = 3
			}
		}
		if lastQ == nil || rank > lastRank || (rank == lastRank && u.Last.After(lastQ.Last)) {
			lastQ, lastQAddr, lastValid, lastRank = u, a, valid, rank
		}
	}
	return lastQ, lastQAddr, lastValid
}

// showsNow reports whether the client's use u of server a shows it holds
// a now; valid is whether a is validly offered to it now.
func (d *decision) showsNow(a netip.Addr, u *DNSUse, valid bool) bool {
	c := d.c
	// A query before an RA that omitted the server shows nothing about
	// now for a client whose treatment of omissions is unknown (F6).
	if s, ok := c.servers[a]; ok && valid && d.prof == nil && !slices.Contains(c.dhcpDNS, a) {
		if om, ok := c.unsettledOmission(s, u.Last.Add(-staleGrace)); ok {
			if d.unsettled == nil {
				d.unsettled = make(map[netip.Addr]unsettledUse) // few clients have any
			}
			d.unsettled[a] = unsettledUse{use: u, omitted: om}
			return false
		}
	}
	if !valid && u.Answers == 0 {
		d.v.unproven = append(d.v.unproven, a)
		return false
	}
	// Answered queries sent while the offer was valid, before it ended,
	// show nothing about now: the client may have dropped the server
	// when its lifetime ran out (F1, F15). Only queries after the end
	// (kept stale, C8) or to a server never offered show that it still
	// holds it.
	if s, ok := c.servers[a]; ok && !valid && u.Answers > 0 && !slices.Contains(c.dhcpDNS, a) {
		if end := s.end(); !end.IsZero() && end.Add(staleGrace).After(u.Last) {
			return false
		}
	}
	if gone, ok := c.dhcpGone[a]; ok && !valid && gone.Add(staleGrace).After(u.Last) {
		return false // Likewise for a server a DHCPv6 Reply removed.
	}
	return true
}

// byDHCPv6 is stage 2: DHCPv6 gave it DNS in answer to its own request.
func (d *decision) byDHCPv6() bool {
	c, v := d.c, &d.v
	dhcpOK := c.sentDHCPv6Client && len(c.dhcpDNS) > 0 && c.dhcpEv != nil
	if dhcpOK && d.prof != nil && d.prof.dhcpv6DNSUnseen {
		d.useKnowledge()
		dhcpOK = false
	}
	if !dhcpOK {
		return false
	}
	v.verdict = VerdictDNSOK
	v.via = ViaDHCPv6
	v.reason = fmt.Sprintf("DHCPv6 Reply %s answered its request with DNS %s",
		pkt(c.dhcpEv.Packet), joinAddrs(c.dhcpDNS))
	if d.waiting {
		v.reason += "; its refresh is pending: " + d.waitNote
	}
	v.evidence = append(v.evidence,
		Evidence{Packet: c.dhcpEv.Packet, Time: c.dhcpEv.Time, Note: "DHCPv6 Reply with DNS"})
	return true
}

// byRAOffer is stage 3: RA offers valid now.
func (d *decision) byRAOffer() bool {
	v := &d.v
	for _, s := range d.ra {
		if s.valid && s.s.assumed {
			d.assumedNow = append(d.assumedNow, s)
		} else if s.valid {
			d.validNow = append(d.validNow, s)
		}
	}
	if len(d.validNow) > 0 {
		s := d.validNow[0]
		offer := fmt.Sprintf("RDNSS %s valid %s (RA %s, %s)", s.s.addr, until(s.s.expires), pkt(s.s.last.Packet),
			s.s.reached)
		v.evidence = append(v.evidence,
			Evidence{Packet: s.s.last.Packet, Time: s.s.last.Time, Note: "RA with RDNSS " + s.s.addr.String()})
		switch d.rdnss {
		case yes:
			d.useKnowledge()
			v.verdict = VerdictDNSOK
			v.via = ViaRA
			v.reason = offer + "; " + d.prof.name + " takes DNS from RDNSS"
			if d.waiting {
				v.reason += " (its " + d.waitNote + ")"
			}
			return true
		case unknown:
			d.unknownUse(s, offer)
			return true
		}
		d.useKnowledge() // rdnss == no: the offer does not count.
		v.evidence = nil
	}
	if len(d.assumedNow) > 0 && d.rdnss != no {
		s := d.assumedNow[0]
		v.verdict = VerdictInconclusive
		v.reason = fmt.Sprintf("the only RDNSS offer (%s, RA %s at %s) came before the client's first packet: it holds it only if it was already on the link",
			s.s.addr, pkt(s.s.last.Packet), stamp(s.s.last.Time))
		v.settle = "an RA after the client appeared (for example the answer to its RS), or a DNS query from it"
		v.evidence = append(v.evidence,
			Evidence{Packet: s.s.last.Packet, Time: s.s.last.Time, Note: "RA before the client appeared"})
		return true
	}
	return false
}

// unknownUse is the inconclusive verdict of a valid RDNSS offer s to a
// client of which the wire does not tell whether it uses RDNSS.
func (d *decision) unknownUse(s raServer, offer string) {
	v := &d.v
	v.verdict = VerdictInconclusive
	if un, ok := d.unsettled[s.s.addr]; ok {
		v.reason = fmt.Sprintf("%s, and it queried it (last %s), but RA %s from the same router came without it after that query: clients that store each router's last RA whole (dhcpcd, Apple) drop it at once (F6), others keep it until its lifetime ends, and its queries do not show yet which this client is",
			offer, pkt(un.use.LastPacket), pkt(un.omitted.Packet))
		v.settle = fmt.Sprintf("a DNS query from it to %s after RA %s (it keeps the server), or %d such RAs without one (it drops it)",
			s.s.addr, pkt(un.omitted.Packet), minSilentOmissions)
		v.evidence = append(v.evidence, un.omitted,
			Evidence{Packet: un.use.LastPacket, Time: un.use.Last, Note: "last DNS query to " + s.s.addr.String()})
		return
	}
	if d.waiting {
		v.reason = offer + ", but it is visibly still waiting for DHCPv6: " + d.waitNote +
			"; whether it uses RDNSS cannot be seen"
		v.settle = "a DNS query from it to " + s.s.addr.String() + ", or a DHCPv6 Reply to its Information-Request"
	} else {
		v.reason = offer + ", but no DNS query was seen and whether this client uses RDNSS cannot be told from the wire (Windows before 10 1703 and DHCPv6-only stacks ignore it, F12)"
		v.settle = "a DNS query from it to " + s.s.addr.String() +
			", or identifying the client (DHCPv6 ORO or Vendor Class)"
	}
}

// byLoss is stage 4a: nothing valid now, and it had DNS: by RA (the
// offer that ended last) or by DHCPv6.
func (d *decision) byLoss() bool {
	c, v := d.c, &d.v
	var lost *raServer
	if d.rdnss != no {
		for i := range d.ra {
			s := &d.ra[i]
			if s.ignored || s.valid || s.end.IsZero() || s.s.assumed {
				continue
			}
			if lost == nil || s.end.After(lost.end) {
				lost = s
			}
		}
	}
	if lost != nil {
		v.verdict = VerdictDNSLost
		at := lost.end
		v.lostAt = &at
		v.lost, v.lostRS = lost, c.rsBetween(lost.s.last.Time, lost.s.end())
		v.reason = c.lossReason(lost, v.lostRS, d.link)
		v.evidence = append(v.evidence, Evidence{Packet: lost.s.last.Packet, Time: lost.s.last.Time,
			Note: "last RA with RDNSS " + lost.s.addr.String()})
		if lost.whyEv.Packet != 0 && lost.whyEv.Packet != lost.s.last.Packet {
			v.evidence = append(v.evidence, lost.whyEv)
		}
		if d.waiting {
			v.reason += "; its " + d.waitNote
		}
		return true
	}
	if c.dhcpLost == nil || !c.sentDHCPv6Client || d.prof != nil && d.prof.dhcpv6DNSUnseen {
		return false
	}
	v.verdict = VerdictDNSLost
	at := c.dhcpLost.Time
	v.lostAt = &at
	v.reason = c.dhcpLost.Note
	if d.waiting {
		v.reason += "; its " + d.waitNote
	}
	v.evidence = append(v.evidence, *c.dhcpLost)
	return true
}

// never is stage 4b: nothing valid now, and it never had DNS, or the
// wire cannot tell.
func (d *decision) never() {
	c, v := d.c, &d.v
	switch {
	case d.waiting:
		d.noDNSWaiting()
		return
	case c.lastReply != nil && c.sentDHCPv6Client:
		d.noDNSInReply()
		return
	case c.counts.RAsReceived > 0:
		d.noDNSInRAs()
		return
	case c.counts.RS > 0 && c.counts.DAD > 0:
		v.verdict = VerdictNoDNS
		v.reason = fmt.Sprintf("it joined the link (DAD) and sent %d RS, but no RA reached it (F3)", c.counts.RS)
		if d.link.routers == 0 {
			v.reason = fmt.Sprintf("it joined the link (DAD) and sent %d RS, but no RA was seen on the link at all (no router, or RAs filtered)", c.counts.RS)
		}
		v.evidence = append(v.evidence, c.rs[len(c.rs)-1])
		return
	}
	if seen := d.now.Sub(c.first); d.link.routers == 0 && c.usedIPv4DNS() &&
		(c.counts.RS > 0 || seen >= maxRtrAdvIntervalMax) {
		v.verdict = VerdictNoDNS
		v.reason = fmt.Sprintf("no IPv6 router was seen on the link in the %s observed (longer than any RA interval, or after its RS) and no DHCPv6 Reply reached it", seconds(seen))
		return
	}
	v.verdict = VerdictInconclusive
	v.reason = fmt.Sprintf("no RA or DHCPv6 Reply reached it and it sent no IPv6 DNS query during the %s observed",
		seconds(d.now.Sub(c.first)))
	v.settle = "a longer capture that includes an RA (unsolicited RAs may be up to MaxRtrAdvInterval apart) or its RS and the answer, or a DNS query from it"
}

// noDNSWaiting: its DHCPv6 request is still unanswered.
func (d *decision) noDNSWaiting() {
	c, v, prof := d.c, &d.v, d.prof
	v.verdict = VerdictNoDNS
	v.reason = d.waitNote
	switch {
	case !c.raHadRDNSS() && c.counts.RAsReceived > 0:
		v.reason += "; the RAs that reached it carry no RDNSS"
	case d.rdnss == no && c.raHadRDNSS() && d.link.replies == 0:
		v.reason += "; DNS is offered only by RDNSS, and " + prof.name + " takes no DNS from RDNSS (F12)"
	case d.rdnss == no && len(d.validNow) > 0:
		v.reason += "; " + prof.name + " takes no DNS from the RDNSS the RAs carry (F12)"
	}
	v.evidence = append(v.evidence, d.tx.sends...)
	if len(v.evidence) > maxEvidence {
		v.evidence = v.evidence[:maxEvidence]
	}
}

// noDNSInReply: the DHCPv6 Reply to its request gave it no DNS it uses.
func (d *decision) noDNSInReply() {
	c, v, prof := d.c, &d.v, d.prof
	v.verdict = VerdictNoDNS
	v.reason = fmt.Sprintf("DHCPv6 Reply %s to its request carried no DNS servers", pkt(c.lastReply.Packet))
	if len(c.dhcpDNS) > 0 && c.dhcpEv != nil && prof != nil && prof.dhcpv6DNSUnseen {
		v.reason = fmt.Sprintf("DHCPv6 Reply %s gave it DNS %s, but %s is known not to apply DNS from DHCPv6 and it never queried those servers",
			pkt(c.dhcpEv.Packet), joinAddrs(c.dhcpDNS), prof.name)
	}
	if !c.raHadRDNSS() {
		v.reason += "; the RAs carry no RDNSS (F11)"
	} else if prof != nil && prof.ignoreRL0 && rdnssOnlyRL0(d.ra) {
		v.reason += "; the RAs that carry RDNSS have router lifetime 0, and " + prof.name +
			" ignores such an RA entirely, its RDNSS too (F7)"
	} else if d.rdnss == no {
		v.reason += "; " + prof.name + " ignores the RDNSS the RAs carry (F12)"
	}
	v.evidence = append(v.evidence, *c.lastReply)
}

// noDNSInRAs: RAs reached it, with no RDNSS it uses, and DHCPv6 gave it
// none.
func (d *decision) noDNSInRAs() {
	c, v, prof := d.c, &d.v, d.prof
	noRDNSS := !c.raHadRDNSS()
	v.verdict = VerdictNoDNS
	v.evidence = append(v.evidence, c.lastRA)
	switch {
	case !noRDNSS && d.rdnss == no:
		v.reason = "the RAs carry RDNSS but " + prof.name + " ignores RDNSS, and it got no DNS by DHCPv6 (F12)"
	case !noRDNSS && prof != nil && prof.ignoreRL0 && rdnssOnlyRL0(d.ra):
		v.reason = "the RAs that carry RDNSS have router lifetime 0, and " + prof.name +
			" ignores such an RA entirely, its RDNSS too (F7)"
	case !noRDNSS && prof != nil && prof.minRDNSSLifetime > 0:
		v.reason = fmt.Sprintf("the RAs carry RDNSS only with lifetimes below %d s, which %s ignores (F5)",
			prof.minRDNSSLifetime, prof.name)
	case c.sentDHCPv6Client:
		v.reason = "RAs carry no RDNSS and its DHCPv6 exchange gave no DNS (F11)"
	case c.sawO:
		v.reason = "RAs carry no RDNSS and the client sent no Information-Request although O=1 (F11)"
	default:
		v.reason = "RAs carry no RDNSS and set neither O nor M, and the client sent no Information-Request (F11)"
	}
}
