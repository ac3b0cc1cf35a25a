package conformance

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// This file holds the wire checks of field guide §3. Each check names its
// id (R*, C*, N*), its RFC section, and produces one-line findings.

// allDHCPAgents is All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
var allDHCPAgents = netip.MustParseAddr("ff02::1:2")

// raFinding records a finding of router r about its RA p. (The checks
// take r and p apart, not in one struct: escape analysis is not field
// sensitive, and p, on the caller's stack, must not leak.)
func raFinding(r *router, p *wire.Packet, id, sev, rfc, key, msg string) {
	r.find.add(Finding{ID: id, Severity: sev, Router: r.mac.String(), Time: p.Time, RFC: rfc, Message: msg},
		id+":"+key, ev(p, ""))
}

// checkRA runs the per-RA router checks and reports whether hosts accept
// the RA (RFC 4861 §6.1.2, RFC 6980 §5).
func checkRA(r *router, p *wire.Packet) bool {
	noteRAChecks(r, p.RA)
	accepted := raAccepted(r, p)
	checkRASize(r, p)
	checkRALifetime(r, p)
	checkRARDNSS(r, p)
	checkRAOptions(r, p)
	return accepted
}

// noteRAChecks records which checks this RA exercised.
func noteRAChecks(r *router, ra *wire.RouterAdvertisement) {
	find := &r.find
	find.check("R1", "R4", "R8")
	if len(ra.Options.RDNSS) > 0 {
		find.check("R5")
	}
	if len(ra.Options.DNSSL) > 0 {
		find.check("R6")
	}
	if len(ra.Options.PREF64) > 0 {
		find.check("R7")
	}
	if ra.Options.HasCaptivePortal {
		find.check("R10")
	}
	if ra.RouterLifetime != 0 {
		find.check("R11")
	}
}

// raAccepted checks what makes hosts discard the RA (R1, R8) and reports
// whether they accept it.
func raAccepted(r *router, p *wire.Packet) bool {
	ra := p.RA
	accepted := true
	if p.HopLimit != 255 {
		raFinding(r, p, "R1", SeverityError, "RFC 4861 §6.1.2", "hop",
			fmt.Sprintf("RA with IPv6 hop limit %d, not 255: hosts discard it", p.HopLimit))
		accepted = false
	}
	if !p.Src.IsLinkLocalUnicast() {
		raFinding(r, p, "R1", SeverityError, "RFC 4861 §6.1.2", "src",
			"RA from "+addrString(p.Src)+", not a link-local address: hosts discard it")
		accepted = false
	}
	if p.ICMPCode != 0 {
		raFinding(r, p, "R1", SeverityError, "RFC 4861 §6.1.2", "code",
			fmt.Sprintf("RA with ICMP code %d, not 0: hosts discard it", p.ICMPCode))
		accepted = false
	}
	if ra.Options.ZeroLength || p.ICMPChecksumBad {
		accepted = false // Already a finding from the decoder.
	}
	if p.Fragmented {
		raFinding(r, p, "R8", SeverityError, "RFC 6980 §5", "frag",
			"RA is fragmented: hosts MUST drop fragmented ND (F13)")
		accepted = false
	}
	return accepted
}

// checkRASize checks the RA against the link MTU (R8) and its reserved
// preference (R1).
func checkRASize(r *router, p *wire.Packet) {
	ra := p.RA
	mtu := 1500
	if ra.Options.HasMTU && ra.Options.MTU >= 1280 {
		mtu = int(ra.Options.MTU)
	}
	if p.IPLength > mtu {
		raFinding(r, p, "R8", SeverityError, "RFC 4861 §6.2.3", "size",
			fmt.Sprintf("RA of %d bytes exceeds the link MTU %d: it must be fragmented or split (F13, F6)", p.IPLength, mtu))
	}
	if ra.Preference == 2 {
		raFinding(r, p, "R1", SeverityInfo, "RFC 4191 §2.2", "prf",
			"RA default router preference is the reserved value 10; hosts treat it as medium")
	}
}

// checkRALifetime checks the router lifetime (R4, F8).
func checkRALifetime(r *router, p *wire.Packet) {
	lt := p.RA.RouterLifetime
	switch {
	case lt == 0:
	case lt < 4:
		raFinding(r, p, "R4", SeverityError, "RFC 4861 §6.2.1", "lt-min",
			fmt.Sprintf("router lifetime %d s is below the smallest MaxRtrAdvInterval (4 s)", lt))
	case lt < 180:
		raFinding(r, p, "F8", SeverityWarning, "RFC 4861 §6.2.1", "lt-180",
			fmt.Sprintf("router lifetime %d s is under 180 s: Android 14+ ignores the default route (F8)", lt))
	case lt > 9000:
		raFinding(r, p, "R4", SeverityInfo, "RFC 8319 §4", "lt-9000",
			fmt.Sprintf("router lifetime %d s exceeds RFC 4861's 9000 s (RFC 8319 allows up to 65535 s; older hosts may not)", lt))
	}
}

