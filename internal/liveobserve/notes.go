package liveobserve

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/wire"
	"github.com/ralab/ralab/internal/dnsname"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/ra"
	"github.com/ralab/ralab/internal/ra/limits"
)

// NoteSent records what ralab meant to send; the report lists it with
// the captured packet that showed it, if any. A zero s.From means the
// interface's own MAC. It takes the tracker's lock only briefly, so the
// sender's goroutine may call it; call it before the packet goes out, so
// that the capture matches it.
func (o *Observer) NoteSent(s conformance.Sent) {
	if s.From == (wire.MAC{}) {
		o.mu.Lock()
		copy(s.From[:], o.mac)
		o.mu.Unlock()
	}
	o.tr.NoteSent(s)
}

// NoteRA records a Router Advertisement ralab meant to send at at to dst,
// msg being the ICMPv6 message from its type byte; why says what it is
// (such as "periodic" or "solicited-unicast"). from is the Ethernet
// source when it is not the interface's own (a fake second router), else
// nil. msg is not kept.
func (o *Observer) NoteRA(at time.Time, why string, dst netip.Addr, from net.HardwareAddr, msg []byte) {
	s := conformance.Sent{Time: at, Kind: conformance.SentRA, Destination: dst, Summary: SummarizeRA(why, msg)}
	if len(from) == 6 {
		copy(s.From[:], from)
	}
	o.NoteSent(s)
}

// NoteDHCPv6Reply records a DHCPv6 message ralab meant to send at at to
// dst, msg being the DHCPv6 message (UDP payload). msg is not kept.
func (o *Observer) NoteDHCPv6Reply(at time.Time, dst netip.Addr, msg []byte) {
	o.NoteSent(conformance.Sent{Time: at, Kind: conformance.SentDHCPv6Reply, Destination: dst,
		Summary: SummarizeDHCPv6(msg)})
}

// NoteEffect records what one of ralab's own impairments did. The report
// lists each impairment action once, as a link-level finding with the
// impairment's field guide id, how often it happened and the first and
// last details, so a reader knows which packets the daemon held back on
// purpose.
func (o *Observer) NoteEffect(e impair.Effect) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.effects.add(e)
}

// SummarizeRA describes an RA in one line for a report: why it was sent,
// M and O, the router lifetime, and the DNS-related options.
func SummarizeRA(why string, msg []byte) string {
	var b strings.Builder
	b.WriteString("RA")
	if why != "" {
		b.WriteString(" (" + why + ")")
	}
	m, err := ra.Decode(msg)
	if err != nil {
		return b.String() + ": undecodable: " + err.Error()
	}
	fmt.Fprintf(&b, ": M=%d O=%d, router lifetime %s", bit(m.Managed), bit(m.OtherConfig), seconds(m.RouterLifetime))
	for _, op := range m.Options {
		switch {
		case op.Err != nil:
			fmt.Fprintf(&b, "; option %d malformed", op.Type)
		case op.RDNSS != nil:
			fmt.Fprintf(&b, "; RDNSS %s %s", joinAddrs(op.RDNSS.Servers), seconds(op.RDNSS.Lifetime))
		case op.DNSSL != nil:
			fmt.Fprintf(&b, "; DNSSL %s %s", strings.Join(op.DNSSL.Domains, " "), seconds(op.DNSSL.Lifetime))
		case op.PREF64 != nil:
			fmt.Fprintf(&b, "; PREF64 %s %s", op.PREF64.Prefix, seconds(op.PREF64.Lifetime))
		case op.Prefix != nil:
			fmt.Fprintf(&b, "; prefix %s", op.Prefix.Prefix)
		case op.Type == ra.TypeMTU:
			fmt.Fprintf(&b, "; MTU %d", op.MTU)
		case op.Type == ra.TypeCaptivePortal:
			fmt.Fprintf(&b, "; captive portal %s", op.CaptivePortal)
		}
	}
	if m.Err != nil {
		b.WriteString("; malformed: " + m.Err.Error())
	}
	return b.String()
}

// DHCPv6 option codes SummarizeDHCPv6 shows (RFC 8415 §21, RFC 3646 §3
// and §4).
const (
	dhcp6OptDNSServers = 23
	dhcp6OptDomainList = 24
	dhcp6OptRefresh    = 32
	dhcp6OptStatus     = 13
)

// dhcp6Names are the DHCPv6 message type names (RFC 8415 §7.3).
var dhcp6Names = map[byte]string{2: "Advertise", 7: "Reply", 10: "Reconfigure"}

