package advertiser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
)

// recWire records what the advertiser puts on the wire, one line each.
type recWire struct {
	lines []string
	err   error
}

// summary names what matters of an RA in a test: RDNSS present and the
// router lifetime.
func summary(m *ndp.RouterAdvertisement) string {
	rd := "no-rdnss"
	for _, o := range m.Options {
		if r, ok := o.(*ndp.RecursiveDNSServer); ok {
			rd = fmt.Sprintf("rdnss=%v/%v", r.Servers[0], r.Lifetime)
		}
	}
	return fmt.Sprintf("%s rl=%v", rd, m.RouterLifetime)
}

func (w *recWire) ra(m *ndp.RouterAdvertisement, dst netip.Addr) error {
	if w.err != nil {
		return w.err
	}
	w.lines = append(w.lines, fmt.Sprintf("icmpv6 %v %s", dst, summary(m)))
	return nil
}

func (w *recWire) ipv6(pkt []byte, dst netip.Addr) error {
	if w.err != nil {
		return w.err
	}
	// RFC 8200 §4.5: offset in 8-octet units in the top 13 bits, M last.
	off := binary.BigEndian.Uint16(pkt[42:44])
	w.lines = append(w.lines, fmt.Sprintf("fragment %v hop=%d nh=%d off=%d more=%v len=%d", dst, pkt[7], pkt[40], off>>3*8, off&1 == 1, len(pkt)))
	return nil
}

func (w *recWire) frame(b []byte) error {
	if w.err != nil {
		return w.err
	}
	m, err := ndp.ParseMessage(b[ethHeaderLen+40:])
	if err != nil {
		return err
	}
	src := netip.AddrFrom16([16]byte(b[ethHeaderLen+8 : ethHeaderLen+24]))
	w.lines = append(w.lines, fmt.Sprintf("frame %v>%v %v %s", net.HardwareAddr(b[6:12]), net.HardwareAddr(b[:6]), src, summary(m.(*ndp.RouterAdvertisement))))
	return nil
}

// step is one event of a send-path test at an offset from t0: an RA the
// daemon sends (send), an RS received (rs), or a timer firing (flush).
type step struct {
	at    time.Duration
	send  Kind
	dst   string
	rs    string
	flush bool
}

var testLink = LinkState{
	Usable:    true,
	Index:     7,
	MTU:       1500,
	MAC:       net.HardwareAddr{0x02, 0, 0, 0, 0x01, 0x01},
	LinkLocal: netip.MustParseAddr("fe80::ff:fe00:101"),
}

func mustSpec(t *testing.T, name string, table map[string]any) impair.Spec {
	t.Helper()
	sp, err := impair.NewSpec(name, table)
	if err != nil {
		t.Fatalf("NewSpec(%s): %v", name, err)
	}
	return sp
}

