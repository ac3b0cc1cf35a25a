package impair

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// Kind says why the daemon sends an RA. The advertiser uses it as its own
// kind, so the send path hands it to impairments unchanged.
type Kind int

// Kinds of RA.
const (
	// KindInitial is one of the first unsolicited multicast RAs
	// (RFC 4861 §6.2.4).
	KindInitial Kind = iota
	// KindPeriodic is an unsolicited multicast RA.
	KindPeriodic
	// KindSolicitedMulticast answers one or more RS to all-nodes.
	KindSolicitedMulticast
	// KindSolicitedUnicast answers one RS to its source (RFC 7772 §5.1).
	KindSolicitedUnicast
	// KindFinal is a final RA sent on shutdown (RFC 4861 §6.2.5).
	KindFinal
	// KindReload is the multicast RA sent at once after a reload.
	KindReload
	// KindReplay is an RA a controller replays from its cache (F2); the
	// daemon never asks for it, Due produces it.
	KindReplay
)

// String returns the name of k.
func (k Kind) String() string {
	switch k {
	case KindInitial:
		return "initial"
	case KindPeriodic:
		return "periodic"
	case KindSolicitedMulticast:
		return "solicited-multicast"
	case KindSolicitedUnicast:
		return "solicited-unicast"
	case KindFinal:
		return "final"
	case KindReload:
		return "reload"
	case KindReplay:
		return "replay"
	default:
		return fmt.Sprintf("kind(%d)", int(k))
	}
}

// Solicited reports whether k answers a Router Solicitation.
func (k Kind) Solicited() bool { return k == KindSolicitedMulticast || k == KindSolicitedUnicast }

// Outgoing is an RA the daemon means to send.
type Outgoing struct {
	// Kind says why it is sent.
	Kind Kind
	// Dst is the unicast destination; the zero Addr means the all-nodes
	// multicast group ff02::1.
	Dst netip.Addr
	// RA is the message, as ra.Build returned it.
	RA *ndp.RouterAdvertisement
}

// Send is one RA to put on the wire.
type Send struct {
	// At is when to send it; never before the time given to the hook.
	At time.Time
	// Kind is the kind of the RA the daemon meant to send, or KindReplay.
	Kind Kind
	// Dst is the unicast destination; the zero Addr means ff02::1.
	Dst netip.Addr
	// RA is the message to send.
	RA *ndp.RouterAdvertisement
	// FragmentMTU, when not 0, asks the transport to send RA as IPv6
	// fragments of at most FragmentMTU bytes each (F13): it builds the
	// packet with Packet, splits it with Fragment and writes each fragment
	// on a raw IPv6 socket (IPPROTO_RAW, IPV6_HDRINCL), since an ICMPv6
	// socket cannot emit a Fragment header.
	FragmentMTU int
}

// Multicast reports whether s goes to the all-nodes group.
func (s Send) Multicast() bool { return !s.Dst.IsValid() || s.Dst.IsMulticast() }

// Action names what an impairment did.
type Action string

// Actions reported in an Effect.
const (
	// ActionDrop means a packet the daemon meant to send was not sent.
	ActionDrop Action = "drop"
	// ActionDelay means a packet is sent later than meant.
	ActionDelay Action = "delay"
	// ActionModify means the content differs from the configuration.
	ActionModify Action = "modify"
	// ActionReplay means a cached RA was sent again, or cached for later.
	ActionReplay Action = "replay"
	// ActionUnicast means a multicast RA was sent as unicast copies.
	ActionUnicast Action = "unicast"
	// ActionSplit means an RA's options were spread over several RAs.
	ActionSplit Action = "split"
	// ActionFragment means an RA goes out as IPv6 fragments.
	ActionFragment Action = "fragment"
	// ActionIgnore means a received message (RS) is not answered.
	ActionIgnore Action = "ignore"
)

// Effect is one thing an impairment did, for the observer.
type Effect struct {
	// At is the time of the hook call that caused it.
	At time.Time
	// Impairment is the spec's name, such as "drop-replies".
	Impairment string
	// FID is the field guide failure id, such as "F9".
	FID string
	// Action is what was done.
	Action Action
	// Detail says what exactly, such as "RDNSS omitted from RA #3".
	Detail string
}

// String formats e for logs.
func (e Effect) String() string {
	return fmt.Sprintf("%s %s (%s): %s", e.Impairment, e.Action, e.FID, e.Detail)
}