// SummarizeDHCPv6 describes a DHCPv6 server message in one line for a
// report: its type and the DNS servers, domains and refresh time it
// carries.
func SummarizeDHCPv6(msg []byte) string {
	if len(msg) < 4 {
		return "DHCPv6: truncated"
	}
	name, ok := dhcp6Names[msg[0]]
	if !ok {
		name = fmt.Sprintf("type %d", msg[0])
	}
	parts := []string{"DHCPv6 " + name}
	for b := msg[4:]; len(b) >= 4; {
		code, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < 4+n {
			parts = append(parts, "truncated option")
			break
		}
		body := b[4 : 4+n]
		b = b[4+n:]
		switch code {
		case dhcp6OptDNSServers:
			var as []netip.Addr
			for ; len(body) >= 16; body = body[16:] {
				as = append(as, netip.AddrFrom16([16]byte(body[:16])))
			}
			parts = append(parts, "DNS "+joinAddrs(as))
		case dhcp6OptDomainList:
			names, _ := dnsname.Decode(body, false) // the names before a malformed one
			parts = append(parts, "domains "+strings.Join(names, " "))
		case dhcp6OptRefresh:
			if n == 4 {
				parts = append(parts, "refresh "+seconds(time.Duration(binary.BigEndian.Uint32(body))*time.Second))
			}
		case dhcp6OptStatus:
			if n >= 2 {
				parts = append(parts, fmt.Sprintf("status %d", binary.BigEndian.Uint16(body)))
			}
		}
	}
	if len(parts) == 1 {
		return parts[0] + ": no DNS"
	}
	return parts[0] + ": " + strings.Join(parts[1:], "; ")
}

// joinAddrs formats addresses separated by commas.
func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// seconds formats a lifetime as "600s", or "infinite" for all ones
// (RFC 4861 §4.6.2, RFC 8106 §5.1).
func seconds(d time.Duration) string {
	if d == limits.Infinite {
		return "infinite"
	}
	return fmt.Sprintf("%ds", int64(d/time.Second))
}

// bit formats a flag as 0 or 1.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxEffects bounds the distinct impairment actions kept.
const maxEffects = 64

// effectLog aggregates impairment effects by impairment, FID and action.
type effectLog struct {
	order []effectKey
	byKey map[effectKey]*effectSummary
	// dropped counts effects of actions beyond maxEffects, the last of
	// them at lastDropped.
	dropped     int
	lastDropped time.Time
}

type effectKey struct {
	impairment, fid string
	action          impair.Action
}

type effectSummary struct {
	count       int
	first, last impair.Effect
}

func newEffectLog() *effectLog {
	return &effectLog{byKey: make(map[effectKey]*effectSummary)}
}

// add records e.
func (l *effectLog) add(e impair.Effect) {
	k := effectKey{e.Impairment, e.FID, e.Action}
	s, ok := l.byKey[k]
	if !ok {
		if len(l.order) >= maxEffects {
			l.dropped++
			l.lastDropped = e.At
			return
		}
		s = &effectSummary{first: e}
		l.byKey[k] = s
		l.order = append(l.order, k)
	}
	s.count++
	s.last = e
}

// findings returns one info finding per recorded impairment action, in
// the order first seen.
func (l *effectLog) findings() []conformance.Finding {
	out := make([]conformance.Finding, 0, len(l.order))
	for _, k := range l.order {
		s := l.byKey[k]
		id := k.fid
		if id == "" {
			id = "IMPAIRMENT"
		}
		msg := fmt.Sprintf("ralab's own impairment %q did %q %d times (this is the lab, not the network): first %s",
			k.impairment, k.action, s.count, s.first.Detail)
		if s.count > 1 {
			msg += "; last " + s.last.Detail
		}
		out = append(out, conformance.Finding{
			ID:       id,
			Severity: conformance.SeverityInfo,
			Time:     s.first.At,
			Evidence: []conformance.Evidence{},
			Message:  msg,
			Count:    s.count,
		})
	}
	slices.SortStableFunc(out, func(a, b conformance.Finding) int { return a.Time.Compare(b.Time) })
	if l.dropped > 0 {
		out = append(out, conformance.Finding{
			ID: "IMPAIRMENT", Severity: conformance.SeverityInfo, Time: l.lastDropped,
			Evidence: []conformance.Evidence{},
			Message:  fmt.Sprintf("%d further impairment effects of other kinds not listed", l.dropped),
			Count:    l.dropped,
		})
	}
	return out
}
