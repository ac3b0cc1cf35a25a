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
		v.reason += fmt.Sprintf("; its queries to %s went unanswered and it holds no valid offer of them now, so they do not show valid DNS",
			joinAddrs(v.unproven))
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
			msg += "; it was withdrawn by another router than the one that offered it (" + s.withdrawnFrom.String() +
				"): on a client that keeps servers by address, one router's lifetime 0 removes a server learned from another (F15)"
		}
		return msg
	case lossOmitted:
		return fmt.Sprintf("RA %s from the same router came without RDNSS %s, and this client drops DNS at once (F6)",
			pkt(l.whyEv.Packet), s.addr)
	}
	after := l.end.Sub(s.last.Time)
	msg := fmt.Sprintf("RDNSS %s expired %s after the last RA that reached it (%s, lifetime %s)",
		s.addr, seconds(after), pkt(s.last.Packet), lifetime(s.lastLifetime))
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
			return "its offer expired and only fragmented RAs offered it since (last " + pkt(fe.Packet) +
				"), yet it still uses it: it evidently accepts fragmented Neighbor Discovery, which RFC 6980 §5 forbids (F13, C8)"
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