// checkRARDNSS checks the RDNSS options (R5, F7) and notes the router's
// shortest RDNSS lifetime.
func checkRARDNSS(r *router, p *wire.Packet) {
	lt := p.RA.RouterLifetime
	servers := 0
	for _, o := range p.RA.Options.RDNSS {
		servers += len(o.Servers)
		if lt == 0 && o.Lifetime != 0 {
			raFinding(r, p, "F7", SeverityWarning, "RFC 8106 §5.1", "lt0",
				"RA with router lifetime 0 carries RDNSS: Apple ignores the whole RA and Android never provisions (F7)")
		}
		if o.Lifetime != 0 && o.Lifetime < 120 {
			raFinding(r, p, "R5", SeverityWarning, "RFC 8106 §5.1", "lt120",
				fmt.Sprintf("RDNSS lifetime %d s: Android ignores non-zero lifetimes under 120 s (F5)", o.Lifetime))
		}
		for _, a := range o.Servers {
			if a.IsLinkLocalUnicast() {
				raFinding(r, p, "R5", SeverityInfo, "RFC 8106 §5.1", "ll",
					"RDNSS server "+a.String()+" is link-local: older Android rejects it (F14)")
			}
			if a.IsMulticast() || a.IsUnspecified() || a.IsLoopback() {
				raFinding(r, p, "R5", SeverityError, "RFC 8106 §5.1", "bad",
					"RDNSS server "+a.String()+" is not a unicast address")
			}
		}
		if o.Lifetime != 0 && o.Lifetime != infiniteLifetime && (r.minRDNSS == 0 || o.Lifetime < r.minRDNSS) {
			r.minRDNSS, r.minRDNSSEv = o.Lifetime, ev(p, "")
		}
	}
	if servers > 3 {
		raFinding(r, p, "R5", SeverityInfo, "RFC 8106 §5.3.1", "n",
			fmt.Sprintf("RA carries %d DNS servers: glibc, rdnssd and Android use only 3 (F16)", servers))
	}
}

// checkRAOptions checks PREF64 (R7), the captive portal (R10) and
// whether the RA leaves clients without DNS (R11).
func checkRAOptions(r *router, p *wire.Packet) {
	ra, lt := p.RA, p.RA.RouterLifetime
	for _, o := range ra.Options.PREF64 {
		if o.Lifetime != 0 && lt != 0 && o.Lifetime < uint32(lt) {
			raFinding(r, p, "R7", SeverityWarning, "RFC 8781 §4", "lt",
				fmt.Sprintf("PREF64 %s lifetime %d s is shorter than the router lifetime %d s (F17)",
					o.Prefix, o.Lifetime, lt))
		}
	}
	if ra.Options.HasCaptivePortal {
		u := ra.Options.CaptivePortal
		if u != "urn:ietf:params:capport:unrestricted" && !strings.HasPrefix(strings.ToLower(u), "https://") {
			raFinding(r, p, "R10", SeverityWarning, "RFC 8908 §2", "https",
				fmt.Sprintf("captive portal API URI %q is not https (RFC 8910 §2 carries the RFC 8908 API URI)", u))
		}
	}
	hasDNS := false
	for _, o := range ra.Options.RDNSS {
		hasDNS = hasDNS || (o.Lifetime != 0 && len(o.Servers) > 0)
	}
	if lt != 0 && !hasDNS && !ra.Other && !ra.Managed {
		raFinding(r, p, "R11", SeverityWarning, "RFC 8106 §1", "nodns",
			"RA has no RDNSS and O=0, M=0: clients get no DNS from it (F11, F12)")
	}
}

