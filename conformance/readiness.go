package conformance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// spanStats counts spans at least as long as a grace.
type spanStats struct {
	count          int
	total, longest time.Duration
}

// add counts span d if it is at least grace long.
func (s *spanStats) add(d, grace time.Duration) {
	if d < grace {
		return
	}
	s.count++
	s.total += d
	s.longest = max(s.longest, d)
}

// count adds client cr to the summary.
func (s *Summary) count(cr *Client) {
	switch cr.Verdict {
	case VerdictDNSOK:
		s.DNSOK++
	case VerdictDNSLost:
		s.DNSLost++
		if cr.Recovered {
			s.Recovered++
		}
	case VerdictNoDNS:
		s.NoDNS++
	default:
		s.Inconclusive++
	}
	s.Outages += cr.OutageStats.Count
}

// serverOutages returns, per RA-learned server, the spans its offer to
// the client had ended for at least grace, the one still running at now
// included.
func (c *client) serverOutages(now time.Time, grace time.Duration) []ServerOutages {
	var out []ServerOutages
	for _, a := range sortedAddrs(c.servers) {
		s := c.servers[a]
		st := s.lapses
		if !s.rfcValidAt(now) && !s.assumed {
			end := s.end()
			if !end.IsZero() && end.Before(now) {
				st.add(now.Sub(end), grace)
			}
		}
		if st.count == 0 {
			continue
		}
		out = append(out, ServerOutages{Server: a.String(), Via: ViaRA, Count: st.count,
			TotalSeconds: st.total.Seconds(), LongestSeconds: st.longest.Seconds()})
	}
	return out
}

// sortedAddrs returns the keys of m in address order.
func sortedAddrs[V any](m map[netip.Addr]V) []netip.Addr {
	out := make([]netip.Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// usedIPv4DNS reports whether the client queried an IPv4 DNS server.
func (c *client) usedIPv4DNS() bool {
	return slices.ContainsFunc(c.dnsOrder, netip.Addr.Is4)
}

// ipv4DNS returns the client's DNS traffic to IPv4 servers, never nil.
func (c *client) ipv4DNS() []DNSUse {
	out := []DNSUse{}
	for _, a := range c.dnsOrder {
		if a.Is4() {
			out = append(out, *c.dns[a])
		}
	}
	return out
}

// unreachable returns the valid offered servers the client tried to reach
// in vain: DNS queries without an answer, or Neighbor Solicitations for
// the server's address that no Neighbor Advertisement answered (naSeen).
func (c *client) unreachable(now time.Time, naSeen map[netip.Addr]time.Time) []UnreachableServer {
	var out []UnreachableServer
	for _, a := range c.dnsOrder {
		u := c.dns[a]
		if a.Is4() || !c.offered(a) || !unanswered(u, now) {
			continue
		}
		out = append(out, UnreachableServer{Server: a.String(), Queries: u.Queries, Evidence: []Evidence{
			{Packet: u.FirstPacket, Time: u.First, Note: "first query"},
			{Packet: u.LastPacket, Time: u.Last, Note: "last query"}}})
	}
	for _, a := range sortedAddrs(c.lookups) {
		l := c.lookups[a]
		if na, ok := naSeen[a]; ok && !na.Before(l.first.Time) {
			continue
		}
		if now.Sub(l.first.Time) < time.Second {
			continue // RFC 4861 §10: RETRANS_TIMER 1 s for an answer.
		}
		i := slices.IndexFunc(out, func(x UnreachableServer) bool { return x.Server == a.String() })
		if i < 0 {
			out = append(out, UnreachableServer{Server: a.String()})
			i = len(out) - 1
		}
		out[i].Lookups = l.count
		out[i].Evidence = append(out[i].Evidence, l.first, l.last)
	}
	return out
}

// unreachableNote says which offered servers the client could not reach.
func unreachableNote(us []UnreachableServer) string {
	parts := make([]string, 0, len(us))
	for _, u := range us {
		var how []string
		if u.Queries > 0 {
			how = append(how, fmt.Sprintf("%d DNS quer(ies) unanswered", u.Queries))
		}
		if u.Lookups > 0 {
			how = append(how, fmt.Sprintf("%d Neighbor Solicitation(s) for its address unanswered", u.Lookups))
		}
		parts = append(parts, u.Server+" ("+strings.Join(how, ", ")+")")
	}
	return "offered server unreachable: " + strings.Join(parts, "; ") + " (C7): the client holds it but cannot reach it"
}

// readiness says what the client would have on an IPv6-only network.
func (c *client) readiness(cr *Client) Readiness {
	r := Readiness{IPv6DNSHeld: slices.Clone(c.hist.vias), IPv4DNSUsed: c.usedIPv4DNS(),
		Option108Requested: slices.Contains(c.prl, 108), PREF64Offered: !c.pref64Until.IsZero()}
	if r.IPv6DNSHeld == nil {
		r.IPv6DNSHeld = []string{}
	}
	slices.Sort(r.IPv6DNSHeld)
	r.IPv6DNSUsed = slices.ContainsFunc(c.dnsOrder, netip.Addr.Is6)
	r.Summary = readinessSummary(cr, &r)
	return r
}

// readinessSummary words a client's readiness in one line.
func readinessSummary(cr *Client, r *Readiness) string {
	var s string
	switch {
	case cr.Verdict == VerdictDNSOK:
		s = "has IPv6 DNS (" + strings.Join(cr.DNSSources, ", ") + ")"
	case cr.Verdict == VerdictDNSLost && cr.Recovered:
		s = fmt.Sprintf("has IPv6 DNS, but lost it %d time(s)", cr.OutageStats.Count)
	case cr.Verdict == VerdictDNSLost:
		s = "lost its IPv6 DNS and has none at the end"
	case r.IPv4DNSUsed:
		s = "NOT READY: resolves names only over IPv4; on an IPv6-only network it would have no DNS"
	case cr.Verdict == VerdictNoDNS:
		s = "NOT READY: no IPv6 DNS"
	default:
		s = "unknown: the wire does not show whether it holds IPv6 DNS"
	}
	if r.IPv4DNSUsed && cr.Verdict != VerdictNoDNS {
		s += "; also uses IPv4 DNS"
	}
	if r.Option108Requested {
		s += "; asks for IPv6-only mode (DHCPv4 option 108)"
	}
	if r.PREF64Offered {
		s += "; PREF64 offered"
	}
	return s
}

// reportIPv4Host reports a host that sent no IPv6.
func reportIPv4Host(c *client) IPv4Host {
	return IPv4Host{MAC: c.mac.String(), Vendor: wire.Vendor(c.mac), Hostname: c.hostname, FirstSeen: c.first,
		LastSeen: c.last, IPv4DNS: c.ipv4DNS(), Option108Requested: slices.Contains(c.prl, 108),
		Findings: sortFindings(c.find.findings())}
}

// IPv4Servers lists IPv4 DNS servers with their query counts.
func IPv4Servers(us []DNSUse) string {
	parts := make([]string, 0, len(us))
	for _, u := range us {
		parts = append(parts, fmt.Sprintf("%s (%d queries, %d answered)", u.Server, u.Queries, u.Answers))
	}
	return strings.Join(parts, ", ")
}