func TestSendImpaired(t *testing.T) {
	const (
		rd  = "rdnss=2001:db8::53/30m0s rl=30m0s"
		mc  = "ff02::1"
		cl  = "fe80::c1"
		cl2 = "fe80::c2"
	)
	tests := []struct {
		name    string
		specs   map[string]map[string]any
		steps   []step
		want    []string
		actions map[string]int
		// answered lists whether each RS step may be answered.
		answered []bool
	}{
		{
			name:  "none",
			steps: []step{{send: KindPeriodic}, {send: KindSolicitedUnicast, dst: cl}},
			want:  []string{"icmpv6 ff02::1 " + rd, "icmpv6 fe80::c1 " + rd},
		},
		{
			name:    "rdnss-omit every 2nd",
			specs:   map[string]map[string]any{"omit": {"type": "rdnss-omit", "mode": "every", "every": int64(2)}},
			steps:   []step{{send: KindPeriodic}, {at: 4 * time.Second, send: KindPeriodic}, {at: 8 * time.Second, send: KindPeriodic}},
			want:    []string{"icmpv6 ff02::1 " + rd, "icmpv6 ff02::1 no-rdnss rl=30m0s", "icmpv6 ff02::1 " + rd},
			actions: map[string]int{"omit/modify": 1},
		},
		{
			name:    "drop multicast keeps unicast",
			specs:   map[string]map[string]any{"dm": {"type": "ra-drop-multicast"}},
			steps:   []step{{send: KindPeriodic}, {send: KindSolicitedUnicast, dst: cl}, {send: KindSolicitedMulticast}},
			want:    []string{"icmpv6 fe80::c1 " + rd, "icmpv6 ff02::1 " + rd},
			actions: map[string]int{"dm/drop": 1},
		},
		{
			name:  "multicast to unicast after RS",
			specs: map[string]map[string]any{"u": {"type": "ra-mcast-to-unicast"}},
			steps: []step{
				{send: KindPeriodic},
				{at: time.Second, rs: cl},
				{at: 2 * time.Second, rs: cl2},
				{at: 4 * time.Second, send: KindPeriodic},
			},
			answered: []bool{true, true},
			want:     []string{"icmpv6 fe80::c1 " + rd, "icmpv6 fe80::c2 " + rd},
			actions:  map[string]int{"u/drop": 1, "u/unicast": 1},
		},
		{
			name: "throttle passes solicited",
			specs: map[string]map[string]any{"th": {"type": "ra-throttle", "period": "60s", "max_through": int64(10),
				"at_least": int64(1), "at_most": int64(1)}},
			steps: []step{
				{send: KindPeriodic},
				{at: 4 * time.Second, send: KindPeriodic},
				{at: 5 * time.Second, send: KindSolicitedMulticast},
				{at: 6 * time.Second, send: KindSolicitedUnicast, dst: cl},
				{at: 8 * time.Second, send: KindPeriodic},
				{at: 61 * time.Second, send: KindPeriodic},
			},
			want:    []string{"icmpv6 ff02::1 " + rd, "icmpv6 ff02::1 " + rd, "icmpv6 fe80::c1 " + rd, "icmpv6 ff02::1 " + rd},
			actions: map[string]int{"th/drop": 2},
		},
		{
			name:  "replay",
			specs: map[string]map[string]any{"rp": {"type": "ra-replay", "interval": "10s"}},
			steps: []step{
				{send: KindInitial},
				{at: time.Second, rs: cl},
				{at: 4 * time.Second, send: KindInitial},
				{at: 9 * time.Second, flush: true},
				{at: 10 * time.Second, flush: true},
				{at: 10 * time.Second, flush: true},
			},
			answered: []bool{false},
			want:     []string{"icmpv6 ff02::1 " + rd, "icmpv6 ff02::1 " + rd},
			actions:  map[string]int{"rp/replay": 2, "rp/drop": 1, "rp/ignore": 1},
		},
		{
			name:  "fragment",
			specs: map[string]map[string]any{"f": {"type": "ra-oversize", "mode": "fragment", "mtu": int64(72)}},
			steps: []step{{send: KindPeriodic}},
			want: []string{"fragment ff02::1 hop=255 nh=58 off=0 more=true len=72",
				"fragment ff02::1 hop=255 nh=58 off=24 more=true len=72", "fragment ff02::1 hop=255 nh=58 off=48 more=false len=72"},
			actions: map[string]int{"f/fragment": 1},
		},
		{
			name:    "atomic fragment",
			specs:   map[string]map[string]any{"f": {"type": "ra-oversize", "mode": "fragment"}},
			steps:   []step{{send: KindSolicitedUnicast, dst: cl}},
			want:    []string{"fragment fe80::c1 hop=255 nh=58 off=0 more=false len=120"},
			actions: map[string]int{"f/fragment": 1},
		},
		{
			name:    "split",
			specs:   map[string]map[string]any{"s": {"type": "ra-oversize", "mode": "split"}},
			steps:   []step{{send: KindPeriodic}},
			want:    []string{"icmpv6 ff02::1 " + rd, "icmpv6 ff02::1 no-rdnss rl=30m0s"},
			actions: map[string]int{"s/split": 1},
		},
		{
			name:  "second router on multicast RAs only",
			specs: map[string]map[string]any{"rogue": {"type": "second-router", "mode": "withdraw", "router_lifetime": "0s"}},
			steps: []step{{send: KindPeriodic}, {send: KindSolicitedUnicast, dst: cl}, {send: KindFinal}},
			want: []string{
				"icmpv6 ff02::1 " + rd,
				"frame 02:00:00:00:53:02>33:33:00:00:00:01 fe80::ff:fe00:5302 rdnss=2001:db8::53/0s rl=0s",
				"icmpv6 fe80::c1 " + rd,
				"icmpv6 ff02::1 rdnss=2001:db8::53/30m0s rl=0s",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var effects []impair.Effect
			var meant, onWire int
			m := NewMetrics(nil)
			ifc := testInterface("eth0", "2001:db8::53")
			ifc.RouterLifetime = 30 * time.Minute
			ifc.RDNSS[0].Lifetime = 30 * time.Minute
			ifc.SourceLLA = true
			ifc.DNSSL = []config.DNSSL{{Domains: []string{"example.com"}, Lifetime: 30 * time.Minute}}
			a := New(ifc, Options{
				Metrics:  m,
				OnEffect: func(e impair.Effect) { effects = append(effects, e) },
				OnSent: func(s Sent) {
					if s.Wire {
						onWire++
					} else {
						meant++
					}
				},
			})
			if len(tt.specs) > 0 {
				var specs []impair.Spec
				for n, tab := range tt.specs {
					specs = append(specs, mustSpec(t, n, tab))
				}
				a.SetImpairments(impair.NewSet(t0, nil, specs...))
			}
			w := &recWire{}
			var answered []bool
			for _, s := range tt.steps {
				now := t0.Add(s.at)
				switch {
				case s.rs != "":
					answered = append(answered, a.answerRS(now, netip.MustParseAddr(s.rs)))
				case s.flush:
					a.flush(now, w, testLink)
				default:
					var dst netip.Addr
					if s.dst != "" {
						dst = netip.MustParseAddr(s.dst)
					}
					a.send(now, w, testLink, s.send, dst)
				}
			}
			if diff := cmp.Diff(tt.want, w.lines); diff != "" {
				t.Errorf("wire (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.answered, answered); diff != "" {
				t.Errorf("RS answered (-want +got):\n%s", diff)
			}
			var got map[string]int
			for _, e := range effects {
				if got == nil {
					got = map[string]int{}
				}
				got[e.Impairment+"/"+string(e.Action)]++
			}
			for _, e := range effects {
				n := testutil.ToFloat64(m.impaired.WithLabelValues("eth0", e.Impairment, e.FID, string(e.Action)))
				if want := got[e.Impairment+"/"+string(e.Action)]; int(n) != want {
					t.Errorf("ralab_ra_impaired_total{impairment=%q,action=%q} = %v, want %d", e.Impairment, e.Action, n, want)
				}
			}
			if diff := cmp.Diff(tt.actions, got); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			sends := 0
			for _, s := range tt.steps {
				if !s.flush && s.rs == "" {
					sends++
				}
			}
			if meant != sends || onWire != len(w.lines) {
				t.Errorf("OnSent: %d meant, %d on the wire; want %d and %d", meant, onWire, sends, len(w.lines))
			}
			if n := countSuppressed(a); n != strings.Count(fmt.Sprint(tt.answered), "false") {
				t.Errorf("%d RS suppressed by impairment, want %d", n, strings.Count(fmt.Sprint(tt.answered), "false"))
			}
		})
	}
}

func countSuppressed(a *Advertiser) int {
	return int(a.Status().Counters.Suppressed[ReasonImpairment])
}

// TestDispatchDelayed checks that a send an impairment schedules later is
// held until its time, in time order, and sent by flush.
func TestDispatchDelayed(t *testing.T) {
	a := New(testInterface("eth0", "2001:db8::53"), Options{})
	w := &recWire{}
	msg := &ndp.RouterAdvertisement{RouterLifetime: time.Minute}
	a.dispatch(t0, w, testLink, []impair.Send{
		{At: t0.Add(2 * time.Second), Dst: netip.MustParseAddr("fe80::2"), RA: msg},
		{At: t0, RA: msg},
		{At: t0.Add(time.Second), Dst: netip.MustParseAddr("fe80::1"), RA: msg},
	})
	if diff := cmp.Diff([]string{"icmpv6 ff02::1 no-rdnss rl=1m0s"}, w.lines); diff != "" {
		t.Errorf("sent at once (-want +got):\n%s", diff)
	}
	if got := a.nextImpaired(t0.Add(time.Hour)); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("next = %v, want t0+1s", got.Sub(t0))
	}
	w.lines = nil
	a.flush(t0.Add(1500*time.Millisecond), w, testLink)
	a.flush(t0.Add(3*time.Second), w, testLink)
	want := []string{"icmpv6 fe80::1 no-rdnss rl=1m0s", "icmpv6 fe80::2 no-rdnss rl=1m0s"}
	if diff := cmp.Diff(want, w.lines); diff != "" {
		t.Errorf("sent later (-want +got):\n%s", diff)
	}
	if len(a.pending) != 0 {
		t.Errorf("%d sends still pending", len(a.pending))
	}
}