// Decision is what happens to one DHCPv6 message.
type Decision struct {
	// Drop discards the message.
	Drop bool
	// Delay postpones it; 0 handles it at once.
	Delay time.Duration
	// Effects says which impairment decided what.
	Effects []Effect
}

// Router is a second, fake router on the link (F15). The transport sends
// RAs built with ra.Build(Config, MAC) from LinkLocal (and MAC as the
// Ethernet source), on the schedule of Config's intervals, multicast only.
// Doing so needs a raw packet socket, or a second interface (such as a
// macvlan) that owns LinkLocal.
type Router struct {
	// MAC is the fake router's link-layer address.
	MAC net.HardwareAddr
	// LinkLocal is its link-local source address.
	LinkLocal netip.Addr
	// Config is the interface configuration its RAs announce.
	Config config.Interface
}

// impairment is the per-Set state of one Spec. Hooks that an impairment
// does not use come from the embedded base.
type impairment interface {
	// config changes the configuration put on the wire; forRA is true
	// when the result builds an RA, false when it answers DHCPv6.
	config(now time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect)
	// ra maps one send to what goes on the wire.
	ra(now time.Time, s Send) ([]Send, []Effect)
	// next returns when due has something to send.
	next() (time.Time, bool)
	// due returns sends of its own that are due at now.
	due(now time.Time) ([]Send, []Effect)
	// rs says whether an RS from src may be answered.
	rs(now time.Time, src netip.Addr) (bool, []Effect)
	// seen records a client on the link.
	seen(addr netip.Addr)
	// dhcpv6 decides about a Request (reply false) or a Reply (reply true).
	dhcpv6(now time.Time, peer netip.Addr, reply bool) Decision
	// second returns the second router's description.
	second(ifc config.Interface) (Router, bool)
}

// base implements every hook as "no change".
type base struct{}

func (base) config(_ time.Time, ifc config.Interface, _ bool) (config.Interface, []Effect) {
	return ifc, nil
}
func (base) ra(_ time.Time, s Send) ([]Send, []Effect)   { return []Send{s}, nil }
func (base) next() (time.Time, bool)                     { return time.Time{}, false }
func (base) due(time.Time) ([]Send, []Effect)            { return nil, nil }
func (base) rs(time.Time, netip.Addr) (bool, []Effect)   { return true, nil }
func (base) seen(netip.Addr)                             {}
func (base) dhcpv6(time.Time, netip.Addr, bool) Decision { return Decision{} }
func (base) second(config.Interface) (Router, bool)      { return Router{}, false }

// effect returns an Effect with only Action and Detail set; the Set fills
// in the rest.
func effect(a Action, format string, args ...any) Effect {
	return Effect{Action: a, Detail: fmt.Sprintf(format, args...)}
}

// member is one impairment of a Set with its identity.
type member struct {
	name string
	fid  string
	imp  impairment
}

// Set is the state of the impairments active on one interface. Its hooks
// apply the impairments in the order given to NewSet. A Set is safe for
// concurrent use, so that the RA sender and the DHCPv6 server can share
// one.
type Set struct {
	mu      sync.Mutex
	members []member
}

// NewSet starts the impairments of specs at time start (the phase start:
// parameters such as rdnss-omit's "after" count from it). rnd is the
// random source for probabilistic impairments; nil means a source seeded
// with 1, so that runs repeat. A zero Spec, such as the one NewSpec
// returns with an error, is skipped.
func NewSet(start time.Time, rnd *rand.Rand, specs ...Spec) *Set {
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(1, 1))
	}
	s := &Set{}
	for _, sp := range specs {
		if sp.Type == nil || sp.params == nil {
			continue
		}
		s.members = append(s.members, member{name: sp.Name, fid: sp.Type.FID, imp: sp.params.start(start, rnd)})
	}
	return s
}

// Len returns the number of active impairments.
func (s *Set) Len() int { return len(s.members) }

// stamp fills in the identity of m and the time in effects.
func (m member) stamp(now time.Time, effects []Effect) []Effect {
	for i := range effects {
		effects[i].At = now
		effects[i].Impairment = m.name
		effects[i].FID = m.fid
	}
	return effects
}

// ConfigFor returns the configuration to build the next RA from, given
// what the daemon is configured to send. Call it exactly once per RA
// built: impairments acting on every Nth RA count the calls.
func (s *Set) ConfigFor(now time.Time, ifc config.Interface) (config.Interface, []Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.configFor(now, ifc, true)
}

