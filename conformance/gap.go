package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance/wire"
)

// gapCause explains, from what router r sent, why no RA refreshed an
// RDNSS server for client cm between from (the last RA that carried it to
// the client) and to (when its lifetime lifetimeSec ran out). The causes
// are those of the field guide's catalogue, told apart by what the
// router's RAs in that time were: RAs without the server that still
// reached the client (F6), RAs sent only as IPv6 fragments (F13), RAs
// sent only as unicast to other hosts (F3), only unicast answers to
// other hosts' Router Solicitations (F4), or no RA at all: a lifetime
// under 3 × the router's RA interval (F5) or RAs throttled on the path
// (F1). It returns "" when nothing is known of r.
func gapCause(r *router, cm wire.MAC, from, to time.Time, lifetimeSec uint32) string {
	if r == nil {
		return ""
	}
	var reached, frag, uniOther, soliOther int
	var reachedEv, fragEv, uniEv, soliEv int
	first := func(n *int, pkt int) {
		if *n == 0 {
			*n = pkt
		}
	}
	var next *raEvent
	for i := range r.history {
		e := &r.history[i]
		if !e.at.After(from) {
			continue
		}
		if e.at.After(to) {
			if next == nil && e.accepted && (e.dst == wire.MAC{} || e.dst == cm) {
				next = e
			}
			continue
		}
		switch {
		case e.fragmented && (e.dst == wire.MAC{} || e.dst == cm):
			frag++
			first(&fragEv, e.packet)
		case !e.accepted:
		case e.dst == wire.MAC{} || e.dst == cm:
			reached++
			first(&reachedEv, e.packet)
		case e.solicited:
			soliOther++
			first(&soliEv, e.packet)
		default:
			uniOther++
			first(&uniEv, e.packet)
		}
	}
	gap := seconds(to.Sub(from))
	var causes []string
	if frag > 0 {
		causes = append(causes,
			fmt.Sprintf("%s sent %d RA(s) as IPv6 fragments in the %s before it ran out (first %s), which hosts must drop (RFC 6980 §5, F13)",
				r.mac, frag, gap, pkt(fragEv)))
	}
	if reached > 0 {
		causes = append(causes,
			fmt.Sprintf("%d RA(s) from %s reached it in that time (first %s) without this server (F6)",
				reached, r.mac, pkt(reachedEv)))
	}
	if len(causes) > 0 {
		return strings.Join(causes, "; ")
	}
	switch {
	case uniOther > 0:
		return fmt.Sprintf("%s sent its RAs in the %s before it ran out only as unicast to other hosts (%d, first %s), none to this one: multicast RAs converted to unicast for the clients a controller knows (F3)",
			r.mac, gap, uniOther, pkt(uniEv))
	case soliOther > 0:
		return fmt.Sprintf("%s sent no multicast RA in the %s before it ran out, but answered %d Router Solicitation(s) of other hosts by unicast (first %s): multicast RAs are lost on the path (F4)",
			r.mac, gap, soliOther, pkt(soliEv))
	}
	if r.gapCount > 0 && time.Duration(lifetimeSec)*time.Second < 3*r.gapMin {
		return fmt.Sprintf("the lifetime %s is under 3 × the shortest interval between %s's multicast RAs (%s), so under 3 × its MaxRtrAdvInterval (RFC 8106 §5.1): it runs out between RAs (F5)",
			lifetime(lifetimeSec), r.mac, seconds(r.gapMin))
	}
	if next != nil {
		return fmt.Sprintf("%s sent no RA for %s, until %s at %s, longer than the lifetime: RAs throttled on the path, or replayed on a controller's own schedule (F1, F2)",
			r.mac, seconds(next.at.Sub(from)), pkt(next.packet), stamp(next.at))
	}
	// With no RA at all, throttling, conversion to unicast for other
	// hosts and lost multicast look the same on the wire: each still
	// answers a Router Solicitation, and none was sent.
	return fmt.Sprintf("no RA from %s reached it after that, up to the end of the capture, longer than the lifetime: RAs throttled (F1), sent only as unicast to hosts a controller knows (F3) or multicast RAs lost (F4); with no Router Solicitation in that time the wire cannot tell which", r.mac)
}
