package advertiser

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/ra"
)

// ReasonImpairment is the suppression reason of an RS that an impairment
// (package impair) says not to answer, such as a controller that does not
// forward RS (F2).
const ReasonImpairment = "impairment"

// Paths an RA takes to the wire: the "path" label of
// ralab_ra_wire_packets_total.
const (
	// PathICMPv6 is the NDP socket.
	PathICMPv6 = "icmpv6"
	// PathFragment is the raw IPv6 socket sending fragments (F13).
	PathFragment = "fragment"
	// PathSecondRouter is the packet socket sending a fake second
	// router's RAs (F15).
	PathSecondRouter = "second-router"
)

// KindSecondRouter is the Sent.Kind of an RA from the fake second router.
const KindSecondRouter = "second-router"

// Sent describes one RA for an observer: what the daemon meant to send
// (Wire false), or one packet that went on the wire (Wire true). With no
// impairments every meant RA is followed by one identical wire RA.
type Sent struct {
	// At is when it was built or sent.
	At time.Time
	// Kind is why it was sent: a Kind's name, "replay" for an RA an
	// impairment replays, or KindSecondRouter.
	Kind string
	// Dst is the IPv6 destination; ff02::1 for multicast.
	Dst netip.Addr
	// Src is the Ethernet source when it is not the interface's own
	// (second router), else nil.
	Src net.HardwareAddr
	// Bytes is the ICMPv6 message; for a fragment, the whole IPv6
	// fragment from its IPv6 header on.
	Bytes []byte
	// Wire reports whether it went on the wire rather than being meant.
	Wire bool
	// Fragment reports whether Bytes is one IPv6 fragment.
	Fragment bool
}

// SetImpairments makes every RA from now on pass through s (nil: none).
// It is safe for concurrent use with Run; the DHCPv6 server of the same
// interface may share s through Impairments.
func (a *Advertiser) SetImpairments(s *impair.Set) {
	a.imp.Store(s)
	select {
	case a.impC <- struct{}{}:
	default:
	}
}

// Impairments returns the impairments in use, or nil.
func (a *Advertiser) Impairments() *impair.Set { return a.imp.Load() }

// answerRS asks the impairments whether the RS from src received at now
// may be answered; one that may not is counted as suppressed with
// ReasonImpairment. The Set also learns src as a client on the link.
func (a *Advertiser) answerRS(now time.Time, src netip.Addr) bool {
	set := a.imp.Load()
	if set == nil {
		return true
	}
	ok, es := set.RS(now, src)
	a.effects(now, es)
	if !ok {
		a.m.suppressed.WithLabelValues(a.name, ReasonImpairment).Inc()
		a.count(func(c *Counters) { c.Suppressed[ReasonImpairment]++ })
		a.limited(a.rsLog, slog.LevelDebug, "router solicitation", "src", src, "suppressed", ReasonImpairment)
	}
	return ok
}

// effects counts, logs (rate-limited) and reports what impairments did.
func (a *Advertiser) effects(now time.Time, es []impair.Effect) {
	for _, e := range es {
		a.m.impaired.WithLabelValues(a.name, e.Impairment, e.FID, string(e.Action)).Inc()
		if dropped, ok := a.effLog.Allow(now); ok {
			a.log.Info("impairment", "name", e.Impairment, "fid", e.FID, "action", e.Action, "detail", e.Detail,
				"suppressed_since_last", dropped)
		}
		if a.onEffect != nil {
			a.onEffect(e)
		}
	}
}

// sent reports s to the observer, if any.
func (a *Advertiser) sent(s Sent) {
	if a.onSent != nil {
		a.onSent(s)
	}
}

// allNodes returns dst, or ff02::1 for the zero Addr.
func allNodes(dst netip.Addr) netip.Addr {
	if !dst.IsValid() {
		return netip.IPv6LinkLocalAllNodes()
	}
	return dst
}

// sendErr counts and logs (rate-limited) a failed send.
func (a *Advertiser) sendErr(now time.Time, kind string, dst netip.Addr, err error) {
	a.m.raSendErrors.WithLabelValues(a.name).Inc()
	a.count(func(c *Counters) { c.SendErrors++ })
	if dropped, ok := a.errLog.Allow(now); ok {
		a.log.Error("sending router advertisement", "kind", kind, "dst", dst, "err", err,
			"suppressed_since_last", dropped)
	}
}

