package conformance

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

// Test fixtures: one router, a few clients, fixed addresses
// (frametest's).
var (
	t0         = frametest.T0
	routerMAC  = wire.MAC(frametest.RouterMAC)
	router2MAC = wire.MAC(frametest.Router2MAC)
	clientMAC  = wire.MAC(frametest.ClientMAC)
	client2MAC = wire.MAC(frametest.Client2MAC)
	routerLL   = frametest.RouterLL
	router2LL  = frametest.Router2LL
	clientLL   = frametest.ClientLL
	client2LL  = frametest.Client2LL
	allNodes   = frametest.AllNodes
	dnsServer  = frametest.DNSServer
	dnsServer2 = frametest.DNSServer2
	unspec     = frametest.Unspec
)

// The frame builders of frametest, under the names the tests use.
var (
	groupMAC      = func(a netip.Addr) wire.MAC { return frametest.GroupMAC(a) }
	ndpMsg        = frametest.NDPMsg
	rdnss         = frametest.RDNSS
	solicitedNode = frametest.SolicitedNode
	opt6          = frametest.Opt6
	oro6          = frametest.ORO6
	elapsed6      = frametest.Elapsed6
	dns6          = frametest.DNS6
)

func rs(t testing.TB, mac wire.MAC, src netip.Addr, opts ...ndp.Option) []byte {
	return frametest.RS(t, mac, src, opts...)
}
func dad(t testing.TB, mac wire.MAC, target netip.Addr) []byte { return frametest.DAD(t, mac, target) }
func duidLL(mac wire.MAC) []byte                               { return frametest.DUIDLL(mac) }
func ir(mac wire.MAC, src netip.Addr, xid uint32, opts ...[]byte) []byte {
	return frametest.IR(mac, src, xid, opts...)
}
func reply(mac wire.MAC, dst netip.Addr, xid uint32, opts ...[]byte) []byte {
	return frametest.Reply(mac, dst, xid, opts...)
}
func query(t testing.TB, mac wire.MAC, src, server netip.Addr, id uint16) []byte {
	return frametest.Query(t, mac, src, server, id)
}
func queryName(t testing.TB, mac wire.MAC, src, server netip.Addr, id uint16, name string) []byte {
	return frametest.QueryName(t, mac, src, server, id, name)
}
func answer(t testing.TB, mac wire.MAC, dst, server netip.Addr, id uint16) []byte {
	return frametest.Answer(t, mac, dst, server, id)
}

// ip6opts tweak a built frame.
type ip6opts struct {
	hop      uint8
	badSum   bool
	fragment bool
	vlan     uint16
}

func (o ip6opts) ft() frametest.IP6Opts {
	return frametest.IP6Opts{Hop: o.hop, BadSum: o.badSum, Fragment: o.fragment, VLAN: o.vlan}
}

// ip6 builds an Ethernet frame with an IPv6 packet carrying l4.
func ip6(src, dst wire.MAC, sip, dip netip.Addr, next uint8, l4 []byte, o ip6opts) []byte {
	return frametest.IP6(src, dst, sip, dip, next, l4, o.ft())
}

// raSpec describes a test RA (frametest.RASpec).
type raSpec struct {
	from     wire.MAC
	src      netip.Addr
	dst      netip.Addr // default ff02::1
	dstMAC   wire.MAC   // for unicast
	lifetime time.Duration
	m, o     bool
	rdnss    []ndp.RecursiveDNSServer
	extra    []ndp.Option
	raw      []byte // appended raw option bytes
	opts     ip6opts
}

// ra builds an RA frame.
func ra(t testing.TB, s raSpec) []byte {
	return frametest.RA(t, frametest.RASpec{From: s.from, Src: s.src, Dst: s.dst, DstMAC: s.dstMAC, Lifetime: s.lifetime,
		M: s.m, O: s.o, RDNSS: s.rdnss, Extra: s.extra, Raw: s.raw, Opts: s.opts.ft()})
}

// tf is a frame at an offset from t0.
type tf struct {
	at time.Duration
	b  []byte
}

// at is shorthand for a frame at s seconds.
func at(s float64, b []byte) tf { return tf{at: time.Duration(s * float64(time.Second)), b: b} }

// frames converts tfs for frametest's capture writers.
func frames(tfs []tf) []frametest.TF {
	out := make([]frametest.TF, len(tfs))
	for i, f := range tfs {
		out[i] = frametest.TF{At: f.at, Frame: f.b}
	}
	return out
}

// run feeds frames to a new tracker and reports as of end (seconds after
// t0; 0 means the last packet).
func run(frames []tf, end float64) *Report {
	tr := NewTracker(Options{})
	for _, f := range frames {
		tr.ObserveFrame(f.b, t0.Add(f.at))
	}
	var now time.Time
	if end > 0 {
		now = t0.Add(time.Duration(end * float64(time.Second)))
	}
	return tr.Report(now)
}

// clientOf returns the report entry of mac.
func clientOf(t testing.TB, r *Report, mac wire.MAC) Client {
	t.Helper()
	for _, c := range r.Clients {
		if c.MAC == mac.String() {
			return c
		}
	}
	t.Fatalf("client %s not in report (clients: %d)", mac, len(r.Clients))
	return Client{}
}

// findingIDs lists "ID severity subject" for every finding with one of ids.
func findingIDs(r *Report, ids ...string) []string {
	var out []string
	match := func(f Finding) {
		for _, id := range ids {
			if f.ID == id {
				subj := f.Client + f.Router
				if subj == "" {
					subj = "link"
				}
				out = append(out, f.ID+" "+f.Severity+" "+subj)
			}
		}
	}
	for _, f := range r.Findings {
		match(f)
	}
	for _, rt := range r.Routers {
		for _, f := range rt.Findings {
			match(f)
		}
	}
	for _, c := range r.Clients {
		for _, f := range c.Findings {
			match(f)
		}
	}
	for _, h := range r.IPv4OnlyHosts {
		for _, f := range h.Findings {
			match(f)
		}
	}
	return out
}

// hw converts a MAC for ndp options.
func hw(m wire.MAC) net.HardwareAddr { return net.HardwareAddr(m[:]) }

// ndpNA is a solicited NA for the client's link-local address.
var ndpNA = ndp.NeighborAdvertisement{Solicited: true, TargetAddress: clientLL}

// mustPrefix parses a prefix.
func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// clientView is the part of a client's report that tests compare.
type clientView struct {
	MAC        string
	Identified string
	Verdict    Verdict
}

// viewOf returns the clientView of every client of r.
func viewOf(r *Report) []clientView {
	var out []clientView
	if r == nil {
		return out
	}
	for _, c := range r.Clients {
		out = append(out, clientView{MAC: c.MAC, Identified: c.Identified, Verdict: c.Verdict})
	}
	return out
}
