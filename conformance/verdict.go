package conformance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// linkState is what verdicts need to know about the whole link.
type linkState struct {
	// replies counts DHCPv6 Replies seen to anyone.
	replies int
	// routers counts hosts seen sending RAs.
	routers int
	// byMAC are those routers, by MAC address.
	byMAC map[wire.MAC]*router
}

// verdictResult is a client's verdict with its explanation.
type verdictResult struct {
	verdict   Verdict
	lostAt    *time.Time
	reason    string
	settle    string
	evidence  []Evidence
	knowledge []Knowledge
	// sources are the channels through which the client holds valid DNS
	// (dns-ok only).
	sources []string
	// unproven are servers the client queried without an answer that
	// are not validly offered to it: no evidence of valid DNS.
	unproven []netip.Addr
	// ra is the client's RA-learned servers as evaluated.
	ra []raServer
	// via is the channel the dns-ok evidence came through (ViaRA,
	// ViaDHCPv6), "" when neither (a server learned before the capture).
	via string
	// lost is the RA-learned server whose end made the verdict dns-lost,
	// and lostRS whether the client sent an RS before it ended.
	lost   *raServer
	lostRS bool
}

// heldServers returns the IPv6 servers valid for the client in v: its
// valid RA-learned servers and its DHCPv6-learned ones.
func (c *client) heldServers(v *verdictResult) []netip.Addr {
	var out []netip.Addr
	for _, s := range v.ra {
		if s.valid {
			out = append(out, s.s.addr)
		}
	}
	for _, a := range c.dhcpDNS {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// unanswered reports whether the queries of u count as unanswered at now:
// none was answered, and there were several or the one is older than
// dnsAnswerWait (check C7).
func unanswered(u *DNSUse, now time.Time) bool {
	return u.Answers == 0 && (u.Queries > 1 || now.Sub(u.Last) >= dnsAnswerWait)
}

// heldValid reports whether server a, which the client queried (u), is
// validly offered to it at now, by the RFC rules and by what client
// knowledge says it keeps (ra); a client that queried a server after
// knowledge says it dropped it evidently still holds it.
func (c *client) heldValid(a netip.Addr, u *DNSUse, now time.Time, ra []raServer) bool {
	if a.Is4() {
		return false
	}
	rv := raOf(ra, a)
	if rv != nil && rv.valid {
		// Valid by what the client is known or seen to keep (per
		// router, F15; Apple ignoring router lifetime 0 RAs, F7).
		return true
	}
	if !c.validAt(a, now) {
		return false
	}
	if slices.Contains(c.dhcpDNS, a) {
		return true
	}
	return rv == nil || rv.ignored || u.Last.After(rv.end.Add(staleGrace))
}

// dnsSources returns the channels through which the client holds valid
// DNS at now: RA when a valid RDNSS reached it and it is known to take
// RDNSS (not from an assumed RA) or queried that server; DHCPv6 when a
// Reply to its own request gave DNS it holds, unless knowledge says its
// DHCPv6 DNS is not applied and it never queried those servers.
func (c *client) dnsSources(ra []raServer, prof *profile) []string {
	rdnss := unknown
	if prof != nil {
		rdnss = prof.rdnss
	}
	var out []string
	for _, s := range ra {
		_, queried := c.dns[s.s.addr]
		if s.valid && ((rdnss == yes && !s.s.assumed) || (rdnss != no && queried)) {
			out = append(out, ViaRA)
			break
		}
	}
	if c.sentDHCPv6Client && len(c.dhcpDNS) > 0 && c.dhcpEv != nil {
		ok := prof == nil || !prof.dhcpv6DNSUnseen
		for _, a := range c.dhcpDNS {
			if _, queried := c.dns[a]; queried {
				ok = true
			}
		}
		if ok {
			out = append(out, ViaDHCPv6)
		}
	}
	return out
}

// raServer is one RA-learned server as a client holds it at the
// evaluation time, under the rules its known behaviour selects.
type raServer struct {
	s       *serverState
	valid   bool
	end     time.Time
	why     lossCause // for ended servers: how it ended
	whyEv   Evidence
	ignored bool // never valid for this client (Android, lifetime < 120 s)
}

// raView evaluates the client's RA-learned servers at now.
func (c *client) raView(now time.Time, prof *profile) []raServer {
	addrs := make([]netip.Addr, 0, len(c.servers))
	for a := range c.servers {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	var out []raServer
	for _, a := range addrs {
		s := c.servers[a]
		v := raServer{s: s, valid: s.rfcValidAt(now)}
		switch {
		case !v.valid && s.valid: // expires exactly now
			v.end, v.why, v.whyEv = s.expires, lossExpired, s.last
		case !v.valid:
			v.end, v.why, v.whyEv = s.ended, s.endReason, s.endedEv
		}
		if prof != nil && prof.minRDNSSLifetime > 0 {
			if !s.androidEver {
				v.ignored, v.valid = true, false
			} else if v.valid && !s.androidValid {
				v.valid, v.end, v.why, v.whyEv = false, s.last.Time, lossWithdrawn, s.last
			} else if v.valid && !s.androidExpires.IsZero() && !s.androidExpires.After(now) {
				v.valid, v.end, v.why, v.whyEv = false, s.androidExpires, lossExpired, s.last
			}
		}
		if prof != nil && prof.ignoreRL0 {
			// Only RAs with a non-zero router lifetime count.
			v = raServer{s: s, valid: s.nzValid && (s.nzExpires.IsZero() || s.nzExpires.After(now))}
			switch {
			case !s.nzEver:
				v.ignored = true
			case !v.valid && s.nzValid:
				v.end, v.why, v.whyEv = s.nzExpires, lossExpired, s.last
			case !v.valid:
				v.end, v.why, v.whyEv = s.nzEnded, lossWithdrawn, s.nzEndedEv
			}
			if prof.replaceOnRA && v.valid && !s.nzOmitted.IsZero() {
				v.valid, v.end, v.why, v.whyEv = false, s.nzOmitted, lossOmitted, s.nzOmittedEv
			}
		} else if prof != nil && prof.replaceOnRA {
			v = perRouterView(s, now, true)
		} else if drops := prof == nil && c.dropsOnOmission(); drops || c.perRouter != nil {
			v = perRouterView(s, now, drops)
		}
		out = append(out, v)
	}
	return out
}

// unsettledUse is a client's use of a server that an RA omitted after
// its last query.
type unsettledUse struct {
	use     *DNSUse
	omitted Evidence
}

// perRouterView evaluates server s at now for a client that keeps RDNSS
// servers per router: the server is valid while any router's offer of it
// runs; otherwise it ended when the last of those offers did (withdrawn,
// expired, or, with omission, left out of that router's next RA, as by a
// client that keeps each router's last RA whole: dhcpcd).
func perRouterView(s *serverState, now time.Time, omission bool) raServer {
	v := raServer{s: s}
	for _, o := range s.byRouter {
		end, why, whyEv := o.ended, lossWithdrawn, o.endedEv
		switch {
		case o.valid && omission && !o.omitted.IsZero():
			end, why, whyEv = o.omitted, lossOmitted, o.omittedEv
		case o.runningAt(now):
			v.valid = true
		case o.valid:
			end, why, whyEv = o.expires, lossExpired, o.last
		}
		if !v.valid && end.After(v.end) {
			v.end, v.why, v.whyEv = end, why, whyEv
		}
	}
	if v.valid {
		v.end, v.why, v.whyEv = time.Time{}, "", Evidence{}
	}
	return v
}

// pending returns the client's last DHCPv6 transaction if it is an
// unanswered Information-Request or Solicit started after the last
// Reply, and whether the client is visibly waiting on it (retransmitted,
// or unanswered for over 2 s).
func (c *client) pending(now time.Time) (*transaction, bool) {
	if len(c.txs) == 0 {
		return nil, false
	}
	tx := c.txs[len(c.txs)-1]
	if tx.answered || (tx.typ != wire.DHCPv6InfoRequest && tx.typ != wire.DHCPv6Solicit) || len(tx.sends) == 0 {
		return nil, false
	}
	last := tx.sends[len(tx.sends)-1]
	return tx, tx.count >= 2 || now.Sub(last.Time) > 2*time.Second
}

// evaluate decides the client's verdict at now (issue rules: dns-ok only on
// positive evidence through a channel the client is seen to use).
func (c *client) evaluate(now time.Time, link linkState) verdictResult {
	v := c.decide(now, link)
	if v.verdict == VerdictDNSOK {
		prof := identify(c)
		v.sources = c.dnsSources(c.raView(now, prof), prof)
	}
	if len(v.unproven) > 0 && v.verdict != VerdictDNSOK {
		v.reason += fmt.Sprintf("; its queries to %s went unanswered and it holds no valid offer of them now, so they do not show valid DNS", joinAddrs(v.unproven))
	}
	if v.verdict != VerdictDNSOK {
		if v4 := c.ipv4DNS(); len(v4) > 0 {
			v.reason += fmt.Sprintf("; it resolves names through IPv4 server(s) %s: on an IPv6-only network it would have no DNS", IPv4Servers(v4))
		}
	}
	// A client silent for long may have left: say so, whatever the verdict.
	if gone := now.Sub(c.last); gone > 10*time.Minute {
		v.reason += "; the client was last seen " + seconds(gone) + " before the end of the observation"
	}
	return v
}

// decide is evaluate without the absence note.
func (c *client) decide(now time.Time, link linkState) verdictResult {
	linkReplies := link.replies
	var v verdictResult
	prof := identify(c)
	used := false
	useKnowledge := func() {
		if prof != nil && !used {
			used = true
			v.knowledge = append(v.knowledge, prof.knowledge())
		}
	}
	ra := c.raView(now, prof)
	v.ra = ra
	if prof != nil && (prof.minRDNSSLifetime > 0 || prof.replaceOnRA || prof.ignoreRL0) {
		for _, s := range ra {
			if s.ignored || s.why == lossOmitted || s.valid != s.s.rfcValidAt(now) {
				useKnowledge()
			}
		}
	}
	if c.perRouter != nil && (prof == nil || !prof.replaceOnRA) {
		for _, s := range ra {
			if s.valid != s.s.rfcValidAt(now) {
				v.knowledge = append(v.knowledge, Knowledge{Client: seenHere, Source: seenHere,
					Basis:     fmt.Sprintf("DNS query %s to a server after another router withdrew it while the offering router's offer still ran", pkt(c.perRouter.Packet)),
					Behaviour: "keeps RDNSS servers per router: one router's lifetime 0 does not remove another router's offer (F15)"})
				break
			}
		}
	}
	if k := c.omissionKnowledge(); k != nil && prof == nil {
		v.knowledge = append(v.knowledge, *k)
	}
	tx, waiting := c.pending(now)
	waitNote := ""
	if waiting {
		what := "Information-Request(s)"
		if tx.typ == wire.DHCPv6Solicit {
			what = "Solicit(s)"
		}
		waitNote = fmt.Sprintf("%d %s since %s got no Reply", tx.count, what, stamp(tx.sends[0].Time))
		switch {
		case linkReplies > 0:
			waitNote += " (F9)"
		case c.counts.RAsReceived > 0 && !c.sawO && !c.sawM:
			// No DHCPv6 is announced: the silence is no loss (not F9)
			// and no broken promise (not F10).
			waitNote += "; the RAs that reached it set neither O nor M, so no DHCPv6 service is announced, and no Reply was seen on the link"
		default:
			waitNote += "; no DHCPv6 Reply was seen on the link at all (F9, or F10 if there is no server)"
		}
		if tx.discarded {
			waitNote = fmt.Sprintf("%d %s since %s got no Reply the client accepted (N1)", tx.count, what, stamp(tx.sends[0].Time))
		}
	}
	rsOf := func(s *serverState) bool { return c.rsBetween(s.last.Time, s.end()) }

	// 1. It queried a server. The query shows it holds the server; it
	// shows valid DNS when the server is validly offered to it now (then
	// even unanswered: the client holds valid configuration, and the
	// unanswered queries are a C7 finding said in the reason), or when
	// answers came back (DNS demonstrably works through a server learned
	// before the capture, configured, or kept stale). Unanswered queries
	// to a server not validly offered prove nothing (SCHEMA.md).
	// The strongest use is reported: answered and valid, then answered,
	// then valid; the most recent among equals.
	var lastQ *DNSUse
	var lastQAddr netip.Addr
	lastValid, lastRank := false, 0
	var unsettled map[netip.Addr]unsettledUse // few clients have any
	for _, a := range c.dnsOrder {
		if a.Is4() {
			continue // IPv4 DNS is no evidence: Client.IPv4DNS shows it.
		}
		u := c.dns[a]
		valid := c.heldValid(a, u, now, ra)
		// A query before an RA that omitted the server shows nothing
		// about now for a client whose treatment of omissions is
		// unknown (F6).
		if s, ok := c.servers[a]; ok && valid && prof == nil && !slices.Contains(c.dhcpDNS, a) {
			if om, ok := c.unsettledOmission(s, u.Last.Add(-staleGrace)); ok {
				if unsettled == nil {
					unsettled = make(map[netip.Addr]unsettledUse)
				}
				unsettled[a] = unsettledUse{use: u, omitted: om}
				continue
			}
		}
		if !valid && u.Answers == 0 {
			v.unproven = append(v.unproven, a)
			continue
		}
		// Answered queries sent while the offer was valid, before it
		// ended, show nothing about now: the client may have dropped
		// the server when its lifetime ran out (F1, F15). Only queries
		// after the end (kept stale, C8) or to a server never offered
		// show that it still holds it.
		if s, ok := c.servers[a]; ok && !valid && u.Answers > 0 && !slices.Contains(c.dhcpDNS, a) {
			if end := s.end(); !end.IsZero() && end.Add(staleGrace).After(u.Last) {
				continue
			}
		}
		if gone, ok := c.dhcpGone[a]; ok && !valid && gone.Add(staleGrace).After(u.Last) {
			continue // Likewise for a server a DHCPv6 Reply removed.
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
	if lastQ != nil {
		v.verdict = VerdictDNSOK
		v.via = c.viaOf(lastQAddr, ra)
		how := c.describeHold(lastQAddr, ra)
		v.reason = fmt.Sprintf("queried %s %d time(s) (%d answered), last at %s; %s", lastQAddr, lastQ.Queries, lastQ.Answers, stamp(lastQ.Last), how)
		switch {
		case unanswered(lastQ, now):
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
		if waiting {
			v.reason += "; its " + waitNote
		}
		v.evidence = append(v.evidence, Evidence{Packet: lastQ.LastPacket, Time: lastQ.Last, Note: "DNS query to " + lastQAddr.String()})
		return v
	}

	// 2. DHCPv6 gave it DNS in answer to its own request.
	dhcpOK := c.sentDHCPv6Client && len(c.dhcpDNS) > 0 && c.dhcpEv != nil
	if dhcpOK && prof != nil && prof.dhcpv6DNSUnseen {
		useKnowledge()
		dhcpOK = false
	}
	if dhcpOK {
		v.verdict = VerdictDNSOK
		v.via = ViaDHCPv6
		v.reason = fmt.Sprintf("DHCPv6 Reply %s answered its request with DNS %s", pkt(c.dhcpEv.Packet), joinAddrs(c.dhcpDNS))
		if waiting {
			v.reason += "; its refresh is pending: " + waitNote
		}
		v.evidence = append(v.evidence, Evidence{Packet: c.dhcpEv.Packet, Time: c.dhcpEv.Time, Note: "DHCPv6 Reply with DNS"})
		return v
	}

	// 3. RA offers valid now.
	var validNow, assumedNow []raServer
	for _, s := range ra {
		if s.valid && s.s.assumed {
			assumedNow = append(assumedNow, s)
		} else if s.valid {
			validNow = append(validNow, s)
		}
	}
	rdnss := unknown
	if prof != nil {
		rdnss = prof.rdnss
	}
	if len(validNow) > 0 {
		s := validNow[0]
		offer := fmt.Sprintf("RDNSS %s valid %s (RA %s, %s)", s.s.addr, until(s.s.expires), pkt(s.s.last.Packet), s.s.reached)
		v.evidence = append(v.evidence, Evidence{Packet: s.s.last.Packet, Time: s.s.last.Time, Note: "RA with RDNSS " + s.s.addr.String()})
		switch rdnss {
		case yes:
			useKnowledge()
			v.verdict = VerdictDNSOK
			v.via = ViaRA
			v.reason = offer + "; " + prof.name + " takes DNS from RDNSS"
			if waiting {
				v.reason += " (its " + waitNote + ")"
			}
			return v
		case unknown:
			v.verdict = VerdictInconclusive
			if un, ok := unsettled[s.s.addr]; ok {
				v.reason = fmt.Sprintf("%s, and it queried it (last %s), but RA %s from the same router came without it after that query: clients that store each router's last RA whole (dhcpcd, Apple) drop it at once (F6), others keep it until its lifetime ends, and its queries do not show yet which this client is",
					offer, pkt(un.use.LastPacket), pkt(un.omitted.Packet))
				v.settle = fmt.Sprintf("a DNS query from it to %s after RA %s (it keeps the server), or %d such RAs without one (it drops it)", s.s.addr, pkt(un.omitted.Packet), minSilentOmissions)
				v.evidence = append(v.evidence, un.omitted, Evidence{Packet: un.use.LastPacket, Time: un.use.Last, Note: "last DNS query to " + s.s.addr.String()})
				return v
			}
			if waiting {
				v.reason = offer + ", but it is visibly still waiting for DHCPv6: " + waitNote + "; whether it uses RDNSS cannot be seen"
				v.settle = "a DNS query from it to " + s.s.addr.String() + ", or a DHCPv6 Reply to its Information-Request"
			} else {
				v.reason = offer + ", but no DNS query was seen and whether this client uses RDNSS cannot be told from the wire (Windows before 10 1703 and DHCPv6-only stacks ignore it, F12)"
				v.settle = "a DNS query from it to " + s.s.addr.String() + ", or identifying the client (DHCPv6 ORO or Vendor Class)"
			}
			return v
		}
		useKnowledge() // rdnss == no: the offer does not count.
		v.evidence = nil
	}
	if len(assumedNow) > 0 && rdnss != no {
		s := assumedNow[0]
		v.verdict = VerdictInconclusive
		v.reason = fmt.Sprintf("the only RDNSS offer (%s, RA %s at %s) came before the client's first packet: it holds it only if it was already on the link", s.s.addr, pkt(s.s.last.Packet), stamp(s.s.last.Time))
		v.settle = "an RA after the client appeared (for example the answer to its RS), or a DNS query from it"
		v.evidence = append(v.evidence, Evidence{Packet: s.s.last.Packet, Time: s.s.last.Time, Note: "RA before the client appeared"})
		return v
	}

	// 4. Nothing valid now: lost, or never had it.
	var lost *raServer
	if rdnss != no {
		for i := range ra {
			s := &ra[i]
			if s.ignored || s.valid || s.end.IsZero() || s.s.assumed {
				continue
			}
			if lost == nil || s.end.After(lost.end) {
				lost = s
			}
		}
	}
	hadDHCP := c.dhcpLost != nil && c.sentDHCPv6Client && !(prof != nil && prof.dhcpv6DNSUnseen)
	if lost != nil {
		v.verdict = VerdictDNSLost
		at := lost.end
		v.lostAt = &at
		v.lost, v.lostRS = lost, rsOf(lost.s)
		v.reason = c.lossReason(lost, v.lostRS, link)
		v.evidence = append(v.evidence, Evidence{Packet: lost.s.last.Packet, Time: lost.s.last.Time, Note: "last RA with RDNSS " + lost.s.addr.String()})
		if lost.whyEv.Packet != 0 && lost.whyEv.Packet != lost.s.last.Packet {
			v.evidence = append(v.evidence, lost.whyEv)
		}
		if waiting {
			v.reason += "; its " + waitNote
		}
		return v
	}
	if hadDHCP {
		v.verdict = VerdictDNSLost
		at := c.dhcpLost.Time
		v.lostAt = &at
		v.reason = c.dhcpLost.Note
		if waiting {
			v.reason += "; its " + waitNote
		}
		v.evidence = append(v.evidence, *c.dhcpLost)
		return v
	}
	noRDNSS := !c.raHadRDNSS()
	switch {
	case waiting:
		v.verdict = VerdictNoDNS
		v.reason = waitNote
		switch {
		case noRDNSS && c.counts.RAsReceived > 0:
			v.reason += "; the RAs that reached it carry no RDNSS"
		case rdnss == no && c.raHadRDNSS() && linkReplies == 0:
			v.reason += "; DNS is offered only by RDNSS, and " + prof.name + " takes no DNS from RDNSS (F12)"
		case rdnss == no && len(validNow) > 0:
			v.reason += "; " + prof.name + " takes no DNS from the RDNSS the RAs carry (F12)"
		}
		v.evidence = append(v.evidence, tx.sends...)
		if len(v.evidence) > maxEvidence {
			v.evidence = v.evidence[:maxEvidence]
		}
		return v
	case c.lastReply != nil && c.sentDHCPv6Client:
		v.verdict = VerdictNoDNS
		v.reason = fmt.Sprintf("DHCPv6 Reply %s to its request carried no DNS servers", pkt(c.lastReply.Packet))
		if len(c.dhcpDNS) > 0 && c.dhcpEv != nil && prof != nil && prof.dhcpv6DNSUnseen {
			v.reason = fmt.Sprintf("DHCPv6 Reply %s gave it DNS %s, but %s is known not to apply DNS from DHCPv6 and it never queried those servers", pkt(c.dhcpEv.Packet), joinAddrs(c.dhcpDNS), prof.name)
		}
		if noRDNSS {
			v.reason += "; the RAs carry no RDNSS (F11)"
		} else if prof != nil && prof.ignoreRL0 && rdnssOnlyRL0(ra) {
			v.reason += "; the RAs that carry RDNSS have router lifetime 0, and " + prof.name + " ignores such an RA entirely, its RDNSS too (F7)"
		} else if rdnss == no {
			v.reason += "; " + prof.name + " ignores the RDNSS the RAs carry (F12)"
		}
		v.evidence = append(v.evidence, *c.lastReply)
		return v
	case c.counts.RAsReceived > 0:
		v.verdict = VerdictNoDNS
		v.evidence = append(v.evidence, c.lastRA)
		switch {
		case !noRDNSS && rdnss == no:
			v.reason = "the RAs carry RDNSS but " + prof.name + " ignores RDNSS, and it got no DNS by DHCPv6 (F12)"
		case !noRDNSS && prof != nil && prof.ignoreRL0 && rdnssOnlyRL0(ra):
			v.reason = "the RAs that carry RDNSS have router lifetime 0, and " + prof.name + " ignores such an RA entirely, its RDNSS too (F7)"
		case !noRDNSS && prof != nil && prof.minRDNSSLifetime > 0:
			v.reason = fmt.Sprintf("the RAs carry RDNSS only with lifetimes below %d s, which %s ignores (F5)", prof.minRDNSSLifetime, prof.name)
		case c.sentDHCPv6Client:
			v.reason = "RAs carry no RDNSS and its DHCPv6 exchange gave no DNS (F11)"
		case c.sawO:
			v.reason = "RAs carry no RDNSS and the client sent no Information-Request although O=1 (F11)"
		default:
			v.reason = "RAs carry no RDNSS and set neither O nor M, and the client sent no Information-Request (F11)"
		}
		return v
	case c.counts.RS > 0 && c.counts.DAD > 0:
		v.verdict = VerdictNoDNS
		v.reason = fmt.Sprintf("it joined the link (DAD) and sent %d RS, but no RA reached it (F3)", c.counts.RS)
		if link.routers == 0 {
			v.reason = fmt.Sprintf("it joined the link (DAD) and sent %d RS, but no RA was seen on the link at all (no router, or RAs filtered)", c.counts.RS)
		}
		v.evidence = append(v.evidence, c.rs[len(c.rs)-1])
		return v
	}
	if seen := now.Sub(c.first); link.routers == 0 && c.usedIPv4DNS() && (c.counts.RS > 0 || seen >= maxRtrAdvIntervalMax) {
		v.verdict = VerdictNoDNS
		v.reason = fmt.Sprintf("no IPv6 router was seen on the link in the %s observed (longer than any RA interval, or after its RS) and no DHCPv6 Reply reached it", seconds(seen))
		return v
	}
	v.verdict = VerdictInconclusive
	v.reason = fmt.Sprintf("no RA or DHCPv6 Reply reached it and it sent no IPv6 DNS query during the %s observed", seconds(now.Sub(c.first)))
	v.settle = "a longer capture that includes an RA (unsolicited RAs may be up to MaxRtrAdvInterval apart) or its RS and the answer, or a DNS query from it"
	return v
}

// maxRtrAdvIntervalMax is the largest MaxRtrAdvInterval (RFC 4861
// §6.2.1): a link silent for longer has no advertising router.
const maxRtrAdvIntervalMax = 1800 * time.Second

// end returns when s stopped being valid, zero if it has not.
func (s *serverState) end() time.Time {
	if !s.ended.IsZero() {
		return s.ended
	}
	return s.expires
}

// lossReason explains how an RA-learned server was lost.
func (c *client) lossReason(l *raServer, rs bool, link linkState) string {
	s := l.s
	switch l.why {
	case lossWithdrawn:
		msg := fmt.Sprintf("RDNSS %s withdrawn (lifetime 0) by RA %s", s.addr, pkt(l.whyEv.Packet))
		if l.whyEv.Packet == s.last.Packet && s.router != (wire.MAC{}) {
			msg += " from " + s.router.String()
		}
		msg += " and no other server offered"
		if s.withdrawnFrom != (wire.MAC{}) {
			msg += "; it was withdrawn by another router than the one that offered it (" + s.withdrawnFrom.String() + "): on a client that keeps servers by address, one router's lifetime 0 removes a server learned from another (F15)"
		}
		return msg
	case lossOmitted:
		return fmt.Sprintf("RA %s from the same router came without RDNSS %s, and this client drops DNS at once (F6)", pkt(l.whyEv.Packet), s.addr)
	}
	after := l.end.Sub(s.last.Time)
	msg := fmt.Sprintf("RDNSS %s expired %s after the last RA that reached it (%s, lifetime %s)", s.addr, seconds(after), pkt(s.last.Packet), lifetime(s.lastLifetime))
	if cause := gapCause(link.byMAC[s.router], c.mac, s.last.Time, l.end, s.lastLifetime); cause != "" {
		msg += "; " + cause
	}
	if rs {
		msg += "; its RS got no RA carrying it (N3)"
	} else {
		msg += "; it sent no RS before it ran out (C9)"
	}
	return msg
}

// rdnssOnlyRL0 reports whether every RA-learned server in ra is ignored
// because it came only in RAs with router lifetime 0.
func rdnssOnlyRL0(ra []raServer) bool {
	for _, s := range ra {
		if !s.ignored || s.s.assumed {
			return false
		}
	}
	return len(ra) > 0
}

// raOf returns the view of RA-learned server a, nil if none.
func raOf(ra []raServer, a netip.Addr) *raServer {
	for i := range ra {
		if ra[i].s.addr == a {
			return &ra[i]
		}
	}
	return nil
}

// viaOf returns the channel through which the client holds queried
// server a: ViaRA for a valid RDNSS, ViaDHCPv6 for a DHCPv6-learned one,
// "" otherwise.
func (c *client) viaOf(a netip.Addr, ra []raServer) string {
	if s := raOf(ra, a); s != nil && s.valid {
		return ViaRA
	}
	if slices.Contains(c.dhcpDNS, a) {
		return ViaDHCPv6
	}
	return ""
}

// describeHold says how the client holds a queried server.
func (c *client) describeHold(a netip.Addr, ra []raServer) string {
	if a.Is4() {
		return "an IPv4 server (outside what the IPv6 observer tracks)"
	}
	for _, s := range ra {
		if s.s.addr == a && s.valid {
			return fmt.Sprintf("it holds it from RDNSS valid %s (RA %s)", until(s.s.expires), pkt(s.s.last.Packet))
		}
	}
	if slices.Contains(c.dhcpDNS, a) && c.dhcpEv != nil {
		return "it holds it from DHCPv6 Reply " + pkt(c.dhcpEv.Packet)
	}
	if !c.offered(a) {
		return "no offer of it was seen (learned before the capture, or configured)"
	}
	if s, ok := c.servers[a]; ok && s.endReason == lossExpired {
		if fe, ok := s.fragmentedOnly(); ok {
			return "its offer expired and only fragmented RAs offered it since (last " + pkt(fe.Packet) + "), yet it still uses it: it evidently accepts fragmented Neighbor Discovery, which RFC 6980 §5 forbids (F13, C8)"
		}
	}
	return "its offer ended but it still uses it (stale, C8)"
}

// raHadRDNSS reports whether any RA that reached the client carried a
// non-withdrawn RDNSS.
func (c *client) raHadRDNSS() bool {
	return c.raHadDNS
}

// until formats an expiry time.
func until(t time.Time) string {
	if t.IsZero() {
		return "indefinitely"
	}
	return "until " + stamp(t)
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
