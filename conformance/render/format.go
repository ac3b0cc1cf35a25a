package render

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance"
)

// lifetimeInfinity is the all-ones lifetime that RFC 4861 §4.6.2 and
// RFC 8106 §5.1 define as infinity.
const lifetimeInfinity = math.MaxUint32

// fmtTime formats an absolute time for a report, in UTC with milliseconds.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

// fmtClock formats the time of day of t, in UTC with milliseconds.
func fmtClock(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("15:04:05.000")
}

// fmtRel formats t as an offset from the start of the capture.
func fmtRel(start, t time.Time) string {
	if t.IsZero() || start.IsZero() {
		return "–"
	}
	return fmt.Sprintf("+%s s", strconv.FormatFloat(t.Sub(start).Seconds(), 'f', 3, 64))
}

// fmtSeconds formats a duration in seconds with at most three decimals.
func fmtSeconds(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64) + " s"
}

// fmtLifetime formats an RFC 4861-style lifetime in seconds.
func fmtLifetime(s uint32) string {
	switch s {
	case 0:
		return "0 (withdrawn)"
	case lifetimeInfinity:
		return "infinite"
	}
	return strconv.FormatUint(uint64(s), 10) + " s"
}

// raServers returns the distinct servers offered to c by RDNSS with a
// non-zero lifetime, in first-offer order.
func raServers(c conformance.Client) []string {
	var out []string
	for _, o := range c.DNSOffered.ByRA {
		if o.LifetimeSeconds != 0 && !slices.Contains(out, o.Server) {
			out = append(out, o.Server)
		}
	}
	return out
}

// dhcpServers returns the distinct servers offered to c by DHCPv6, in
// first-offer order.
func dhcpServers(c conformance.Client) []string {
	var out []string
	for _, o := range c.DNSOffered.ByDHCPv6 {
		for _, s := range o.Servers {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// viaRA summarises the DNS a client got from Router Advertisements.
func viaRA(c conformance.Client) string {
	if s := raServers(c); len(s) > 0 {
		return strings.Join(s, ", ")
	}
	if len(c.DNSOffered.ByRA) > 0 {
		return "withdrawn only"
	}
	if c.Counts.RAsReceived == 0 {
		return "no RA reached it"
	}
	return "none"
}

// viaDHCPv6 summarises the DNS a client got from DHCPv6.
func viaDHCPv6(c conformance.Client) string {
	if s := dhcpServers(c); len(s) > 0 {
		return strings.Join(s, ", ")
	}
	asked := c.Counts.InformationRequests + c.Counts.Solicits + c.Counts.OtherDHCPv6
	if asked == 0 {
		return "not asked"
	}
	return fmt.Sprintf("none (%s, %s)", plural(asked, "request"), plural(c.Counts.Replies, "reply"))
}

// fmtLostAt formats a client's LostAt.
func fmtLostAt(start time.Time, c conformance.Client) string {
	if c.LostAt == nil {
		return "–"
	}
	return fmt.Sprintf("%s (%s)", fmtClock(*c.LostAt), fmtRel(start, *c.LostAt))
}

// fmtPackets lists the packet numbers of evidence, as "#3, #7".
func fmtPackets(ev []conformance.Evidence) string {
	var b strings.Builder
	for i, e := range ev {
		if i > 0 {
			b.WriteString(", ")
		}
		if e.Packet == 0 {
			b.WriteString("derived")
			continue
		}
		fmt.Fprintf(&b, "#%d", e.Packet)
	}
	return b.String()
}

// fmtORO formats a DHCPv6 Option Request Option.
func fmtORO(oro []uint16) string {
	if oro == nil {
		return "no DHCPv6 request seen"
	}
	if len(oro) == 0 {
		return "requests carried no ORO"
	}
	s := make([]string, len(oro))
	for i, o := range oro {
		s[i] = strconv.Itoa(int(o))
	}
	return strings.Join(s, ", ")
}

// fmtUint8s formats a DHCPv4 Parameter Request List.
func fmtUint8s(v []uint8) string {
	s := make([]string, len(v))
	for i, o := range v {
		s[i] = strconv.Itoa(int(o))
	}
	return strings.Join(s, ", ")
}

// fmtFlags formats an RA's M and O flags and preference.
func fmtFlags(ra conformance.RA) string {
	var f []string
	if ra.Managed {
		f = append(f, "M")
	}
	if ra.Other {
		f = append(f, "O")
	}
	if len(f) == 0 {
		f = append(f, "none")
	}
	return strings.Join(f, "+") + ", preference " + ra.Preference
}

// raOptions lists the options of an RA as short lines.
func raOptions(ra conformance.RA) []string {
	var out []string
	for _, p := range ra.Prefixes {
		var flags []string
		if p.OnLink {
			flags = append(flags, "L")
		}
		if p.Autonomous {
			flags = append(flags, "A")
		}
		out = append(out, fmt.Sprintf("Prefix %s [%s] valid %s, preferred %s",
			p.Prefix, strings.Join(flags, ""), fmtLifetime(p.ValidSeconds), fmtLifetime(p.PreferredSeconds)))
	}
	for _, r := range ra.Routes {
		out = append(out,
			fmt.Sprintf("Route %s preference %s, lifetime %s", r.Prefix, r.Preference, fmtLifetime(r.LifetimeSeconds)))
	}
	for _, r := range ra.RDNSS {
		out = append(out,
			fmt.Sprintf("RDNSS %s, lifetime %s", strings.Join(r.Servers, ", "), fmtLifetime(r.LifetimeSeconds)))
	}
	for _, d := range ra.DNSSL {
		out = append(out,
			fmt.Sprintf("DNSSL %s, lifetime %s", strings.Join(d.Domains, ", "), fmtLifetime(d.LifetimeSeconds)))
	}
	for _, p := range ra.PREF64 {
		out = append(out, fmt.Sprintf("PREF64 %s, lifetime %s", p.Prefix, fmtLifetime(p.LifetimeSeconds)))
	}
	if ra.MTU != 0 {
		out = append(out, fmt.Sprintf("MTU %d", ra.MTU))
	}
	if ra.CaptivePortal != "" {
		out = append(out, "Captive portal "+ra.CaptivePortal)
	}
	if ra.SourceLLA != "" {
		out = append(out, "Source link-layer address "+ra.SourceLLA)
	}
	for _, m := range ra.Malformed {
		out = append(out, "Malformed: "+m)
	}
	return out
}

// plural formats a count of things, as "1 request" or "2 requests".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		word = strings.TrimSuffix(word, "y") + "ie"
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// fmtSent lists what a client sent, as "RS: 3, DAD: 1, …".
func fmtSent(n conformance.ClientCounts) string {
	return fmt.Sprintf("RS: %d, DAD: %d, Information-Request: %d, Solicit: %d, other DHCPv6: %d, DNS query: %d",
		n.RS, n.DAD, n.InformationRequests, n.Solicits, n.OtherDHCPv6, n.DNSQueries)
}

// fmtReceived lists what reached a client, as "RA: 2, …".
func fmtReceived(n conformance.ClientCounts) string {
	return fmt.Sprintf("RA: %d, DHCPv6 Reply: %d, DNS answer: %d", n.RAsReceived, n.Replies, n.DNSAnswers)
}