// put writes one impaired send to the wire: as IPv6 fragments when
// FragmentMTU asks for it, else through the NDP socket.
func (a *Advertiser) put(now time.Time, w wire, st LinkState, s impair.Send) {
	dst := allNodes(s.Dst)
	kind := s.Kind.String()
	if s.FragmentMTU > 0 {
		pkt, err := impair.Packet(s.RA, st.LinkLocal.WithZone(""), dst.WithZone(""))
		if err != nil {
			a.sendErr(now, kind, dst, fmt.Errorf("building packet to fragment: %w", err))
			return
		}
		a.fragID++
		frags, err := impair.Fragment(pkt, s.FragmentMTU, a.fragID)
		if err != nil {
			a.sendErr(now, kind, dst, fmt.Errorf("fragmenting: %w", err))
			return
		}
		for _, f := range frags {
			if err := w.ipv6(f, dst); err != nil {
				a.sendErr(now, kind, dst, err)
				return
			}
			a.m.wire.WithLabelValues(a.name, PathFragment).Inc()
			a.sent(Sent{At: now, Kind: kind, Dst: dst, Bytes: f, Wire: true, Fragment: true})
		}
		return
	}
	b, err := ndp.MarshalMessage(s.RA)
	if err != nil {
		a.sendErr(now, kind, dst, fmt.Errorf("marshalling: %w", err))
		return
	}
	if err := checkSize(len(b), st.MTU); err != nil {
		a.sendErr(now, kind, dst, err)
		return
	}
	if err := w.ra(s.RA, dst); err != nil {
		a.sendErr(now, kind, dst, fmt.Errorf("writing to %s: %w", dst, err))
		return
	}
	a.m.wire.WithLabelValues(a.name, PathICMPv6).Inc()
	a.sent(Sent{At: now, Kind: kind, Dst: dst, Bytes: b, Wire: true})
}

// dispatch puts the sends due at now on the wire and queues later ones.
func (a *Advertiser) dispatch(now time.Time, w wire, st LinkState, sends []impair.Send) {
	for _, s := range sends {
		if s.At.After(now) {
			i, _ := slices.BinarySearchFunc(a.pending, s.At,
				func(e impair.Send, t time.Time) int { return e.At.Compare(t) })
			for i < len(a.pending) && a.pending[i].At.Equal(s.At) {
				i++
			}
			a.pending = slices.Insert(a.pending, i, s)
			continue
		}
		a.put(now, w, st, s)
	}
}

// flush sends the queued sends and the impairments' own sends (replays)
// that are due at now.
func (a *Advertiser) flush(now time.Time, w wire, st LinkState) {
	n := 0
	for n < len(a.pending) && !a.pending[n].At.After(now) {
		n++
	}
	due := slices.Clone(a.pending[:n])
	a.pending = slices.Delete(a.pending, 0, n)
	for _, s := range due {
		a.put(now, w, st, s)
	}
	set := a.imp.Load()
	if set == nil {
		return
	}
	if t, ok := set.Next(); !ok || t.After(now) {
		return
	}
	sends, es := set.Due(now)
	a.effects(now, es)
	a.dispatch(now, w, st, sends)
}

// nextImpaired returns the earliest of t, the first queued send and the
// impairments' next own send.
func (a *Advertiser) nextImpaired(t time.Time) time.Time {
	if len(a.pending) > 0 && (t.IsZero() || a.pending[0].At.Before(t)) {
		t = a.pending[0].At
	}
	if set := a.imp.Load(); set != nil {
		if n, ok := set.Next(); ok && (t.IsZero() || n.Before(t)) {
			t = n
		}
	}
	return t
}

// secondRouter sends the fake second router's RA (F15), if an impairment
// asks for one, as a whole Ethernet frame from its MAC and link-local
// address to all-nodes.
func (a *Advertiser) secondRouter(now time.Time, w wire, set *impair.Set, ifc config.Interface) {
	r, ok := set.SecondRouter(ifc)
	if !ok {
		return
	}
	dst := netip.IPv6LinkLocalAllNodes()
	msg, _, err := ra.Build(r.Config, r.MAC)
	if err != nil {
		a.sendErr(now, KindSecondRouter, dst, fmt.Errorf("building second router RA: %w", err))
		return
	}
	pkt, err := impair.Packet(msg, r.LinkLocal, dst)
	if err != nil {
		a.sendErr(now, KindSecondRouter, dst, fmt.Errorf("building second router packet: %w", err))
		return
	}
	if err := w.frame(ethFrame(r.MAC, dst, pkt)); err != nil {
		a.sendErr(now, KindSecondRouter, dst, err)
		return
	}
	a.m.wire.WithLabelValues(a.name, PathSecondRouter).Inc()
	a.sent(Sent{At: now, Kind: KindSecondRouter, Dst: dst, Src: r.MAC, Bytes: pkt[40:], Wire: true})
}