// TestSendImpairedError checks that a failing wire is counted as a send
// error, not a crash.
func TestSendImpairedError(t *testing.T) {
	a := New(testInterface("eth0", "2001:db8::53"), Options{})
	a.SetImpairments(impair.NewSet(t0, nil, mustSpec(t, "f", map[string]any{"type": "ra-oversize", "mode": "fragment"}),
		mustSpec(t, "r", map[string]any{"type": "second-router"})))
	a.send(t0, &recWire{err: errors.New("boom")}, testLink, KindPeriodic, netip.Addr{})
	if got := a.Status().Counters.SendErrors; got != 2 {
		t.Errorf("send errors = %d, want 2 (fragment and second router)", got)
	}
}

func TestEthFrame(t *testing.T) {
	got := ethFrame(net.HardwareAddr{2, 0, 0, 0, 0x53, 2}, netip.MustParseAddr("ff02::1:ff00:1234"), []byte{0x60})
	want := []byte{0x33, 0x33, 0xff, 0x00, 0x12, 0x34, 2, 0, 0, 0, 0x53, 2, 0x86, 0xdd, 0x60}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frame (-want +got):\n%s", diff)
	}
}

// BenchmarkSend measures building and sending one periodic RA, without
// impairments and through two of them (content change and split).
func BenchmarkSend(b *testing.B) {
	for _, tc := range []struct {
		name  string
		specs []map[string]any
	}{
		{name: "none"},
		{name: "omit+split", specs: []map[string]any{
			{"type": "rdnss-omit", "mode": "every", "every": int64(2)},
			{"type": "ra-oversize", "mode": "split"},
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ifc := testInterface("eth0", "2001:db8::53")
			ifc.SourceLLA = true
			ifc.DNSSL = []config.DNSSL{{Domains: []string{"example.com"}, Lifetime: 30 * time.Minute}}
			a := New(ifc, Options{})
			if len(tc.specs) > 0 {
				var specs []impair.Spec
				for i, tab := range tc.specs {
					sp, err := impair.NewSpec(fmt.Sprint("i", i), tab)
					if err != nil {
						b.Fatal(err)
					}
					specs = append(specs, sp)
				}
				a.SetImpairments(impair.NewSet(t0, nil, specs...))
			}
			w := &recWire{}
			b.ReportAllocs()
			for b.Loop() {
				w.lines = w.lines[:0]
				a.send(t0, w, testLink, KindPeriodic, netip.Addr{})
			}
		})
	}
}
