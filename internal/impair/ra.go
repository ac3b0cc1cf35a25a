package impair

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/mdlayher/ndp"
)

// throttleParams configure ra-throttle (F1).
type throttleParams struct {
	period     time.Duration
	maxThrough int
	atLeast    int
	atMost     int
}

func (p throttleParams) start(time.Time, *rand.Rand) impairment { return &throttle{p: p} }

// throttle passes at most a few unsolicited multicast RAs per period, as
// Cisco's "ipv6 nd ra-throttler" does. The Cisco IOS XE configuration
// guide "IPv6 Router Advertisement Throttler", section "IPv6 RA Throttler
// Command Precedence Rules"
// (https://www.cisco.com/c/en/us/td/docs/ios-xml/ios/ipv6_fhsec/configuration/xe-3e/ip6f-xe-3e-book/ip6-ra-throttler.html)
// applies, in order: a router that has not yet sent "allow at-least" RAs
// in the period is passed; one that has sent "allow at-most" is throttled,
// that is multicast only to wired hosts and to wireless hosts with a
// pending RS. ralab then bounds the rest by "max-through", the multicast
// RAs passed per VLAN per period; that reading of max-through is ours
// [verify], and with one router (ralab) the per-router and per-VLAN counts
// are the same count. Throttled RAs reach no client here; the daemon's own
// solicited answers always pass, which stands for the pending-RS rule.
type throttle struct {
	base
	p      throttleParams
	window time.Time
	open   bool
	passed int
}

func (t *throttle) ra(now time.Time, s Send) ([]Send, []Effect) {
	if !s.Multicast() || s.Kind.Solicited() {
		return []Send{s}, nil
	}
	if !t.open || now.Sub(t.window) >= t.p.period {
		t.window, t.open, t.passed = now, true, 0
	}
	pass := t.passed < t.p.atLeast ||
		(t.p.atMost == 0 || t.passed < t.p.atMost) && t.passed < t.p.maxThrough
	if pass {
		t.passed++
		return []Send{s}, nil
	}
	next := t.window.Add(t.p.period)
	return nil, []Effect{effect(ActionDrop,
		"%s multicast RA throttled: %d already passed in the period since %s; next period from %s",
		s.Kind, t.passed, t.window.Format(time.RFC3339Nano), next.Format(time.RFC3339Nano))}
}

// replayParams configure ra-replay (F2).
type replayParams struct {
	interval time.Duration
	answerRS bool
}

func (p replayParams) start(time.Time, *rand.Rand) impairment { return &replay{p: p} }

// replay emulates a controller that proxies RAs (Aruba "ipv6 proxy-ra"):
// it forwards the first unsolicited RA, caches the latest one the router
// sends, drops the router's own, and multicasts the cached RA every
// interval. Solicitations are not answered unless answer_rs is set. Final
// RAs pass, so that clients learn the daemon stopped.
type replay struct {
	base
	p      replayParams
	cached *ndp.RouterAdvertisement
	nextAt time.Time
}

func (r *replay) ra(now time.Time, s Send) ([]Send, []Effect) {
	switch {
	case s.Kind.Solicited():
		if r.p.answerRS {
			return []Send{s}, nil
		}
		return nil, []Effect{effect(ActionDrop, "%s RA dropped: the controller does not answer RS", s.Kind)}
	case s.Kind == KindFinal || !s.Multicast():
		return []Send{s}, nil
	case r.cached == nil:
		r.cached, r.nextAt = s.RA, now.Add(r.p.interval)
		return []Send{s}, []Effect{effect(ActionReplay, "%s RA forwarded and cached; replayed every %v from %s",
			s.Kind, r.p.interval, r.nextAt.Format(time.RFC3339Nano))}
	default:
		r.cached = s.RA
		return nil, []Effect{effect(ActionDrop, "%s RA cached instead of sent; next replay at %s",
			s.Kind, r.nextAt.Format(time.RFC3339Nano))}
	}
}

func (r *replay) next() (time.Time, bool) { return r.nextAt, r.cached != nil }

func (r *replay) due(now time.Time) ([]Send, []Effect) {
	if r.cached == nil || now.Before(r.nextAt) {
		return nil, nil
	}
	missed := 0
	for !now.Before(r.nextAt) {
		r.nextAt = r.nextAt.Add(r.p.interval)
		missed++
	}
	e := effect(ActionReplay, "cached RA replayed; next at %s", r.nextAt.Format(time.RFC3339Nano))
	if missed > 1 {
		e.Detail += fmt.Sprintf("; %d replay times passed without a call", missed-1)
	}
	return []Send{{At: now, Kind: KindReplay, RA: r.cached}}, []Effect{e}
}