// checkMulticastGap checks spacing of multicast RAs (R2) and whether a
// gap exceeded the RDNSS lifetime of the RA before it (N2).
func checkMulticastGap(r *router, p *wire.Packet) {
	if len(r.initial) < maxInitialRAs {
		r.initial = append(r.initial, ev(p, ""))
	} else {
		r.laterGaps++
		r.laterMax = max(r.laterMax, p.Time.Sub(r.prevMcast.Time))
	}
	if r.prevMcast != nil {
		r.find.check("R2")
		if r.prevRDNSS != 0 {
			r.find.check("N2")
		}
		gap := p.Time.Sub(r.prevMcast.Time)
		r.gapCount++
		r.gapSum += gap
		if r.gapCount == 1 || gap < r.gapMin {
			r.gapMin = gap
		}
		r.gapMax = max(r.gapMax, gap)
		if gap < minDelayBetweenRAs-100*time.Millisecond && p.RA.RouterLifetime != 0 {
			r.find.add(Finding{ID: "R2", Severity: SeverityWarning, Router: r.mac.String(), Time: p.Time,
				RFC:     "RFC 4861 §6.2.6",
				Message: "multicast RAs only " + seconds(gap) + " apart: MIN_DELAY_BETWEEN_RAS is 3 s"},
				"R2:min", *r.prevMcast, ev(p, ""))
		}
		lt := time.Duration(r.prevRDNSS) * time.Second
		if r.prevRDNSS != 0 && gap > lt && gap-lt < r.grace {
			r.lapses.note(gap-lt, r.prevRDNSS, *r.prevMcast, ev(p, ""))
		} else if r.prevRDNSS != 0 && gap > lt {
			r.find.add(Finding{ID: "N2", Severity: SeverityError, Router: r.mac.String(), Time: p.Time,
				RFC: "RFC 8106 §5.1",
				Message: fmt.Sprintf("%s between multicast RAs %s and %s exceeds the RDNSS lifetime %s: clients that do not re-solicit lose DNS for %s (F1, F2)",
					seconds(gap), pkt(r.prevMcast.Packet), pkt(p.N), lifetime(r.prevRDNSS),
					seconds(gap-time.Duration(r.prevRDNSS)*time.Second))},
				"N2:gap", *r.prevMcast, ev(p, ""))
		}
	}
	e := ev(p, "")
	r.prevMcast = &e
	r.prevRDNSS = minRDNSS(p.RA)
}

// note counts one lapse d of lifetime lt between RAs prev and next.
func (l *rdnssLapses) note(d time.Duration, lt uint32, prev, next Evidence) {
	if l.count == 0 {
		l.first, l.firstEnd, l.lifetime = prev, next, lt
	}
	l.count++
	l.longest = max(l.longest, d)
}

