package impair

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// dhcpDropParams configure dhcpv6-drop (F9).
type dhcpDropParams struct {
	direction   string
	probability float64
	action      string
	delay       time.Duration
}

func (p dhcpDropParams) start(_ time.Time, rnd *rand.Rand) impairment {
	return &dhcpDrop{p: p, rnd: rnd}
}

// dhcpDrop drops or delays DHCPv6 Information-Requests, Replies or both,
// all of them or a random fraction, as ACLs, DHCPv6 guard and controllers
// that do not forward ff02::1:2 do (field guide F9).
type dhcpDrop struct {
	base
	p   dhcpDropParams
	rnd *rand.Rand
}

func (d *dhcpDrop) dhcpv6(_ time.Time, peer netip.Addr, reply bool) Decision {
	if reply && d.p.direction == "request" || !reply && d.p.direction == "reply" {
		return Decision{}
	}
	// Draw only for a real fraction, so that 0 and 1 use no randomness.
	if d.p.probability < 1 && (d.p.probability == 0 || d.rnd.Float64() >= d.p.probability) {
		return Decision{}
	}
	what := "Request from"
	if reply {
		what = "Reply to"
	}
	if d.p.action == "delay" {
		return Decision{Delay: d.p.delay,
			Effects: []Effect{effect(ActionDelay, "DHCPv6 %s %s delayed by %v", what, peer, d.p.delay)}}
	}
	return Decision{Drop: true, Effects: []Effect{effect(ActionDrop, "DHCPv6 %s %s dropped", what, peer)}}
}