func (r *replay) rs(_ time.Time, src netip.Addr) (bool, []Effect) {
	if r.p.answerRS {
		return true, nil
	}
	return false, []Effect{effect(ActionIgnore, "RS from %s not answered: the controller does not answer RS", src)}
}

// unicastParams configure ra-mcast-to-unicast (F3); it has none.
type unicastParams struct{}

func (unicastParams) start(time.Time, *rand.Rand) impairment { return &toUnicast{} }

// toUnicast sends each multicast RA as unicast copies to the clients in
// the binding table, as wireless controllers do to save airtime. Clients
// the controller has not seen get nothing.
type toUnicast struct {
	base
	clients []netip.Addr
}

func (u *toUnicast) seen(a netip.Addr) {
	if unicast(a) && !slices.Contains(u.clients, a) {
		u.clients = append(u.clients, a)
	}
}

func (u *toUnicast) ra(_ time.Time, s Send) ([]Send, []Effect) {
	if !s.Multicast() {
		return []Send{s}, nil
	}
	if len(u.clients) == 0 {
		return nil, []Effect{effect(ActionDrop, "%s multicast RA dropped: no client in the binding table yet", s.Kind)}
	}
	out := make([]Send, len(u.clients))
	for i, c := range u.clients {
		out[i] = s
		out[i].Dst = c
	}
	return out, []Effect{effect(ActionUnicast, "%s multicast RA sent as unicast to %v", s.Kind, u.clients)}
}

// dropMulticastParams configure ra-drop-multicast (F4).
type dropMulticastParams struct {
	solicited bool
}

func (p dropMulticastParams) start(time.Time, *rand.Rand) impairment { return &dropMulticast{p: p} }

// dropMulticast drops multicast RAs, as a sleeping host (RFC 7772) or a
// link that filters multicast misses them. Unicast RAs pass.
type dropMulticast struct {
	base
	p dropMulticastParams
}

func (d *dropMulticast) ra(_ time.Time, s Send) ([]Send, []Effect) {
	if !s.Multicast() || s.Kind.Solicited() && !d.p.solicited {
		return []Send{s}, nil
	}
	return nil, []Effect{effect(ActionDrop, "%s multicast RA dropped", s.Kind)}
}

// oversizeParams configure ra-oversize (F13).
type oversizeParams struct {
	mode  string
	parts int
	mtu   int
}

func (p oversizeParams) start(time.Time, *rand.Rand) impairment { return &oversize{p: p} }

// oversize sends each RA either split into several RAs, each with a part
// of the options, or as IPv6 fragments (which hosts must drop, RFC 6980
// §5).
type oversize struct {
	base
	p oversizeParams
}

func (o *oversize) ra(_ time.Time, s Send) ([]Send, []Effect) {
	if o.p.mode == "fragment" {
		s.FragmentMTU = o.p.mtu
		return []Send{s}, []Effect{effect(ActionFragment, "%s RA sent as IPv6 fragments of at most %d bytes", s.Kind, o.p.mtu)}
	}
	parts := Split(s.RA, o.p.parts)
	if len(parts) < 2 {
		return []Send{s}, nil
	}
	out := make([]Send, len(parts))
	for i, p := range parts {
		out[i] = s
		out[i].RA = p
	}
	return out,
		[]Effect{effect(ActionSplit, "%s RA with %d options sent as %d RAs", s.Kind, len(s.RA.Options), len(parts))}
}

// Split spreads the options of ra over at most n RAs with the same header,
// as routers do with options that do not fit in one (RFC 4861 §6.2.3
// allows any subset per RA). The Source Link-Layer Address and MTU options
// go in every part; the others are divided into consecutive runs, in
// order. It returns ra alone when there is nothing to split.
func Split(ra *ndp.RouterAdvertisement, n int) []*ndp.RouterAdvertisement {
	if ra == nil {
		return nil
	}
	var sticky, rest []ndp.Option
	for _, o := range ra.Options {
		switch o.(type) {
		case *ndp.LinkLayerAddress, *ndp.MTU:
			sticky = append(sticky, o)
		default:
			rest = append(rest, o)
		}
	}
	n = min(n, len(rest))
	if n < 2 {
		return []*ndp.RouterAdvertisement{ra}
	}
	out := make([]*ndp.RouterAdvertisement, 0, n)
	for i := range n {
		lo, hi := i*len(rest)/n, (i+1)*len(rest)/n
		part := *ra
		part.Options = append(slices.Clone(sticky), rest[lo:hi]...)
		out = append(out, &part)
	}
	return out
}