// DHCPv6ConfigFor returns the DHCPv6 server configuration to answer an
// Information-Request with, such as without DNS servers (F12). ifc is the
// interface's configuration; it does not count as an RA.
func (s *Set) DHCPv6ConfigFor(now time.Time, ifc config.Interface) (config.DHCPv6, []Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ifc, e := s.configFor(now, ifc, false)
	return ifc.DHCPv6, e
}

// configFor applies every member's configuration change in order.
func (s *Set) configFor(now time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	var all []Effect
	for _, m := range s.members {
		var e []Effect
		ifc, e = m.imp.config(now, ifc, forRA)
		all = append(all, m.stamp(now, e)...)
	}
	return ifc, all
}

// RA returns what goes on the wire for the RA the daemon meant to send.
// An empty result means nothing is sent.
func (s *Set) RA(now time.Time, out Outgoing) ([]Send, []Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sends := []Send{{At: now, Kind: out.Kind, Dst: out.Dst, RA: out.RA}}
	return s.chain(now, 0, sends)
}

// chain passes sends through the members from index i on.
func (s *Set) chain(now time.Time, i int, sends []Send) ([]Send, []Effect) {
	var all []Effect
	for _, m := range s.members[i:] {
		var next []Send
		for _, x := range sends {
			got, e := m.imp.ra(now, x)
			next = append(next, got...)
			all = append(all, m.stamp(now, e)...)
		}
		sends = next
	}
	return sends, all
}

// Next returns the earliest time Due has something to send.
func (s *Set) Next() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best time.Time
	found := false
	for _, m := range s.members {
		if t, ok := m.imp.next(); ok && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	return best, found
}

// Due returns the sends that impairments originate themselves and that
// are due at now, such as replayed RAs. Each passes through the
// impairments after the one that made it.
func (s *Set) Due(now time.Time) ([]Send, []Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sends []Send
	var all []Effect
	for i, m := range s.members {
		d, e := m.imp.due(now)
		all = append(all, m.stamp(now, e)...)
		if len(d) == 0 {
			continue
		}
		d, e = s.chain(now, i+1, d)
		sends = append(sends, d...)
		all = append(all, e...)
	}
	return sends, all
}

// RS reports whether the daemon may answer a Router Solicitation from
// src. It also records src as seen.
func (s *Set) RS(now time.Time, src netip.Addr) (bool, []Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	answer := true
	var all []Effect
	for _, m := range s.members {
		if src.IsValid() && !src.IsUnspecified() {
			m.imp.seen(src)
		}
		ok, e := m.imp.rs(now, src)
		answer = answer && ok
		all = append(all, m.stamp(now, e)...)
	}
	return answer, all
}

// Seen records that a client with address addr is on the link, as a
// controller's binding table learns it from the client's traffic (RS,
// DHCPv6, NS). Multicast-to-unicast conversion (F3) sends to these.
func (s *Set) Seen(addr netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen(addr)
}

// seen records addr in every member.
func (s *Set) seen(addr netip.Addr) {
	for _, m := range s.members {
		m.imp.seen(addr)
	}
}

// DHCPv6Request decides what happens to a DHCPv6 message received from
// src before the server sees it.
func (s *Set) DHCPv6Request(now time.Time, src netip.Addr) Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen(src)
	return s.dhcpv6(now, src, false)
}

// DHCPv6Reply decides what happens to a Reply the server means to send to
// dst.
func (s *Set) DHCPv6Reply(now time.Time, dst netip.Addr) Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dhcpv6(now, dst, true)
}

// dhcpv6 combines the members' decisions: any drop drops, delays add up.
func (s *Set) dhcpv6(now time.Time, peer netip.Addr, reply bool) Decision {
	var d Decision
	for _, m := range s.members {
		x := m.imp.dhcpv6(now, peer, reply)
		d.Drop = d.Drop || x.Drop
		d.Delay += x.Delay
		d.Effects = append(d.Effects, m.stamp(now, x.Effects)...)
	}
	if d.Drop {
		d.Delay = 0
	}
	return d
}

// SecondRouter returns the fake second router that should advertise on the
// link beside the daemon, when an impairment asks for one (F15). ifc is the
// daemon's own configuration.
func (s *Set) SecondRouter(ifc config.Interface) (Router, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.members {
		if r, ok := m.imp.second(ifc); ok {
			return r, true
		}
	}
	return Router{}, false
}