// millis formats a short span in milliseconds.
func millis(d time.Duration) string {
	if d >= 10*time.Second {
		return seconds(d)
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

// minRDNSS returns the smallest non-zero, finite RDNSS lifetime of ra, 0
// when none.
func minRDNSS(ra *wire.RouterAdvertisement) uint32 {
	var m uint32
	for _, o := range ra.Options.RDNSS {
		if o.Lifetime != 0 && o.Lifetime != infiniteLifetime && len(o.Servers) > 0 && (m == 0 || o.Lifetime < m) {
			m = o.Lifetime
		}
	}
	return m
}

// finishRouter runs the router checks that need the whole observation;
// start is when the capture began.
func finishRouter(r *router, start, now time.Time, set *findingSet) {
	rm := r.mac.String()
	checkInitialRAs(r, start, set)
	if r.unsolGaps >= 2 && r.minRDNSS != 0 {
		set.check("R5")
	}
	if r.unsolGaps >= 1 && r.lastParsed != nil && r.lastParsed.RouterLifetime != 0 {
		set.check("R4")
	}
	if r.unsolGaps >= 2 && r.minRDNSS != 0 && time.Duration(r.minRDNSS)*time.Second < 3*r.unsolMax {
		set.add(Finding{ID: "R5", Severity: SeverityWarning, Router: rm, Time: r.minRDNSSEv.Time, RFC: "RFC 8106 §5.1",
			Message: fmt.Sprintf("RDNSS lifetime %s is under 3 × the longest observed interval between unsolicited RAs (%s); it SHOULD be at least 3 × MaxRtrAdvInterval (F5)",
				lifetime(r.minRDNSS), seconds(r.unsolMax))}, "R5:3x", r.minRDNSSEv)
	}
	if r.lastParsed != nil && r.lastParsed.RouterLifetime != 0 && r.unsolGaps >= 1 &&
		time.Duration(r.lastParsed.RouterLifetime)*time.Second < r.unsolMax {
		set.add(Finding{ID: "R4", Severity: SeverityWarning, Router: rm, Time: r.lastRA.Time, RFC: "RFC 4861 §6.2.1",
			Message: fmt.Sprintf("router lifetime %d s is shorter than the longest observed interval between unsolicited RAs (%s): the default route lapses between RAs",
				r.lastParsed.RouterLifetime, seconds(r.unsolMax))}, "R4:gap",
			Evidence{Packet: r.lastRA.Packet, Time: r.lastRA.Time})
	}
	if l := r.lapses; l.count > 0 {
		set.add(Finding{ID: "F5", Severity: SeverityWarning, Router: rm, Time: l.first.Time, RFC: "RFC 8106 §5.1",
			Message: fmt.Sprintf("RDNSS lifetime %s ran out %d time(s) just before the next multicast RA, for up to %s each time (RAs every %s to %s): a client that follows the lifetime exactly loses DNS that long; shorter than the %s outage grace, so not counted as client outages. RFC 8106 §5.1 asks for at least 3 × MaxRtrAdvInterval (F5)",
				lifetime(l.lifetime), l.count, millis(l.longest), seconds(r.gapMin), seconds(r.gapMax),
				seconds(r.grace))},
			"F5:lapse", l.first, l.firstEnd)
	}
	if r.prevMcast != nil && r.prevRDNSS != 0 {
		end := r.prevMcast.Time.Add(time.Duration(r.prevRDNSS) * time.Second)
		if now.After(end) {
			set.add(Finding{ID: "N2", Severity: SeverityError, Router: rm, Time: end, RFC: "RFC 8106 §5.1",
				Message: fmt.Sprintf("no multicast RA for %s after %s: its RDNSS lifetime %s ended at %s (F1, F2)",
					seconds(now.Sub(r.prevMcast.Time)), pkt(r.prevMcast.Packet), lifetime(r.prevRDNSS), stamp(end))},
				"N2:end", *r.prevMcast)
		}
	}
}

// Initial advertisements (RFC 4861 §6.2.4, §10): the first
// MAX_INITIAL_RTR_ADVERTISEMENTS (3) RAs after an interface becomes an
// advertising interface are at most MAX_INITIAL_RTR_ADVERT_INTERVAL (16 s)
// apart. initialTolerance absorbs capture timestamp jitter.
const (
	maxInitialRAs          = 3
	maxInitialRAInterval   = 16 * time.Second
	initialRAIntervalSlack = 500 * time.Millisecond
)

// checkInitialRAs runs the R2 rule on the first three multicast RAs of r,
// when the capture saw r start advertising: it sent DAD before its first
// RA, or it was silent from the capture's start for longer than any later
// interval between its multicast RAs. A router already running when the
// capture began is not judged: its first RAs seen are not its first sent.
func checkInitialRAs(r *router, start time.Time, set *findingSet) {
	if len(r.initial) < maxInitialRAs {
		return
	}
	silence := r.initial[0].Time.Sub(start)
	if !r.sawDAD && (r.laterGaps == 0 || silence <= r.laterMax) {
		return
	}
	set.check("R2")
	for i := 1; i < maxInitialRAs; i++ {
		gap := r.initial[i].Time.Sub(r.initial[i-1].Time)
		if gap > maxInitialRAInterval+initialRAIntervalSlack {
			how := "it sent DAD before its first RA"
			if !r.sawDAD {
				how = "nothing from it for " + seconds(silence) +
					" after the capture began, longer than any later interval (" + seconds(r.laterMax) + ")"
			}
			set.add(Finding{ID: "R2", Severity: SeverityWarning, Router: r.mac.String(), Time: r.initial[i].Time,
				RFC: "RFC 4861 §6.2.4",
				Message: fmt.Sprintf("initial RAs %s and %s are %s apart: the first %d RAs after a router starts should be at most MAX_INITIAL_RTR_ADVERT_INTERVAL 16 s apart (it started during the capture: %s)",
					pkt(r.initial[i-1].Packet), pkt(r.initial[i].Packet), seconds(gap), maxInitialRAs, how)},
				"R2:initial", r.initial[i-1], r.initial[i])
			return
		}
	}
}

// checkConsistency compares the last RAs of several routers (R9).
func checkConsistency(rs []*router, set *findingSet) {
	var base *router
	for _, r := range rs {
		if r.lastParsed == nil {
			continue
		}
		if base == nil {
			base = r
			continue
		}
		a, b := base.lastParsed, r.lastParsed
		var diffs []string
		if a.Managed != b.Managed || a.Other != b.Other {
			diffs = append(diffs, fmt.Sprintf("M/O flags %v/%v vs %v/%v", a.Managed, a.Other, b.Managed, b.Other))
		}
		if a.Options.HasMTU && b.Options.HasMTU && a.Options.MTU != b.Options.MTU {
			diffs = append(diffs, fmt.Sprintf("MTU %d vs %d", a.Options.MTU, b.Options.MTU))
		}
		if sa, sb := rdnssSet(a), rdnssSet(b); !slices.Equal(sa, sb) {
			diffs = append(diffs, fmt.Sprintf("RDNSS [%s] vs [%s]", strings.Join(sa, " "), strings.Join(sb, " ")))
		}
		for _, pa := range a.Options.Prefixes {
			for _, pb := range b.Options.Prefixes {
				if pa.Prefix == pb.Prefix && (pa.Valid != pb.Valid || pa.Preferred != pb.Preferred) {
					diffs = append(diffs, fmt.Sprintf("prefix %s lifetimes %d/%d vs %d/%d", pa.Prefix, pa.Valid,
						pa.Preferred, pb.Valid, pb.Preferred))
				}
			}
		}
		if len(diffs) > 0 {
			set.add(Finding{ID: "R9", Severity: SeverityWarning, Time: r.lastRA.Time, RFC: "RFC 4861 §6.2.7",
				Message: "routers " + base.mac.String() + " and " + r.mac.String() + " disagree: " +
					strings.Join(diffs, "; ") + " (F15)"},
				"R9:"+base.mac.String()+r.mac.String(),
				Evidence{Packet: base.lastRA.Packet, Time: base.lastRA.Time},
				Evidence{Packet: r.lastRA.Packet, Time: r.lastRA.Time})
		}
	}
}

// rdnssSet returns the sorted non-withdrawn RDNSS servers of ra.
func rdnssSet(ra *wire.RouterAdvertisement) []string {
	var out []string
	for _, o := range ra.Options.RDNSS {
		if o.Lifetime == 0 {
			continue
		}
		for _, a := range o.Servers {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkRS runs C1 on a Router Solicitation.
func checkRS(c *client, p *wire.Packet) {
	cm := c.mac.String()
	c.find.check("C1")
	add := func(sev, rfc, key, msg string, e ...Evidence) {
		c.find.add(Finding{ID: "C1", Severity: sev, Client: cm, Time: p.Time, RFC: rfc, Message: msg}, "C1:"+key, e...)
	}
	if p.HopLimit != 255 {
		add(SeverityError, "RFC 4861 §6.1.1", "hop",
			fmt.Sprintf("RS with hop limit %d, not 255: routers discard it", p.HopLimit), ev(p, ""))
	}
	if p.Src.IsUnspecified() && p.RS.Options.HasSourceLLA {
		add(SeverityError, "RFC 4861 §4.1", "slla",
			"RS from :: carries a Source Link-Layer Address option: routers discard it", ev(p, ""))
	}
	if !p.Src.IsUnspecified() && !p.Src.IsLinkLocalUnicast() {
		add(SeverityWarning, "RFC 4861 §6.3.7", "src", "RS from "+p.Src.String()+", not link-local or ::", ev(p, ""))
	}
	if n := len(c.rs); n >= 2 {
		prev := c.rs[n-2]
		// RTR_SOLICITATION_INTERVAL 4 s (RFC 4861 §10); RFC 7559 starts its
		// backoff at 4 s with ±10% jitter.
		if gap := p.Time.Sub(prev.Time); gap < 3500*time.Millisecond {
			add(SeverityWarning, "RFC 4861 §6.3.7", "gap",
				"Router Solicitations only "+seconds(gap)+" apart: RTR_SOLICITATION_INTERVAL is 4 s", prev, ev(p, ""))
		}
	}
}

// checkDAD runs C2 on a Neighbor Solicitation from ::.
func checkDAD(c *client, p *wire.Packet) {
	cm := c.mac.String()
	c.find.check("C2")
	t := p.NS.Target.As16()
	want := netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 1, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})
	if p.Dst != want {
		c.find.add(Finding{ID: "C2", Severity: SeverityError, Client: cm, Time: p.Time, RFC: "RFC 4862 §5.4.2",
			Message: "DAD probe for " + p.NS.Target.String() + " sent to " + addrString(p.Dst) +
				", not its solicited-node group " + want.String()},
			"C2:dst", ev(p, ""))
	}
	if p.NS.Options.HasSourceLLA {
		c.find.add(Finding{ID: "C2", Severity: SeverityError, Client: cm, Time: p.Time, RFC: "RFC 4861 §4.3",
			Message: "DAD probe from :: carries a Source Link-Layer Address option"}, "C2:slla", ev(p, ""))
	}
	if p.HopLimit != 255 {
		c.find.add(Finding{ID: "C2", Severity: SeverityError, Client: cm, Time: p.Time, RFC: "RFC 4861 §7.1.1",
			Message: fmt.Sprintf("DAD probe with hop limit %d, not 255: neighbours discard it", p.HopLimit)},
			"C2:hop", ev(p, ""))
	}
}

// checkExchangeChoice runs C3: whether the RA flags call for this DHCPv6
// exchange, and its delay after the RA.
func checkExchangeChoice(c *client, p *wire.Packet, m *wire.DHCPv6) {
	cm := c.mac.String()
	add := func(key, rfc, msg string, e ...Evidence) {
		c.find.add(Finding{ID: "C3", Severity: SeverityInfo, Client: cm, Time: p.Time, RFC: rfc, Message: msg},
			"C3:"+key, e...)
	}
	if c.counts.RAsReceived == 0 {
		return
	}
	c.find.check("C3")
	switch {
	case m.Type == wire.DHCPv6InfoRequest && c.sawM:
		add("ir-m", "RFC 4861 §4.2", "sends Information-Request although an RA set M=1 (stateful DHCPv6 expected)", ev(p, ""))
	case m.Type == wire.DHCPv6InfoRequest && !c.sawO:
		add("ir-o", "RFC 4861 §4.2", "sends Information-Request although no RA it received set O=1", ev(p, ""))
	case m.Type == wire.DHCPv6Solicit && !c.sawM:
		add("sol-m", "RFC 4861 §4.2", "sends Solicit although no RA it received set M=1", ev(p, ""))
	}
	// RFC 8415 §18.2.6: the first Information-Request is delayed by a
	// random amount up to INF_MAX_DELAY (1 s).
	if m.Type == wire.DHCPv6InfoRequest && c.infoRequests == 1 && c.firstO != nil {
		if d := p.Time.Sub(c.firstO.Time); d > 1100*time.Millisecond {
			add("delay", "RFC 8415 §18.2.6",
				"first Information-Request "+seconds(d)+" after the first RA with O=1 (INF_MAX_DELAY is 1 s)",
				*c.firstO, ev(p, ""))
		}
	}
}

// checkInfoRequest runs C4 (format) and the per-message part of C5
// (retransmission) on an Information-Request.
func checkInfoRequest(c *client, p *wire.Packet, m *wire.DHCPv6, tx, prev *transaction) {
	cm := c.mac.String()
	add := func(id, sev, rfc, key, msg string, e ...Evidence) {
		c.find.add(Finding{ID: id, Severity: sev, Client: cm, Time: p.Time, RFC: rfc, Message: msg}, id+":"+key, e...)
	}
	e := ev(p, "")
	c.find.check("C4")
	if tx.count >= 2 || prev != nil {
		c.find.check("C5")
	}
	if p.Dst != allDHCPAgents {
		add("C4", SeverityWarning, "RFC 8415 §18.2.6", "dst",
			"Information-Request sent to "+addrString(p.Dst)+", not ff02::1:2", e)
	}
	if p.SrcPort != 546 {
		add("C4", SeverityWarning, "RFC 8415 §7.2", "port",
			fmt.Sprintf("Information-Request from UDP port %d, not 546", p.SrcPort), e)
	}
	if !p.Src.IsLinkLocalUnicast() {
		add("C4", SeverityWarning, "RFC 8415 §13.1", "src",
			"Information-Request from "+addrString(p.Src)+", not a link-local address", e)
	}
	if !m.HasElapsedTime {
		add("C4", SeverityError, "RFC 8415 §18.2.6", "elapsed",
			"Information-Request without Elapsed Time option (MUST)", e)
	} else if tx.count == 1 && m.ElapsedTime != 0 {
		add("C4", SeverityWarning, "RFC 8415 §21.9", "elapsed0",
			fmt.Sprintf("first Information-Request of a transaction has Elapsed Time %d, not 0", m.ElapsedTime), e)
	}
	switch {
	case !m.HasORO:
		add("C4", SeverityError, "RFC 8415 §18.2.6", "oro",
			"Information-Request without Option Request option (MUST): servers such as Kea then send no DNS", e)
	case !slices.Contains(m.ORO, wire.Opt6DNS):
		add("C4", SeverityWarning, "RFC 3646 §5", "oro23",
			"Information-Request does not ask for DNS servers (option 23)", e)
	}
	if m.HasORO {
		var missing []string
		if !slices.Contains(m.ORO, wire.Opt6IRT) {
			missing = append(missing, "Information Refresh Time (32)")
		}
		if !slices.Contains(m.ORO, wire.Opt6InfMaxRT) {
			missing = append(missing, "INF_MAX_RT (83)")
		}
		if len(missing) > 0 {
			add("C4", SeverityInfo, "RFC 8415 §18.2.6", "oro32",
				"Information-Request does not ask for "+strings.Join(missing, " or ")+
					" as RFC 8415 requires: RFC 3315-era client", e)
		}
	}
	if m.HasIA {
		add("C4", SeverityError, "RFC 8415 §18.2.6", "ia", "Information-Request carries IA options (MUST NOT)", e)
	}
	if m.ClientID == nil {
		add("C4", SeverityWarning, "RFC 8415 §18.2.6", "cid",
			"Information-Request without Client Identifier (SHOULD include one)", e)
	}
	if n := len(tx.elapsed); n >= 2 && tx.elapsed[n-1] <= tx.elapsed[n-2] && tx.elapsed[n-2] != 0xffff {
		add("C5", SeverityWarning, "RFC 8415 §21.9", "elapsed",
			fmt.Sprintf("retransmitted Information-Request has Elapsed Time %d, not above the previous %d",
				tx.elapsed[n-1], tx.elapsed[n-2]), e)
	}
	// RFC 8415 §15: retransmissions keep the transaction id. A new id while
	// the previous Information-Request is unanswered, sooner than the
	// RFC 3315 cap of 120 s plus jitter, looks like a retransmission that
	// changed it.
	if prev != nil && prev.typ == wire.DHCPv6InfoRequest && !prev.answered && len(prev.sends) > 0 {
		if gap := p.Time.Sub(prev.sends[len(prev.sends)-1].Time); gap < 135*time.Second {
			add("C5", SeverityWarning, "RFC 8415 §15", "xid",
				fmt.Sprintf("unanswered Information-Request retransmitted with a new transaction id (%06x, was %06x)", tx.xid, prev.xid),
				prev.sends[len(prev.sends)-1], e)
		}
	}
}

// checkInfoReply runs N1 on a Reply to an Information-Request.
func checkInfoReply(c *client, p *wire.Packet, m *wire.DHCPv6, tx *transaction) {
	cm := c.mac.String()
	add := func(sev, rfc, key, msg string) {
		c.find.add(Finding{ID: "N1", Severity: sev, Client: cm, Time: p.Time, RFC: rfc, Message: msg}, "N1:"+key,
			ev(p, ""))
	}
	c.find.check("N1")
	if m.ServerID == nil {
		add(SeverityError, "RFC 8415 §18.3.6", "sid",
			"Reply to Information-Request without Server Identifier: clients discard it")
	}
	if tx.clientID != nil && !bytes.Equal(m.ClientID, tx.clientID) {
		add(SeverityError, "RFC 8415 §16.10", "cid",
			"Reply does not echo the client's Client Identifier: clients discard it")
	}
	if tx.hasORO && slices.Contains(tx.oro, wire.Opt6DNS) && len(m.DNS) == 0 && !(m.HasStatus && m.StatusCode != 0) {
		add(SeverityWarning, "RFC 3646 §3", "dns",
			"Reply carries no DNS servers although the Information-Request asked for option 23")
	}
	if m.HasIA {
		add(SeverityError, "RFC 8415 §18.3.6", "ia", "Reply to Information-Request carries IA options")
	}
	if m.HasStatus && m.StatusCode != 0 {
		add(SeverityWarning, "RFC 8415 §21.13", "status",
			fmt.Sprintf("Reply has status code %d %q", m.StatusCode, m.StatusMessage))
	}
	if m.HasRefreshTime && m.RefreshTime < 600 {
		add(SeverityWarning, "RFC 8415 §21.23", "irt",
			fmt.Sprintf("Information Refresh Time %d s is below IRT_MINIMUM 600 s; clients use 600 s", m.RefreshTime))
	}
}

// checkDHCPv4Request runs C12 on a DHCPv4 client message.
func checkDHCPv4Request(c *client, p *wire.Packet) {
	m := p.DHCPv4
	o := c.v6only
	if o == nil || !slices.Contains(c.prl, 108) ||
		(m.MessageType != wire.DHCPv4Request && m.MessageType != wire.DHCPv4Discover) {
		return
	}
	c.find.check("C12")
	wait := time.Duration(max(o.wait, 300)) * time.Second // MIN_V6ONLY_WAIT 300 s (RFC 8925 §3.4)
	if d := p.Time.Sub(o.ev.Time); d >= 0 && d < wait {
		c.find.add(Finding{ID: "C12", Severity: SeverityWarning, Client: c.mac.String(), Time: p.Time,
			RFC: "RFC 8925 §3.2",
			Message: fmt.Sprintf("sent DHCP%s %s after an OFFER with IPv6-Only Preferred (option 108, %d s): it should stop DHCPv4 for V6ONLY_WAIT",
				dhcp4TypeName(m.MessageType), seconds(d), o.wait)}, "C12", o.ev, ev(p, ""))
	}
}

// finishClient runs the client and path checks that need the whole
// observation (N1 unanswered, C5 timing, C6 refresh, C9).
func finishClient(c *client, now time.Time, linkReplies int, set *findingSet) {
	cm := c.mac.String()
	for _, tx := range c.txs {
		if tx.typ != wire.DHCPv6InfoRequest || len(tx.sends) == 0 {
			continue
		}
		last := tx.sends[len(tx.sends)-1]
		set.check("N1")
		if !tx.answered && (tx.count >= 2 || now.Sub(last.Time) > 2*time.Second) {
			msg := fmt.Sprintf("Information-Request %06x sent %d times from %s, no Reply (F9)",
				tx.xid, tx.count, stamp(tx.sends[0].Time))
			if linkReplies == 0 {
				msg = fmt.Sprintf("Information-Request %06x sent %d times from %s, no Reply; no DHCPv6 Reply was seen on the link at all (F9, or F10 if there is no server)",
					tx.xid, tx.count, stamp(tx.sends[0].Time))
			}
			set.add(Finding{ID: "N1", Severity: SeverityError, Client: cm, Time: tx.sends[0].Time,
				RFC: "RFC 8415 §18.2.6", Message: msg},
				fmt.Sprintf("N1:unanswered:%06x", tx.xid), tx.sends...)
		}
		checkRetransmission(c, tx, set)
	}
	// C6: refresh after the Information Refresh Time (RFC 8415 §18.2.6,
	// §21.23: default 86400 s, minimum 600 s).
	if c.dhcpEv != nil && c.lastReply != nil {
		irt := uint32(86400)
		if c.dhcpHasIRT {
			irt = max(c.dhcpRefresh, 600)
		}
		if irt != infiniteLifetime {
			due := c.lastReply.Time.Add(time.Duration(irt) * time.Second * 11 / 10)
			if now.After(due) {
				set.check("C6")
			}
			if now.After(due) && !c.requestedAfter(c.lastReply.Time) {
				set.add(Finding{ID: "C6", Severity: SeverityWarning, Client: cm, Time: due, RFC: "RFC 8415 §18.2.6",
					Message: fmt.Sprintf("no new Information-Request %s after the Reply, past its refresh time %d s",
						seconds(now.Sub(c.lastReply.Time)), irt)},
					"C6", *c.lastReply)
			}
		}
	}
	// C7: queries should get answers; a server that never answers gives
	// the client no working DNS even though it holds it. A query is given
	// dnsAnswerWait for its answer.
	for _, a := range c.dnsOrder {
		u := c.dns[a]
		if !unanswered(u, now) {
			continue
		}
		how := "a server it holds"
		if !c.offered(a) {
			how = "a server no offer in this capture gave it"
		}
		set.add(Finding{ID: "C7", Severity: SeverityWarning, Client: cm, Time: u.First, RFC: "RFC 1035 §4.2",
			Message: fmt.Sprintf("queries unanswered: %d DNS quer(ies) to %s (%s) got no answer on the wire: the server is down or filtered, or its answers bypass the capture point",
				u.Queries, a, how)}, "C7:unanswered:"+a.String(),
			Evidence{Packet: u.FirstPacket, Time: u.First, Note: "first query"},
			Evidence{Packet: u.LastPacket, Time: u.Last, Note: "last query"})
	}
}

// checkExpiry runs C9 when RA-learned server s runs out: a client should
// re-solicit before that. Every expiry is counted (Finding.Count), each
// citing the last RA that carried the server before it.
func (c *client) checkExpiry(s *serverState) {
	if s.assumed {
		return
	}
	c.find.check("C9")
	if c.rsBetween(s.last.Time, s.expires) {
		return
	}
	c.find.add(Finding{ID: "C9", Severity: SeverityWarning, Client: c.mac.String(), Time: s.expires,
		Message: fmt.Sprintf("RDNSS %s expired at %s, %s after the last RA that carried it (%s); the client sent no RS before it ran out",
			s.addr, stamp(s.expires), seconds(s.expires.Sub(s.last.Time)), pkt(s.last.Packet))},
		"C9:"+s.addr.String(), s.last, Evidence{Time: s.expires, Note: string(lossExpired)})
}

// checkRetransmission runs C5 on the timing of one transaction: the first
// retransmission after IRT 1 s ±10%, then doubling (RFC 8415 §15,
// §18.2.6: INF_TIMEOUT 1 s, INF_MAX_RT 3600 s).
func checkRetransmission(c *client, tx *transaction, set *findingSet) {
	if len(tx.sends) < 3 {
		return
	}
	set.check("C5")
	cm := c.mac.String()
	var prevGap time.Duration
	for i := 1; i < len(tx.sends); i++ {
		gap := tx.sends[i].Time.Sub(tx.sends[i-1].Time)
		e := []Evidence{tx.sends[i-1], tx.sends[i]}
		switch {
		case i == 1 && (gap < 800*time.Millisecond || gap > 1500*time.Millisecond):
			set.add(Finding{ID: "C5", Severity: SeverityInfo, Client: cm, Time: tx.sends[i].Time, RFC: "RFC 8415 §15",
				Message: "first Information-Request retransmission after " + seconds(gap) +
					", not INF_TIMEOUT 1 s ±10%"}, "C5:first", e...)
		case i > 1 && gap > 100*time.Second && gap < 140*time.Second && prevGap > 50*time.Second && gap < prevGap*3/2:
			set.add(Finding{ID: "C5", Severity: SeverityInfo, Client: cm, Time: tx.sends[i].Time,
				RFC:     "RFC 8415 §21.25",
				Message: "Information-Request retransmissions cap at about 120 s: RFC 3315-era INF_MAX_RT (RFC 8415 uses 3600 s or option 83)"}, "C5:cap", e...)
		case i > 1 && prevGap > 0 && prevGap < 50*time.Second && (gap < prevGap*3/2 || gap > prevGap*3):
			set.add(Finding{ID: "C5", Severity: SeverityInfo, Client: cm, Time: tx.sends[i].Time, RFC: "RFC 8415 §15",
				Message: "Information-Request retransmission after " + seconds(gap) + " following " + seconds(prevGap) +
					": not the doubling backoff"},
				"C5:backoff", e...)
		}
		prevGap = gap
	}
}

// requestedAfter reports whether the client sent an Information-Request
// after ts.
func (c *client) requestedAfter(ts time.Time) bool {
	for _, tx := range c.txs {
		if tx.typ == wire.DHCPv6InfoRequest && len(tx.sends) > 0 && tx.sends[len(tx.sends)-1].Time.After(ts) {
			return true
		}
	}
	return false
}

// rsBetween reports whether the client sent an RS in (from, to].
func (c *client) rsBetween(from, to time.Time) bool {
	for _, e := range c.rs {
		if e.Time.After(from) && !e.Time.After(to) {
			return true
		}
	}
	return false
}
